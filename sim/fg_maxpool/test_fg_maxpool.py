"""cocotb test of hw/fg_maxpool.v: running max over windows of 1..9 beats, signed/unsigned."""

from __future__ import annotations

import random

import cocotb
import pytest
from fxmodel import pack, unpack
from runner import params, run_module
from tbutil import reset, run_beats, start_clock

LATENCY = 1


@cocotb.test()
async def run_test(dut):
    p = params()
    lanes, w = p["LANES"], p["A_W"]
    start_clock(dut.clk)
    for n in ("in_valid", "in_first", "in_last", "in_data", "cfg_signed"):
        getattr(dut, n).value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(11 + w)
    windows = []
    for k in range(500):
        signed = rng.random() < 0.5
        lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
        n = rng.choice([1, 1, 2, 3, 4, 9, rng.randint(1, 9)])
        if k % 4 == 0:  # edge values: extremes and neighbours, all-equal windows
            vals = [[rng.choice([lo, hi, lo + 1, hi - 1, 0]) for _ in range(lanes)]
                    for _ in range(n)]
        else:
            vals = [[rng.randint(lo, hi) for _ in range(lanes)] for _ in range(n)]
        want = [max(v[ln] for v in vals) for ln in range(lanes)]
        windows.append((signed, vals, want))
    beats = []
    for wi, (signed, vals, _) in enumerate(windows):
        for i, v in enumerate(vals):
            while rng.random() < 0.1:
                beats.append(None)
            beats.append((wi, signed, i == 0, i == len(vals) - 1, v))
    got, last_t = [], {}

    def sample(t):
        if dut.out_valid.value == 1:
            got.append((t, int(dut.out_data.value)))

    def drive(b, t):
        wi, signed, first, last, v = b
        dut.in_valid.value = 1
        dut.cfg_signed.value = int(signed)
        dut.in_first.value = int(first)
        dut.in_last.value = int(last)
        dut.in_data.value = pack(v, w)
        if last:
            last_t[wi] = t

    def idle(t):
        dut.in_valid.value = 0
        dut.in_last.value = rng.randint(0, 1)
        dut.in_data.value = rng.getrandbits(lanes * w)

    await run_beats(dut.clk, beats, drive, idle, sample)
    assert len(got) == len(windows)
    for wi, ((t, word), (signed, vals, want)) in enumerate(zip(got, windows, strict=True)):
        assert t - last_t[wi] == LATENCY
        assert unpack(word, w, lanes, signed) == want, f"window {wi}: {vals}"
    dut._log.info("%d windows bit-exact", len(windows))


@pytest.mark.parametrize("lanes,a_w", [(4, 8), (1, 16)])
def test_fg_maxpool(lanes, a_w):
    run_module("fg_maxpool", __file__, {"LANES": lanes, "A_W": a_w})
