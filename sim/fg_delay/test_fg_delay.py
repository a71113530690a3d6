"""cocotb test of hw/fg_delay.v: out_data is in_data of exactly DEPTH cycles before.

A random word every cycle and random rst pulses, checked every cycle against a list of DEPTH
stages: DEPTH = 0 is a wire (out_data follows in_data within the cycle, rst or not); with
RESET = 1 a reset clears every stage (out_data is 0 right after it and for DEPTH cycles, even
though all ones were shifted in before), with RESET = 0 rst changes nothing. Before that, an
explicit fill-with-ones / reset / drain sequence shows the reset behaviour on its own.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge, Timer
from runner import params, run_module
from tbutil import start_clock


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.width, self.depth, self.reset = p["WIDTH"], p["DEPTH"], p["RESET"]
        self.ones = (1 << self.width) - 1
        self.stages: list[int | None] = [None] * self.depth   # stage 0 = newest; None = unknown
        self.cycle = 0
        start_clock(dut.clk)
        dut.rst.value = 0
        dut.in_data.value = 0

    def expect(self, in_data: int) -> int | None:
        return self.stages[-1] if self.depth else in_data

    async def step(self, in_data: int, rst: int) -> None:
        """Drive one cycle (from a falling edge), check out_data, then let the edge happen."""
        dut = self.dut
        dut.in_data.value = in_data
        dut.rst.value = rst
        await Timer(1, "ns")   # the DEPTH = 0 wire settles; registers do not move before the edge
        want = self.expect(in_data)
        if want is not None:
            got = int(dut.out_data.value)
            assert got == want, (f"cycle {self.cycle}: out_data {got:#x}, want {want:#x} "
                                 f"(stages {self.stages}, in {in_data:#x}, rst {rst})")
        if self.depth:
            if self.reset and rst:
                self.stages = [0] * self.depth
            else:
                self.stages = [in_data, *self.stages[:-1]]
        await FallingEdge(dut.clk)
        self.cycle += 1


@cocotb.test()
async def run_test(dut):
    tb = TB(dut)
    await FallingEdge(dut.clk)
    # fill with ones, one reset cycle, then keep shifting ones in
    for _ in range(tb.depth + 2):
        await tb.step(tb.ones, 0)
    assert tb.expect(tb.ones) == tb.ones
    await tb.step(tb.ones, 1)
    after = []
    for _ in range(tb.depth + 2):
        after.append(int(dut.out_data.value))
        await tb.step(tb.ones, 0)
    if tb.depth == 0:
        want = [tb.ones] * (tb.depth + 2)
    elif tb.reset:
        want = [0] * tb.depth + [tb.ones] * 2   # cleared right after the reset, DEPTH cycles
    else:
        want = [tb.ones] * (tb.depth + 2)       # rst ignored
    assert after == want, f"after the reset: out_data {after}, want {want}"

    rng = random.Random(7 * tb.width + 3 * tb.depth + tb.reset)
    for i in range(3000):
        edge = rng.random() < 0.1
        data = rng.choice([0, tb.ones]) if edge else rng.getrandbits(tb.width)
        rst = int(rng.random() < (0.3 if (i // 200) % 2 else 0.02))
        await tb.step(data, rst)
    cocotb.log.info("%d cycles checked (WIDTH %d DEPTH %d RESET %d)", tb.cycle, tb.width,
                  tb.depth, tb.reset)


@pytest.mark.parametrize("width,depth,reset", [(3, 0, 0), (1, 1, 1), (8, 1, 0), (8, 5, 1),
                                               (5, 5, 0)])
def test_fg_delay(width, depth, reset):
    run_module("fg_delay", __file__, {"WIDTH": width, "DEPTH": depth, "RESET": reset})
