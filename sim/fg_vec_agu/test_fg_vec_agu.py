"""cocotb test of hw/fg_vec_agu.v: the average-pool and add loop nests against plain
arithmetic, random geometries back to back, the consumer stalling at random; with PP pixel
banks (3, 4) the average pool's group addresses and phases (rows of ceil(W / PP) groups) and
the add's walk over pixel groups."""

from __future__ import annotations

import random

import cocotb
import pytest
from agu_model import random_vec, vec_beats, vec_cfg
from agu_tb import check_beats, run_layer
from runner import params, run_module
from tbutil import reset, start_clock

FIELDS = ("first", "last", "half", "addr", "waddr", "phase")


def read_beat(dut) -> tuple:
    return (bool(int(dut.beat_first.value)), bool(int(dut.beat_last.value)),
            bool(int(dut.beat_half.value)), int(dut.beat_addr.value), int(dut.beat_waddr.value),
            int(dut.beat_phase.value))


@cocotb.test()
async def run_test(dut):
    aw, pp = params()["AW"], params().get("PP", 1)
    start_clock(dut.clk)
    dut.start.value = 0
    dut.ready.value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(31 + aw + 37 * pp)
    total = 0
    for layer in range(60):
        geo = random_vec(rng, aw, pp)
        want = vec_beats(geo, aw)
        got, _, _ = await run_layer(dut, vec_cfg(geo, aw), want, None, lambda: read_beat(dut),
                                    rng)
        check_beats(got, want, FIELDS, f"layer {layer} {geo}")
        total += len(got)
    cocotb.log.info("%d beats over 60 layers match the reference nests", total)


@pytest.mark.parametrize("aw,pp", [(12, 1), (12, 3), (10, 4)], ids=["aw12", "3pix", "4pix"])
def test_fg_vec_agu(aw, pp):
    run_module("fg_vec_agu", __file__, sources=["fg_count"],
               parameters={"AW": aw, "CW": 16, "PP": pp})
