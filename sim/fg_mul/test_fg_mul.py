"""cocotb test of hw/fg_mul.v: the registered signed multiply, bit-exact, latency exactly 3.

A new operand pair every cycle (no valid: the DSP pipeline runs freely): every pair of the
edge values (most negative, most negative + 1, -1, 0, 1, most positive - 1, most positive) of
both operands, then random operands; the product seen in cycle t + 3 must be the exact signed
product of the pair presented in cycle t. An impulse (one non-zero pair among zeros) proves
the latency is 3 and not merely consistent: the product is zero in every other cycle.
"""

from __future__ import annotations

import itertools
import random

import cocotb
import pytest
from fxmodel import bounds, to_signed, to_unsigned
from runner import params, run_module
from tbutil import run_beats, start_clock

LATENCY = 3


def edges(width: int) -> list[int]:
    lo, hi = bounds(width, True)
    return sorted(v for v in {lo, lo + 1, -1, 0, 1, hi - 1, hi} if lo <= v <= hi)


@cocotb.test()
async def run_test(dut):
    p = params()
    aw, bw = p["A_W"], p["B_W"]
    pw = aw + bw
    start_clock(dut.clk)
    dut.a.value = 0
    dut.b.value = 0
    rng = random.Random(aw * 37 + bw)
    (alo, ahi), (blo, bhi) = bounds(aw, True), bounds(bw, True)

    pairs = list(itertools.product(edges(aw), edges(bw)))
    pairs += [(rng.randint(alo, ahi), rng.randint(blo, bhi)) for _ in range(3000)]
    pairs += [(rng.choice([alo, ahi]), rng.randint(blo, bhi)) for _ in range(200)]
    pairs += [(rng.randint(alo, ahi), rng.choice([blo, bhi])) for _ in range(200)]
    # the impulse: the largest product (most negative x most negative) alone among zeros
    impulse_at = len(pairs) + 8
    pairs += [(0, 0)] * 8 + [(alo, blo)] + [(0, 0)] * 8

    got = {}

    def sample(t):
        got[t] = to_signed(int(dut.p.value), pw)

    def drive(pair, t):
        dut.a.value = to_unsigned(pair[0], aw)
        dut.b.value = to_unsigned(pair[1], bw)

    await run_beats(dut.clk, pairs, drive, lambda t: drive((0, 0), t), sample)
    for t, (a, b) in enumerate(pairs):
        assert got[t + LATENCY] == a * b, (f"cycle {t}: {a} * {b} = {a * b}, "
                                           f"got {got[t + LATENCY]} in cycle {t + LATENCY}")
    hot = [t for t in range(impulse_at - 8 + LATENCY, impulse_at + 8) if got[t] != 0]
    assert hot == [impulse_at + LATENCY], f"impulse at {impulse_at}: non-zero products at {hot}"
    assert got[impulse_at + LATENCY] == alo * blo == 1 << (pw - 2)
    cocotb.log.info("%d products exact (%d edge pairs), latency %d", len(pairs),
                  len(edges(aw)) * len(edges(bw)), LATENCY)


@pytest.mark.parametrize("a_w,b_w", [(9, 8), (18, 18), (2, 32)])
def test_fg_mul(a_w, b_w):
    run_module("fg_mul", __file__, {"A_W": a_w, "B_W": b_w})
