"""cocotb test of hw/fg_vec_agu.v: the average-pool and add loop nests against plain
arithmetic, random geometries back to back, the consumer stalling at random."""

from __future__ import annotations

import random

import cocotb
import pytest
from agu_model import random_vec, vec_beats, vec_cfg
from agu_tb import check_beats, run_layer
from runner import params, run_module
from tbutil import reset, start_clock

FIELDS = ("first", "last", "half", "addr", "waddr")


def read_beat(dut) -> tuple:
    return (bool(int(dut.beat_first.value)), bool(int(dut.beat_last.value)),
            bool(int(dut.beat_half.value)), int(dut.beat_addr.value), int(dut.beat_waddr.value))


@cocotb.test()
async def run_test(dut):
    aw = params()["AW"]
    start_clock(dut.clk)
    dut.start.value = 0
    dut.ready.value = 0
    await reset(dut.clk, dut.rst)
    rng = random.Random(31 + aw)
    total = 0
    for layer in range(60):
        geo = random_vec(rng, aw)
        want = vec_beats(geo, aw)
        got, _, _ = await run_layer(dut, vec_cfg(geo, aw), want, None, lambda: read_beat(dut),
                                    rng)
        check_beats(got, want, FIELDS, f"layer {layer} {geo}")
        total += len(got)
    cocotb.log.info("%d beats over 60 layers match the reference nests", total)


@pytest.mark.parametrize("aw", [12])
def test_fg_vec_agu(aw):
    run_module("fg_vec_agu", __file__, sources=["fg_count"], parameters={"AW": aw, "CW": 16})
