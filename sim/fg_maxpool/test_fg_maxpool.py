"""cocotb test of hw/fg_maxpool.v: running max over windows of 1..9 beats, signed/unsigned,
padding taps (in_inside = 0), and pool rows walked with the column carry exactly as fg_engine
walks them (expected values computed directly from the 2-D window, not from the carry)."""

from __future__ import annotations

import random

import cocotb
import pytest
from fxmodel import pack, unpack
from runner import params, run_module
from tbutil import reset, run_beats, start_clock

from fpgagen.plan.engine_latency import latency

# the table fg_engine and the cycle model size their pipelines by (fg_latency.vh)
LATENCY = latency("MAXPOOL")


def free_windows(rng, lanes, lo, hi, signed, count):
    """Independent windows (no carry); some beats are padding taps that must not count."""
    out = []
    for k in range(count):
        n = rng.choice([1, 1, 2, 3, 4, 9, rng.randint(1, 9)])
        if k % 4 == 0:  # edge values: extremes and neighbours, all-equal windows
            vals = [[rng.choice([lo, hi, lo + 1, hi - 1, 0]) for _ in range(lanes)]
                    for _ in range(n)]
        else:
            vals = [[rng.randint(lo, hi) for _ in range(lanes)] for _ in range(n)]
        inside = [rng.random() < 0.8 for _ in range(n)]
        inside[rng.randrange(n)] = True
        beats = [dict(first=i == 0, last=i == n - 1, inside=inside[i], carry=False,
                      from_carry=False, data=v, signed=signed) for i, v in enumerate(vals)]
        want = [max(v[ln] for v, ins in zip(vals, inside, strict=True) if ins)
                for ln in range(lanes)]
        out.append((beats, want))
    return out


def pool_row(rng, lanes, lo, hi, signed):
    """One output row of a K x K / S pool over K input rows (some outside the image), walked
    as the engine does: the first window reads every tap, later ones skip the K - S columns
    they share with the previous window (when K <= 2S) and start from the carry."""
    while True:
        k = rng.randint(1, 4)
        s = rng.randint(1, 3)
        pad = rng.randint(0, k - 1)
        w = rng.randint(1, 9)
        out_w = max(1, -(-(w + 2 * pad - k) // s) + 1)
        rows_in = [rng.random() < 0.85 for _ in range(k)]
        rows_in[rng.randrange(k)] = True
        img = [[[rng.randint(lo, hi) for _ in range(lanes)] for _ in range(w)] for _ in range(k)]

        def inside(ky, ix, rows_in=rows_in, w=w):
            return rows_in[ky] and 0 <= ix < w

        wins = [[(ky, ox * s + kx - pad) for ky in range(k) for kx in range(k)]
                for ox in range(out_w)]
        if all(any(inside(ky, ix) for ky, ix in win) for win in wins):
            break
    reuse = s < k <= 2 * s
    ov = k - s if reuse else 0
    out = []
    for ox in range(out_w):
        kx0 = ov if ox > 0 else 0
        beats = []
        for ky in range(k):
            for kx in range(kx0, k):
                ix = ox * s + kx - pad
                ins = inside(ky, ix)
                data = img[ky][ix] if ins else [rng.randint(lo, hi) for _ in range(lanes)]
                beats.append(dict(first=ky == 0 and kx == kx0, last=ky == k - 1 and kx == k - 1,
                                  inside=ins, carry=reuse and kx >= s,
                                  from_carry=reuse and ox > 0, data=data, signed=signed))
        want = [max(img[ky][ix][ln] for ky, ix in wins[ox] if inside(ky, ix))
                for ln in range(lanes)]
        out.append((beats, want))
    return out


@cocotb.test()
async def run_test(dut):
    p = params()
    lanes, w = p["LANES"], p["A_W"]
    start_clock(dut.clk)
    for n in ("in_valid", "in_first", "in_last", "in_data", "cfg_signed", "in_inside",
              "in_carry", "in_from_carry"):
        getattr(dut, n).value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(11 + w)
    windows = []
    for _ in range(120):
        signed = rng.random() < 0.5
        lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
        if rng.random() < 0.5:
            windows += free_windows(rng, lanes, lo, hi, signed, rng.randint(1, 6))
        else:
            windows += pool_row(rng, lanes, lo, hi, signed)
    beats = []
    for wi, (wbeats, _) in enumerate(windows):
        for b in wbeats:
            while rng.random() < 0.1:  # idle cycles may fall anywhere, the carry holds
                beats.append(None)
            beats.append((wi, b))
    got, last_t = [], {}

    def sample(t):
        if dut.out_valid.value == 1:
            got.append((t, int(dut.out_data.value)))

    def drive(beat, t):
        wi, b = beat
        dut.in_valid.value = 1
        dut.cfg_signed.value = int(b["signed"])
        for port in ("first", "last", "inside", "carry", "from_carry"):
            getattr(dut, f"in_{port}").value = int(b[port])
        dut.in_data.value = pack(b["data"], w)
        if b["last"]:
            last_t[wi] = t

    def idle(t):
        dut.in_valid.value = 0
        dut.in_last.value = rng.randint(0, 1)
        dut.in_first.value = rng.randint(0, 1)
        dut.in_data.value = rng.getrandbits(lanes * w)

    await run_beats(dut.clk, beats, drive, idle, sample)
    assert len(got) == len(windows)
    for wi, ((t, word), (wbeats, want)) in enumerate(zip(got, windows, strict=True)):
        assert t - last_t[wi] == LATENCY
        signed = wbeats[0]["signed"]
        assert unpack(word, w, lanes, signed) == want, f"window {wi}: {wbeats}"
    cocotb.log.info("%d windows bit-exact", len(windows))


@pytest.mark.parametrize("lanes,a_w", [(4, 8), (1, 16)])
def test_fg_maxpool(lanes, a_w):
    run_module("fg_maxpool", __file__, {"LANES": lanes, "A_W": a_w})
