"""cocotb test of hw/fg_pixmax.v: the max over a beat's inside pixels, lane by lane, signed
and unsigned (extremes and ties included), with random inside masks (none inside too: then
out_inside is 0 and the data is not checked), beats with gaps, against Python's max, at the
latency clog2(PP)."""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge, ReadOnly
from fxmodel import pack, unpack
from runner import params, run_module
from tbutil import reset, start_clock


@cocotb.test()
async def run_test(dut):
    p = params()
    pp, lanes, a_w = p["PP"], p["LANES"], p["A_W"]
    lat = max(0, (pp - 1).bit_length())
    start_clock(dut.clk)
    dut.in_valid.value = 0
    dut.in_inside.value = 0
    dut.in_data.value = 0
    dut.cfg_signed.value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(pp * 100 + lanes * 10 + a_w)
    want = {}
    checked = empty = 0
    n = 600
    for t in range(n + lat + 2):
        await FallingEdge(dut.clk)
        valid = t < n and rng.random() < 0.8
        signed = rng.random() < 0.5
        lo, hi = (-(1 << (a_w - 1)), (1 << (a_w - 1)) - 1) if signed else (0, (1 << a_w) - 1)
        pix = [[rng.choice([lo, hi, 0, rng.randint(lo, hi)]) for _ in range(lanes)]
               for _ in range(pp)]
        inside = [rng.random() < 0.6 for _ in range(pp)]
        dut.in_valid.value = int(valid)
        dut.cfg_signed.value = int(signed)
        dut.in_inside.value = sum(int(b) << j for j, b in enumerate(inside))
        dut.in_data.value = pack([v for px in pix for v in px], a_w)
        if valid:
            ins = [px for px, i in zip(pix, inside, strict=True) if i]
            want[t + lat] = (signed, [max(px[ln] for px in ins) for ln in range(lanes)]
                             if ins else None)
        await ReadOnly()
        if int(dut.out_valid.value):
            assert t in want, f"cycle {t}: out_valid with no beat due"
            sgn, exp = want.pop(t)
            assert int(dut.out_inside.value) == (exp is not None), f"cycle {t}: out_inside"
            if exp is None:
                empty += 1
            else:
                got = unpack(int(dut.out_data.value), a_w, lanes, sgn)
                assert got == exp, f"cycle {t}: {got}, want {exp}"
                checked += 1
        else:
            assert t not in want, f"cycle {t}: no out_valid, a beat was due"
    assert not want and checked > 250 and empty > 0, (checked, empty)
    cocotb.log.info("%d beats checked, %d with no pixel inside", checked, empty)


@pytest.mark.parametrize("pp,lanes,a_w", [(4, 3, 8), (3, 2, 5), (5, 1, 8), (2, 4, 16), (1, 2, 8)],
                         ids=["4pix", "3pix", "5pix", "2pix", "1pix"])
def test_fg_pixmax(pp, lanes, a_w):
    run_module("fg_pixmax", __file__, {"PP": pp, "LANES": lanes, "A_W": a_w})
