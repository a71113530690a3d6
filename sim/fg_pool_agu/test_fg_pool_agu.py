"""cocotb test of hw/fg_pool_agu.v: the incremental max-pool nest against plain arithmetic.

Random max-pool geometries (kernels 1-5, strides 1-3, padding, ceil-mode overhang, column
reuse when S < K <= 2S, several words per pixel, input rings of a fused conv) run back to back
through one instance; the consumer stalls at random and rows are handed out one at a time at
random moments, as the fused conv -> pool schedule does. Every beat (read address = row +
column address, coordinates, carry flags, result address, first/last, words left) must equal
the reference nest of sim/agu_model.py, and every row and every window must be reported issued
once; with CB_STEP > 1 a beat stands for CB_STEP words (the engine's wide arena read). With
PP pixel banks (PP = 3 and 4) a beat is a window row's chunk of PP pixels: its group address,
phase (bank of its first pixel), taps left in the chunk and the result's pixel bank must match.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from agu_model import pool_beats, pool_cfg, random_pool
from agu_tb import check_beats, run_layer
from fxmodel import to_signed
from runner import params, run_module
from tbutil import reset, start_clock

FIELDS = ("first", "last", "carry", "from_carry", "raddr", "iy", "ix", "waddr", "left")
PIX_FIELDS = ("phase", "opix", "kleft")


def read_beat(dut, aw: int, cw: int, pp: int) -> tuple:
    raddr = (int(dut.beat_row_addr.value) + int(dut.beat_col_addr.value)) & ((1 << aw) - 1)
    beat = (bool(int(dut.beat_first.value)), bool(int(dut.beat_last.value)),
            bool(int(dut.beat_carry.value)), bool(int(dut.beat_from_carry.value)), raddr,
            to_signed(int(dut.beat_iy.value), cw + 1), to_signed(int(dut.beat_ix.value), cw + 1),
            int(dut.beat_waddr.value), to_signed(int(dut.beat_left.value), cw + 1))
    if pp > 1:
        beat += (int(dut.beat_phase.value), int(dut.beat_opix.value),
                 to_signed(int(dut.beat_kleft.value), cw + 1))
    return beat


@cocotb.test()
async def run_test(dut):
    p = params()
    aw, cw, step, pp = p["AW"], p["CW"], p.get("CB_STEP", 1), p.get("PP", 1)
    start_clock(dut.clk)
    dut.start.value = 0
    dut.ready.value = 0
    dut.row_limit.value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(23 + aw + 31 * pp)
    total = 0
    for layer in range(60):
        geo = random_pool(rng, aw, cw)
        want = pool_beats(geo, aw, step, pp)
        got, counts, _ = await run_layer(dut, pool_cfg(geo, aw, cw, step, pp), want,
                                         geo["out_h"], lambda: read_beat(dut, aw, cw, pp), rng,
                                         ("row_issued", "window_issued"))
        check_beats(got, want, FIELDS + (PIX_FIELDS if pp > 1 else ()),
                    f"layer {layer} {geo}")
        assert counts["row_issued"] == geo["out_h"], f"layer {layer}: {counts}"
        windows = geo["out_h"] * geo["out_w"] * -(-geo["cb"] // step)
        assert counts["window_issued"] == windows, f"layer {layer}: {counts}, {windows} windows"
        total += len(got)
    cocotb.log.info("%d beats over 60 layers match the reference nest", total)


@pytest.mark.parametrize("aw,step,pp", [(12, 1, 1), (9, 1, 1), (12, 2, 1), (10, 4, 1),
                                        (12, 2, 3), (12, 1, 4), (12, 1, 2)],
                         ids=["aw12", "aw9", "aw12-wide2", "aw10-wide4", "wide2-3pix", "4pix",
                              "2pix"])
def test_fg_pool_agu(aw, step, pp):
    run_module("fg_pool_agu", __file__, sources=["fg_count"],
               parameters={"AW": aw, "CW": 16, "CB_STEP": step, "PP": pp})
