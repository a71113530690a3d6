"""cocotb test of hw/fg_axis_out.v: words driven with random idle cycles, beats collected by a
cocotbext-axi AxiStreamSink on out_stream (frames delimited by TLAST, TKEEP of the last beat
dropping its padding bytes) and unpacked by the driver's own function. Variants: idle words and
sink backpressure (itertools.cycle([1,1,1,0])); at full speed one value per cycle is checked."""

from __future__ import annotations

import itertools
import os
import random

import cocotb
import pytest
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamSink
from fxmodel import pack
from runner import params, run_module
from tbutil import reset, start_clock

from fpgagen.driver.fpgagen_driver import unpack_values, value_bytes


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.a_w, self.lanes = p["A_W"], p["LANES"]
        self.signed = os.environ["FG_SIGNED"] == "1"
        start_clock(dut.clk)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "out_stream"), dut.clk, dut.rst)
        dut.cfg_signed.value = int(self.signed)
        dut.s_valid.value = 0
        dut.s_data.value = 0
        dut.s_count.value = 0
        dut.s_last.value = 0
        self.idle_gen = None
        self.cycles = 0

    def set_idle_generator(self, gen=None):
        self.idle_gen = gen() if gen else None

    def set_backpressure_generator(self, gen=None):
        if gen:
            self.sink.set_pause_generator(gen())

    async def reset(self):
        await reset(self.dut.clk, self.dut.rst)

    async def send_words(self, words):
        """words: (data, count, last) tuples; drive s_valid/s_data until each is taken."""
        dut = self.dut
        i = 0
        while i < len(words):
            if self.idle_gen and next(self.idle_gen):
                dut.s_valid.value = 0
            else:
                data, count, last = words[i]
                dut.s_valid.value = 1
                dut.s_data.value = data
                dut.s_count.value = 0 if count == self.lanes else count
                dut.s_last.value = int(last)
            await RisingEdge(dut.clk)
            self.cycles += 1
            if dut.s_valid.value == 1 and dut.s_ready.value == 1:
                i += 1
        dut.s_valid.value = 0


def cycle_pause():
    return itertools.cycle([1, 1, 1, 0])


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_test(dut, idle, backpressure):
    tb = TB(dut)
    tb.set_idle_generator(cycle_pause if idle else None)
    tb.set_backpressure_generator(cycle_pause if backpressure else None)
    await tb.reset()
    rng = random.Random(tb.a_w + 31 * tb.lanes)
    if tb.signed:
        lo, hi = -(1 << (tb.a_w - 1)), (1 << (tb.a_w - 1)) - 1
    else:
        lo, hi = 0, (1 << tb.a_w) - 1
    words, frames = [], []
    for _ in range(6):  # frames (e.g. logits of one image each)
        frame = []
        n_words = rng.choice([1, 2, 5, 9])
        for k in range(n_words):
            count = rng.choice([tb.lanes, tb.lanes, rng.randint(1, tb.lanes), 1])
            vals = [rng.choice([lo, hi, rng.randint(lo, hi)]) for _ in range(tb.lanes)]
            words.append((pack(vals, tb.a_w), count, k == n_words - 1))
            frame += vals[:count]
        frames.append(frame)
    total = sum(len(f) for f in frames)
    await tb.send_words(words)
    for fi, want in enumerate(frames):
        got = await tb.sink.recv()
        vb = value_bytes(tb.a_w)
        assert len(got.tdata) == vb * len(want), f"frame {fi}: {len(got.tdata)} bytes kept"
        # the padding of each value is its sign (or zero) extension
        wide = unpack_values(bytes(got.tdata), 8 * vb, tb.signed, len(want)).tolist()
        assert wide == want, f"frame {fi}: got {wide} want {want}"
    assert tb.sink.empty()
    if not idle and not backpressure:
        assert tb.cycles <= total + 4, f"{tb.cycles} cycles for {total} values"
    cocotb.log.info("%d frames, %d values ok", len(frames), total)


@pytest.mark.parametrize("a_w,lanes,signed,tdata_w", [(8, 16, 1, 32), (12, 3, 0, 64),
                                                     (8, 3, 0, 64)])
def test_fg_axis_out(a_w, lanes, signed, tdata_w):
    run_module("fg_axis_out", __file__, {"A_W": a_w, "VB": value_bytes(a_w), "LANES": lanes,
                                         "TDATA_W": tdata_w},
               extra_env={"FG_SIGNED": str(signed)})
