"""cocotb test of hw/fg_axis_in.v: cocotbext-axi AxiStreamSource on in_stream (bound by the
prefix; signal names match case-insensitively), a word consumer with its own backpressure.
Variants: idle cycles on the source and backpressure on the words (itertools.cycle([1,1,1,0]))
and full speed, where one value per cycle is checked."""

from __future__ import annotations

import itertools
import random

import cocotb
import pytest
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSource
from fxmodel import pack
from runner import params, run_module
from tbutil import reset, start_clock


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.a_w, self.lanes = p["A_W"], p["LANES"]
        self.tdata_w = (self.a_w + 7) // 8 * 8
        start_clock(dut.clk)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "in_stream"), dut.clk,
                                      dut.rst, byte_size=self.tdata_w)
        dut.clear.value = 0
        dut.cfg_count.value = 0
        dut.m_ready.value = 0
        self.words = []
        self.cycles = 0
        self.ready_gen = None
        cocotb.start_soon(self._consume())

    def set_idle_generator(self, gen=None):
        if gen:
            self.source.set_pause_generator(gen())

    def set_backpressure_generator(self, gen=None):
        self.ready_gen = gen() if gen else None

    async def _consume(self):
        while True:
            await RisingEdge(self.dut.clk)
            self.cycles += 1
            if self.dut.m_valid.value == 1 and self.dut.m_ready.value == 1:
                self.words.append(int(self.dut.m_data.value))
            pause = next(self.ready_gen) if self.ready_gen else 0
            self.dut.m_ready.value = 0 if pause else 1

    async def reset(self):
        await reset(self.dut.clk, self.dut.rst)


def cycle_pause():
    return itertools.cycle([1, 1, 1, 0])


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_test(dut, idle, backpressure):
    tb = TB(dut)
    tb.set_idle_generator(cycle_pause if idle else None)
    tb.set_backpressure_generator(cycle_pause if backpressure else None)
    await tb.reset()
    rng = random.Random(tb.a_w * 7 + tb.lanes)
    counts = sorted({tb.lanes, 1, max(1, tb.lanes - 1), rng.randint(1, tb.lanes)}, reverse=True)
    for count in counts:
        dut.cfg_count.value = 0 if count == tb.lanes else count  # 0 also means LANES
        n_words = 40
        values = [rng.getrandbits(tb.a_w) for _ in range(n_words * count)]
        # padding bits of TDATA above the value must be ignored
        beats = [v | (rng.getrandbits(tb.tdata_w) >> tb.a_w << tb.a_w) for v in values]
        tb.words.clear()
        start = tb.cycles
        await tb.source.send(AxiStreamFrame(beats))
        await tb.source.wait()
        for _ in range(200):
            if len(tb.words) >= n_words:
                break
            await RisingEdge(dut.clk)
        want = [pack(values[i:i + count] + [0] * (tb.lanes - count), tb.a_w)
                for i in range(0, len(values), count)]
        assert tb.words == want, f"count {count}: words differ"
        if not idle and not backpressure:
            took = tb.cycles - start
            assert took <= len(values) + 8, f"{took} cycles for {len(values)} values"
        # a partial word is dropped by clear
        await tb.source.send(AxiStreamFrame(beats[: max(count - 1, 0)]))
        await tb.source.wait()
        await RisingEdge(dut.clk)
        dut.clear.value = 1
        await RisingEdge(dut.clk)
        dut.clear.value = 0
    dut._log.info("counts %s ok", counts)


@pytest.mark.parametrize("a_w,lanes", [(8, 16), (12, 3)])
def test_fg_axis_in(a_w, lanes):
    run_module("fg_axis_in", __file__, {"A_W": a_w, "LANES": lanes})
