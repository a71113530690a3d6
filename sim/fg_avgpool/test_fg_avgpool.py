"""cocotb test of hw/fg_avgpool.v: sum * M per lane, exact (the engine requantizes it).

Windows are grouped in "layers" sharing the signedness (sampled per beat) and M (sampled with
each window's last beat, so it may change from one window to the next, back to back). M is
round(2^S / N) as the Plan computes it, or an edge value (0, 1, max). Windows of one beat prove
II = 1 hand-off.
"""

from __future__ import annotations

import os
import random

import cocotb
import pytest
from fxmodel import pack, unpack
from runner import params, run_module
from tbutil import reset, run_beats, start_clock

LATENCY = 4


@cocotb.test()
async def run_test(dut):
    p = params()
    lanes, w, sum_w, m_w, acc_w = p["LANES"], p["A_W"], p["SUM_W"], p["M_W"], p["ACC_W"]
    n_max = int(os.environ["FG_N_MAX"])
    assert n_max << w < 1 << (sum_w - 1), "SUM_W too narrow for N_MAX: the model would not wrap"
    start_clock(dut.clk)
    for n in ("in_valid", "in_first", "in_last", "in_data", "cfg_in_signed", "cfg_mult"):
        getattr(dut, n).value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(5 + w)
    layers = []
    for k in range(24):
        in_signed = rng.random() < 0.5
        lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if in_signed else (0, (1 << w) - 1)
        n = min(rng.choice([1, 2, 9, 13 * 13, rng.randint(1, n_max), n_max]), n_max)
        s = rng.randint(0, 24)
        m = min(round(2**s / n), (1 << m_w) - 1)
        if k % 6 == 5:
            m = rng.choice([0, 1, (1 << m_w) - 1])
        wins = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.3:
                vals = [[rng.choice([lo, hi]) for _ in range(lanes)] for _ in range(n)]
            else:
                vals = [[rng.randint(lo, hi) for _ in range(lanes)] for _ in range(n)]
            if rng.random() < 0.3:  # M may change from one window to the next
                m = rng.randint(0, (1 << m_w) - 1)
            cfg = dict(in_signed=in_signed, m=m)
            want = [sum(v[ln] for v in vals) * m for ln in range(lanes)]
            wins.append((cfg, vals, want))
        layers.append(wins)
    beats, expect = [], []
    for wins in layers:
        for cfg, vals, want in wins:
            for i, v in enumerate(vals):
                if rng.random() < 0.05:
                    beats.append(None)
                beats.append((len(expect), cfg, i == 0, i == len(vals) - 1, v))
            expect.append((cfg, want))
        if rng.random() < 0.5:
            beats += [None] * rng.randint(0, LATENCY + 1)
    got, last_t = [], {}

    def sample(t):
        if dut.out_valid.value == 1:
            got.append((t, int(dut.out_data.value)))

    def drive(b, t):
        wi, cfg, first, last, v = b
        dut.in_valid.value = 1
        dut.cfg_in_signed.value = int(cfg["in_signed"])
        # M only matters with the last beat: garbage elsewhere must be ignored
        dut.cfg_mult.value = cfg["m"] if last else random.getrandbits(m_w)
        dut.in_first.value = int(first)
        dut.in_last.value = int(last)
        dut.in_data.value = pack(v, w)
        if last:
            last_t[wi] = t

    def idle(t):
        dut.in_valid.value = 0

    await run_beats(dut.clk, beats, drive, idle, sample)
    assert len(got) == len(expect), f"{len(got)} results for {len(expect)} windows"
    for wi, ((t, word), (cfg, want)) in enumerate(zip(got, expect, strict=True)):
        assert t - last_t[wi] == LATENCY
        assert unpack(word, acc_w, lanes, True) == want, f"window {wi} {cfg}"
    cocotb.log.info("%d windows bit-exact", len(expect))


@pytest.mark.parametrize(
    "lanes,a_w,sum_w,m_w,acc_w,n_max",
    [(4, 8, 18, 16, 35, 196),   # w8a8: up to a 14x14 global pool, exact product
     (2, 16, 22, 8, 31, 20)],   # 16-bit activations, short windows, narrow M
)
def test_fg_avgpool(lanes, a_w, sum_w, m_w, acc_w, n_max):
    run_module("fg_avgpool", __file__,
               {"LANES": lanes, "A_W": a_w, "SUM_W": sum_w, "M_W": m_w, "ACC_W": acc_w},
               sources=["fg_mul"], extra_env={"FG_N_MAX": str(n_max)})
