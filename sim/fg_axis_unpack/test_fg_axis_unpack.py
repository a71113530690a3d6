"""cocotb test of hw/fg_axis_unpack.v: frames packed by the driver's own function
(fpgagen/driver/fpgagen_driver.py) sent by a cocotbext-axi AxiStreamSource (TKEEP marks the last
beat's bytes, TLAST ends the frame), pixels collected by a consumer with its own backpressure.
Checks every pixel, that nothing is taken outside a frame, the frame-error flag on a frame
with an early TLAST, and at full speed one pixel per cycle (when a beat carries >= a pixel).
`between` is checked every cycle against a model: high from reset, low from a frame's first
beat taken until its last pixel has left."""

from __future__ import annotations

import itertools
import random

import cocotb
import numpy as np
import pytest
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSource
from fxmodel import pack
from runner import params, run_module
from tbutil import reset, start_clock

from fpgagen.driver.fpgagen_driver import beats, pack_values, value_bytes


def geometry(a_w: int, c: int, tdata_w: int, pixels: int) -> dict:
    vb = value_bytes(a_w)
    n_beats = beats(pixels * c, vb, tdata_w // 8)
    last = pixels * c * vb - (n_beats - 1) * tdata_w // 8
    return {"A_W": a_w, "VB": vb, "C": c, "TDATA_W": tdata_w, "N_BEATS": n_beats,
            "N_PIXELS": pixels, "LAST_BYTES": last}


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.a_w, self.c, self.t = p["A_W"], p["C"], p["TDATA_W"]
        self.pixels, self.n_beats = p["N_PIXELS"], p["N_BEATS"]
        start_clock(dut.clk)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "in_stream"), dut.clk,
                                      dut.rst)
        dut.start.value = 0
        dut.m_ready.value = 0
        self.pix: list[int] = []
        self.cycles = 0
        self.ready_gen = None
        self.emitted = 0        # pixels of frames that started since the last restart
        self.between = True     # the model of `between`
        cocotb.start_soon(self._consume())

    async def _consume(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            self.cycles += 1
            if int(dut.rst.value) == 0:
                assert int(dut.between.value) == int(self.between), (
                    f"between {int(dut.between.value)}, model {int(self.between)}")
            restart = int(dut.start.value) == 1 and not self.between
            if int(dut.in_stream_TVALID.value) == 1 and int(dut.in_stream_TREADY.value) == 1:
                self.between = False
            if self.dut.m_valid.value == 1 and self.dut.m_ready.value == 1:
                self.pix.append(int(self.dut.m_data.value))
                self.emitted += 1
                if self.emitted % self.pixels == 0:
                    self.between = True   # the frame's last pixel left
            if restart or int(dut.rst.value) == 1:
                self.between = True
                self.emitted = 0
            pause = next(self.ready_gen) if self.ready_gen else 0
            self.dut.m_ready.value = 0 if pause else 1

    async def start(self):
        self.dut.start.value = 1
        await RisingEdge(self.dut.clk)
        self.dut.start.value = 0


def cycle_pause():
    return itertools.cycle([1, 1, 1, 0])


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_test(dut, idle, backpressure):
    tb = TB(dut)
    if idle:
        tb.source.set_pause_generator(cycle_pause())
    tb.ready_gen = cycle_pause() if backpressure else None
    await reset(dut.clk, dut.rst)
    rng = random.Random(tb.a_w * 7 + tb.c)
    lo, hi = -(1 << (tb.a_w - 1)), (1 << (tb.a_w - 1)) - 1
    for frame_no in range(3):
        values = np.array([rng.choice([lo, hi, rng.randint(lo, hi)])
                           for _ in range(tb.pixels * tb.c)])
        payload = tb.pixels * tb.c * value_bytes(tb.a_w)
        data = pack_values(values, tb.a_w, True, tb.t // 8)[:payload]
        tb.pix.clear()
        # nothing is taken before the frame opens
        await tb.source.send(AxiStreamFrame(data))
        for _ in range(5):
            await RisingEdge(dut.clk)
        assert int(dut.in_stream_TREADY.value) == 0, "TREADY outside a frame"
        t0 = tb.cycles
        await tb.start()
        await tb.source.wait()
        for _ in range(100):
            if len(tb.pix) >= tb.pixels:
                break
            await RisingEdge(dut.clk)
        mask = (1 << tb.a_w) - 1
        want = [pack([int(v) & mask for v in values[i:i + tb.c]], tb.a_w)
                for i in range(0, len(values), tb.c)]
        assert tb.pix == want, f"frame {frame_no}: pixels differ"
        assert int(dut.frame_error.value) == 0, "frame error on a well-formed frame"
        if not idle and not backpressure and tb.t >= tb.c * 8 * value_bytes(tb.a_w):
            took = tb.cycles - t0
            assert took <= tb.pixels + 6, f"{took} cycles for {tb.pixels} pixels"
    # a frame whose TLAST comes early (two DMA transfers) is flagged
    if tb.n_beats > 2:
        data = bytes(rng.getrandbits(8) for _ in range(tb.n_beats * tb.t // 8))
        k = tb.t // 8
        await tb.start()
        await tb.source.send(AxiStreamFrame(data[:k]))
        await tb.source.send(AxiStreamFrame(data[k:]))
        await tb.source.wait()
        for _ in range(tb.pixels + 20):
            await RisingEdge(dut.clk)
        assert int(dut.frame_error.value) == 1, "an early TLAST was not flagged"
        await tb.start()
        await RisingEdge(dut.clk)
        assert int(dut.frame_error.value) == 0, "start did not clear the frame error"


@pytest.mark.parametrize("a_w,c,tdata_w,pixels", [
    (8, 3, 32, 37),    # the ImageNet case: 3 bytes a pixel, 4 a beat (pixels straddle beats)
    (8, 1, 32, 21),    # grayscale: 4 pixels a beat
    (12, 3, 64, 11),   # 16-bit values, 6-byte pixels in 8-byte beats
    (8, 16, 64, 9),    # a pixel of 2 beats
])
def test_fg_axis_unpack(a_w, c, tdata_w, pixels):
    run_module("fg_axis_unpack", __file__, geometry(a_w, c, tdata_w, pixels))
