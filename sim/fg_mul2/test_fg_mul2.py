"""cocotb test of hw/fg_mul2.v: two signed products of a shared operand, bit-exact, latency 3.

A new operand triple (a, b_lo, b_hi) every cycle. Small widths run EXHAUSTIVELY (every
triple); the w8a8 shape (9 x 8) runs every a against the edge values of both weights, every
pair of weights against the edge values of a, and random triples. Both products seen in
cycle t + 3 must be the exact products of the triple presented in cycle t.

The shift S = A_W + B_W - 1 is exact for every triple but the one corner a = -2^(A_W-1),
b_lo = -2^(B_W-1) (see the module header): that corner is left out of the exactness check
and, to prove the bound is tight rather than merely assumed, asserted to come out WRONG.
With S = A_W + B_W every triple, the corner included, must be exact. An impulse (one
non-zero triple among zeros) proves the latency is 3.
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
EXHAUSTIVE_MAX = 1 << 14   # triples; larger widths run the dense set instead


def edges(width: int) -> list[int]:
    lo, hi = bounds(width, True)
    return sorted(v for v in {lo, lo + 1, -2, -1, 0, 1, 2, hi - 1, hi} if lo <= v <= hi)


def triples(aw: int, bw: int, rng: random.Random) -> list[tuple[int, int, int]]:
    (alo, ahi), (blo, bhi) = bounds(aw, True), bounds(bw, True)
    arange, brange = range(alo, ahi + 1), range(blo, bhi + 1)
    if len(arange) * len(brange) ** 2 <= EXHAUSTIVE_MAX:
        return list(itertools.product(arange, brange, brange))
    out = list(itertools.product(edges(aw), edges(bw), edges(bw)))
    out += [(a, rng.choice(edges(bw)), rng.choice(edges(bw))) for a in arange]
    out += [(rng.choice(edges(aw)), lo, hi) for lo in brange for hi in (blo, bhi, -1, 0)]
    out += [(rng.choice(edges(aw)), lo, hi) for hi in brange for lo in (blo, bhi, -1, 0)]
    out += [(rng.randint(alo, ahi), rng.randint(blo, bhi), rng.randint(blo, bhi))
            for _ in range(3000)]
    return out


@cocotb.test()
async def run_test(dut):
    p = params()
    aw, bw = p["A_W"], p["B_W"]
    s = p.get("S", aw + bw - 1)
    pw = aw + bw
    start_clock(dut.clk)
    rng = random.Random(aw * 37 + bw + s)
    (alo, _), (blo, bhi) = bounds(aw, True), bounds(bw, True)
    work = triples(aw, bw, rng)
    impulse_at = len(work) + 8
    work += [(0, 0, 0)] * 8 + [(alo + 1, blo, bhi)] + [(0, 0, 0)] * 8

    got = {}

    def sample(t):
        got[t] = (to_signed(int(dut.p_lo.value), pw), to_signed(int(dut.p_hi.value), pw))

    def drive(tr, t):
        dut.a.value = to_unsigned(tr[0], aw)
        dut.b_lo.value = to_unsigned(tr[1], bw)
        dut.b_hi.value = to_unsigned(tr[2], bw)

    await run_beats(dut.clk, work, drive, lambda t: drive((0, 0, 0), t), sample)
    corner = 0
    for t, (a, lo, hi) in enumerate(work):
        want = (a * lo, a * hi)
        seen = got[t + LATENCY]
        if s == pw - 1 and a == alo and lo == blo:
            assert seen[0] != want[0], f"cycle {t}: the corner {a} * {lo} came out exact at S={s}"
            corner += 1
            continue
        assert seen == want, (f"cycle {t}: {a} * ({lo}, {hi}) = {want}, "
                              f"got {seen} in cycle {t + LATENCY}")
    hot = [t for t in range(impulse_at - 8 + LATENCY, impulse_at + 8) if got[t] != (0, 0)]
    assert hot == [impulse_at + LATENCY], f"impulse at {impulse_at}: non-zero products at {hot}"
    if s == pw - 1:
        assert corner > 0, "the inexact corner was never presented"
    cocotb.log.info("%d triples exact (S=%d, %d inexact corner triples as predicted), latency %d",
                  len(work) - corner, s, corner, LATENCY)


@pytest.mark.parametrize("a_w,b_w,s", [
    (9, 8, 16),    # w8a8 as fg_pe_array packs it (S = A_W + B_W - 1, a DSP48E1's 25 bits)
    (4, 3, 6),     # exhaustive, S = A_W + B_W - 1
    (3, 4, 7),     # exhaustive, S = A_W + B_W
    (2, 3, 7),     # exhaustive, a field wider than the product
])
def test_fg_mul2(a_w, b_w, s):
    run_module("fg_mul2", __file__, {"A_W": a_w, "B_W": b_w, "S": s})
