"""cocotb test of hw/fg_add.v: align and add exactly (the engine requantizes); per-beat
configuration, idle beats, edge operands."""

from __future__ import annotations

import random

import cocotb
import pytest
from fxmodel import pack, unpack
from runner import params, run_module
from tbutil import reset, run_beats, start_clock

LATENCY = 2


def rand_val(rng, w, signed, edge):
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
    return rng.choice([lo, hi, 0, lo + 1, hi - 1]) if edge else rng.randint(lo, hi)


@cocotb.test()
async def run_test(dut):
    p = params()
    lanes, aw, bw, acc_w = p["LANES"], p["A_W"], p["B_W"], p["ACC_W"]
    max_align = p["MAX_ALIGN"]
    start_clock(dut.clk)
    for n in ("in_valid", "in_a", "in_b", "cfg_a_signed", "cfg_b_signed", "cfg_a_shift",
              "cfg_b_shift"):
        getattr(dut, n).value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(3 + aw)
    beats, expect = [], {}
    for i in range(2000):
        if rng.random() < 0.1:
            beats.append(None)
        edge = i % 3 == 0
        c = dict(a_signed=rng.random() < 0.7, b_signed=rng.random() < 0.7)
        # the quantizer aligns to the finer F, so one of the two shifts is 0
        sh = rng.randint(0, max_align)
        c["a_shift"], c["b_shift"] = (sh, 0) if rng.random() < 0.5 else (0, sh)
        a = [rand_val(rng, aw, c["a_signed"], edge) for _ in range(lanes)]
        b = [rand_val(rng, bw, c["b_signed"], edge) for _ in range(lanes)]
        want = [(x << c["a_shift"]) + (y << c["b_shift"]) for x, y in zip(a, b, strict=True)]
        beats.append((i, c, a, b))
        expect[i] = (c, a, b, want)
    got, sent, order = [], {}, []

    def sample(t):
        if dut.out_valid.value == 1:
            got.append((t, int(dut.out_data.value)))

    def drive(bt, t):
        i, c, a, b = bt
        dut.in_valid.value = 1
        dut.in_a.value = pack(a, aw)
        dut.in_b.value = pack(b, bw)
        dut.cfg_a_signed.value = int(c["a_signed"])
        dut.cfg_b_signed.value = int(c["b_signed"])
        dut.cfg_a_shift.value = c["a_shift"]
        dut.cfg_b_shift.value = c["b_shift"]
        sent[i] = t
        order.append(i)

    def idle(t):
        dut.in_valid.value = 0

    await run_beats(dut.clk, beats, drive, idle, sample)
    n = sum(b is not None for b in beats)
    assert len(got) == n, f"{len(got)} results for {n} beats"
    for (t, word), i in zip(got, order, strict=True):
        c, a, b, want = expect[i]
        assert t - sent[i] == LATENCY
        assert unpack(word, acc_w, lanes, True) == want, f"a={a} b={b} {c}"
    cocotb.log.info("%d beats bit-exact", n)


@pytest.mark.parametrize(
    "lanes,a_w,b_w,max_align,acc_w",
    [(4, 8, 8, 8, 18),      # w8a8 bypass, exact
     (2, 16, 8, 12, 30)],   # mixed widths, wide alignment
)
def test_fg_add(lanes, a_w, b_w, max_align, acc_w):
    run_module("fg_add", __file__,
               {"LANES": lanes, "A_W": a_w, "B_W": b_w, "MAX_ALIGN": max_align,
                "ACC_W": acc_w})
