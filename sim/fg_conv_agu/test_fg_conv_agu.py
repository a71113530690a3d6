"""cocotb test of hw/fg_conv_agu.v: the incremental loop nest against plain arithmetic.

Random conv geometries (kernels 1-5, strides 1-3, padding, several input words per pixel, the
packed-tap staging layout, output rings, output groups with P_OUT > P_IN and P_OUT < P_IN)
run back to back through one instance; the consumer stalls at random (ready low 30 % of the
cycles) and the rows are handed out one at a time at random moments, as a fused conv -> pool
pair does. Every beat (addresses, coordinates, flags, output words) must equal the reference
nest of sim/agu_model.py, every row must be reported issued exactly once, and with
P_OUT > P_IN the output address steps NW words per output group. With PP pixel banks (PP = 3:
not a power of two) ox counts groups of PP pixels and the tap's group address and phase
(pixel mod PP) step by compare-and-wrap.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from agu_model import conv_beats, conv_cfg, random_conv
from agu_tb import check_beats, run_layer
from fxmodel import to_signed
from runner import params, run_module
from tbutil import reset, start_clock

FIELDS = ("beat_first", "beat_last", "beat_addr", "beat_phase", "beat_iy", "beat_ix", "beat_kleft",
          "beat_waddr", "beat_baddr", "beat_oaddr", "beat_st_left", "beat_group")
SIGNED = {"beat_iy", "beat_ix", "beat_kleft", "beat_st_left"}


def read_beat(dut, cw: int) -> tuple:
    out = []
    for f in FIELDS:
        v = int(getattr(dut, f).value)
        out.append(to_signed(v, cw + 1) if f in SIGNED else v)
    out[0], out[1] = bool(out[0]), bool(out[1])
    return tuple(out)


@cocotb.test()
async def run_test(dut):
    p = params()
    aw, cw, nw, g, pp = p["AW"], p["CW"], p["NW"], p["G"], p.get("PP", 1)
    start_clock(dut.clk)
    dut.start.value = 0
    dut.ready.value = 0
    dut.row_limit.value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(11 + aw + 7 * nw + 13 * g + 17 * pp)
    total = 0
    for layer in range(40):
        geo = random_conv(rng, aw, nw, g, packed=layer % 3 == 2, pp=pp)
        want = conv_beats(geo, aw, nw, g)
        got, counts, _ = await run_layer(dut, conv_cfg(geo, aw, cw), want, geo["out_h"],
                                             lambda: read_beat(dut, cw), rng, ("row_issued",))
        check_beats(got, want, FIELDS, f"layer {layer} {geo}")
        assert counts["row_issued"] == geo["out_h"], f"layer {layer}: {counts} rows reported"
        total += len(got)
    cocotb.log.info("%d beats over 40 layers match the reference nest", total)


@pytest.mark.parametrize("aw,nw,g,pp", [(12, 1, 1, 1), (10, 2, 1, 1), (12, 1, 4, 1),
                                        (12, 2, 1, 3), (12, 1, 1, 4)],
                         ids=["pout=pin", "pout=2pin", "pin=4pout", "3pix", "4pix"])
def test_fg_conv_agu(aw, nw, g, pp):
    run_module("fg_conv_agu", __file__, sources=["fg_count"],
               parameters={"AW": aw, "CW": 16, "WA_W": 12, "BA_W": 8, "NW": nw, "G": g,
                           "PP": pp})
