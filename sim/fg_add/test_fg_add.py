"""cocotb test of hw/fg_add.v: align, add exactly, requantize; per-beat configuration."""

from __future__ import annotations

import random

import cocotb
import pytest
from fxmodel import RND, RND_CONV, SAT, TRN, WRAP, pack, requant, unpack
from runner import params, run_module
from tbutil import reset, run_beats, start_clock

LATENCY = 3


def rand_val(rng, w, signed, edge):
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
    return rng.choice([lo, hi, 0, lo + 1, hi - 1]) if edge else rng.randint(lo, hi)


@cocotb.test()
async def run_test(dut):
    p = params()
    lanes, aw, bw, out_w = p["LANES"], p["A_W"], p["B_W"], p["OUT_W"]
    max_align, max_lshift, user_w = p["MAX_ALIGN"], p["MAX_LSHIFT"], p["USER_W"]
    start_clock(dut.clk)
    for n in ("in_valid", "in_a", "in_b", "in_user", "cfg_a_signed", "cfg_b_signed",
              "cfg_a_shift", "cfg_b_shift", "cfg_shift", "cfg_rnd", "cfg_sat",
              "cfg_out_signed", "cfg_out_width", "cfg_relu"):
        getattr(dut, n).value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(3 + aw)
    beats, expect = [], {}
    for i in range(2000):
        if rng.random() < 0.1:
            beats.append(None)
        edge = i % 3 == 0
        c = dict(a_signed=rng.random() < 0.7, b_signed=rng.random() < 0.7,
                 rnd=rng.choice([TRN, RND, RND_CONV]), sat=rng.choice([SAT, SAT, WRAP]),
                 out_signed=rng.random() < 0.6, width=rng.choice([out_w, rng.randint(2, out_w)]),
                 relu=rng.random() < 0.3)
        # the quantizer aligns to the finer F, so one of the two shifts is 0
        sh = rng.randint(0, max_align)
        c["a_shift"], c["b_shift"] = (sh, 0) if rng.random() < 0.5 else (0, sh)
        c["shift"] = rng.randint(-max_lshift, max(aw, bw) + max_align + 2)
        a = [rand_val(rng, aw, c["a_signed"], edge) for _ in range(lanes)]
        b = [rand_val(rng, bw, c["b_signed"], edge) for _ in range(lanes)]
        want = [requant((x << c["a_shift"]) + (y << c["b_shift"]), c["shift"], c["rnd"],
                        c["sat"], c["width"], c["out_signed"], c["relu"])
                for x, y in zip(a, b, strict=True)]
        tag = i % (1 << user_w)
        beats.append((tag, c, a, b))
        expect[tag] = (c, a, b, want)
    got, sent = [], {}

    def sample(t):
        if dut.out_valid.value == 1:
            got.append((t, int(dut.out_user.value), int(dut.out_data.value)))

    def drive(bt, t):
        tag, c, a, b = bt
        dut.in_valid.value = 1
        dut.in_user.value = tag
        dut.in_a.value = pack(a, aw)
        dut.in_b.value = pack(b, bw)
        dut.cfg_a_signed.value = int(c["a_signed"])
        dut.cfg_b_signed.value = int(c["b_signed"])
        dut.cfg_a_shift.value = c["a_shift"]
        dut.cfg_b_shift.value = c["b_shift"]
        dut.cfg_shift.value = c["shift"] & 0x7F
        dut.cfg_rnd.value = c["rnd"]
        dut.cfg_sat.value = c["sat"]
        dut.cfg_out_signed.value = int(c["out_signed"])
        dut.cfg_out_width.value = c["width"]
        dut.cfg_relu.value = int(c["relu"])
        sent[tag] = t

    def idle(t):
        dut.in_valid.value = 0

    await run_beats(dut.clk, beats, drive, idle, sample)
    n = sum(b is not None for b in beats)
    assert len(got) == n, f"{len(got)} results for {n} beats"
    for t, tag, word in got:
        c, a, b, want = expect[tag]
        assert t - sent[tag] == LATENCY
        assert unpack(word, out_w, lanes, c["out_signed"]) == want, f"a={a} b={b} {c}"
    dut._log.info("%d beats bit-exact", n)


@pytest.mark.parametrize(
    "lanes,a_w,b_w,max_align,out_w,max_lshift",
    [(4, 8, 8, 8, 8, 0),      # w8a8 bypass
     (2, 16, 8, 12, 16, 4)],  # mixed widths, left-shift requantize
)
def test_fg_add(lanes, a_w, b_w, max_align, out_w, max_lshift):
    run_module("fg_add", __file__,
               {"LANES": lanes, "A_W": a_w, "B_W": b_w, "MAX_ALIGN": max_align,
                "OUT_W": out_w, "MAX_LSHIFT": max_lshift, "USER_W": 11},
               sources=["fg_requant"])
