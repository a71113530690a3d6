"""cocotb test of hw/fg_wload.v: weights.bin images packed by the compiler's own function
(fpgagen/machine/weightload.py) sent by a cocotbext-axi AxiStreamSource with idle cycles; the
memories' write ports are recorded into a model memory every cycle.

Checks: `valid` at reset (VALID_INIT), a request that waits for `quiet` (TREADY low, `hold`
high meanwhile); a whole load writes every word once, at its address, with its data, and ends
valid with the CRC register equal to zlib.crc32 of the file; a truncated load (TLAST early), a
long one (beats after the N-th: taken, never written) and one with a TKEEP hole each end not
valid with `error` set and the CRC of what was taken; a request while loading is ignored; a
second weight set overwrites the first completely; `valid` is not reset: a reset in the middle
of a load leaves it 0 (the memories are half written), one after a good load 1."""

from __future__ import annotations

import itertools
import os
import random
import zlib

import cocotb
import numpy as np
import pytest
from cocotb.triggers import FallingEdge, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSource
from runner import params, run_module
from tbutil import reset, start_clock

from fpgagen.machine.weightload import WeightLoad, load_bytes


def words_of(lanes: np.ndarray, bits: int) -> list[int]:
    out = []
    for row in lanes.reshape(lanes.shape[0], -1).tolist():
        out.append(sum((v & ((1 << bits) - 1)) << (j * bits) for j, v in enumerate(row)))
    return out


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.lw, self.lb = (int(v) for v in os.environ["FG_LANES"].split(","))
        self.g = WeightLoad(p["TDATA_W"], p["W_WIDTH"], p["W_DEPTH"], p["B_WIDTH"],
                            p["B_DEPTH"])
        self.rng = np.random.default_rng(p["W_WIDTH"])
        start_clock(dut.clk)
        self.src = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s"), dut.clk, dut.rst)
        self.src.set_pause_generator(itertools.cycle([0, 0, 1, 0, 1, 1, 0]))
        dut.req.value = 0
        dut.quiet.value = 0
        self.wmem: dict[int, int] = {}
        self.bmem: dict[int, int] = {}
        self.writes = [0, 0]
        cocotb.start_soon(self._watch())

    async def _watch(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            if int(dut.w_wr_en.value):
                self.wmem[int(dut.w_wr_addr.value)] = int(dut.w_wr_data.value)
                self.writes[0] += 1
            if int(dut.b_wr_en.value):
                self.bmem[int(dut.b_wr_addr.value)] = int(dut.b_wr_data.value)
                self.writes[1] += 1

    def weight_set(self):
        """Random lanes of both memories, their words and the file's bytes."""
        g = self.g
        wl = self.rng.integers(-(1 << (self.lw - 1)), 1 << (self.lw - 1),
                               (g.weight_words, g.weight_word_bits // self.lw))
        bl = self.rng.integers(-(1 << (self.lb - 1)), 1 << (self.lb - 1),
                               (g.bias_words, g.bias_word_bits // self.lb))
        return words_of(wl, self.lw), words_of(bl, self.lb), load_bytes(g, wl, self.lw, bl,
                                                                        self.lb)

    async def request(self, quiet_after: int = 0):
        dut = self.dut
        await FallingEdge(dut.clk)
        dut.req.value = 1
        await FallingEdge(dut.clk)
        dut.req.value = 0
        for _ in range(quiet_after):
            await FallingEdge(dut.clk)
            assert int(dut.pending.value) == 1 and int(dut.s_TREADY.value) == 0
            assert int(dut.hold.value) == 1, "hold low while a load is pending"
        dut.quiet.value = 1

    async def load(self, data: bytes, keep: list[int] | None = None, poke=None):
        """Send one frame, wait for the loader to finish it; returns (valid, error, crc)."""
        dut = self.dut
        self.writes = [0, 0]
        frame = AxiStreamFrame(data) if keep is None else AxiStreamFrame(data, tkeep=keep)
        await self.src.send(frame)
        await RisingEdge(dut.clk)
        while int(dut.active.value) == 0:
            await RisingEdge(dut.clk)
        if poke is not None:
            await poke()
        while int(dut.busy.value) == 1:
            assert int(dut.hold.value) == 1 and int(dut.valid.value) == 0
            await RisingEdge(dut.clk)
        # busy has dropped: valid, error and the CRC are final (a host reads them then)
        got = int(dut.valid.value), int(dut.error.value), int(dut.crc.value)
        for _ in range(3):
            await RisingEdge(dut.clk)
            assert (int(dut.valid.value), int(dut.error.value), int(dut.crc.value)) == got
        assert int(dut.hold.value) == 1 - got[0] and int(dut.active.value) == 0
        dut.quiet.value = 0
        return got


@cocotb.test()
async def run_test(dut):
    p = params()
    tb = TB(dut)
    g = tb.g
    tbytes = g.tdata_bytes
    await reset(dut.clk, dut.rst)
    assert int(dut.valid.value) == p["VALID_INIT"], "valid at reset is VALID_INIT"
    assert int(dut.hold.value) == 1 - p["VALID_INIT"]
    assert int(dut.crc.value) == 0 and int(dut.error.value) == 0
    # weight set A: the request waits for quiet, then the whole file loads
    wa, ba, da = tb.weight_set()
    assert len(da) == g.bytes
    await tb.request(quiet_after=12)
    valid, error, crc = await tb.load(da)
    assert (valid, error) == (1, 0), "a whole load must end valid"
    assert crc == zlib.crc32(da), f"CRC 0x{crc:08x}, zlib 0x{zlib.crc32(da):08x}"
    assert tb.writes == [g.weight_words, g.bias_words], f"writes {tb.writes}"
    assert [tb.wmem[a] for a in range(g.weight_words)] == wa, "weight words differ"
    assert [tb.bmem[a] for a in range(g.bias_words)] == ba, "bias words differ"
    assert int(dut.hold.value) == 0
    wb, bb, db = tb.weight_set()
    # truncated: TLAST early (the DMA sent fewer beats)
    cut = max(1, g.beats // 2) * tbytes if g.beats > 1 else 0
    if cut:
        await tb.request()
        valid, error, crc = await tb.load(db[:cut])
        assert (valid, error) == (0, 1), "a truncated load must leave the weights invalid"
        assert crc == zlib.crc32(db[:cut])
        assert int(dut.hold.value) == 1, "invalid weights must hold the engine"
    # long: two beats more than the file; they are taken, not written
    await tb.request()
    valid, error, crc = await tb.load(da + bytes(range(2 * tbytes)))
    assert (valid, error) == (0, 1), "beats after the N-th must fail the load"
    assert tb.writes == [g.weight_words, g.bias_words], f"writes past the end: {tb.writes}"
    assert crc == zlib.crc32(da + bytes(range(2 * tbytes)))
    # a TKEEP hole in a middle beat
    keep = [1] * len(da)
    keep[(g.beats // 2) * tbytes + 1] = 0
    await tb.request()
    valid, error, _ = await tb.load(da, keep=keep)
    assert (valid, error) == (0, 1), "a beat with TKEEP not all ones must fail the load"

    # weight set B, with a request in the middle of the load (ignored)
    async def poke():
        for _ in range(random.Random(1).randrange(1, 4)):
            await FallingEdge(dut.clk)
        dut.req.value = 1
        await FallingEdge(dut.clk)
        dut.req.value = 0

    await tb.request()
    valid, error, crc = await tb.load(db, poke=poke)
    assert (valid, error, crc) == (1, 0, zlib.crc32(db))
    assert int(dut.pending.value) == 0, "a request while loading must be ignored"
    assert [tb.wmem[a] for a in range(g.weight_words)] == wb
    assert [tb.bmem[a] for a in range(g.bias_words)] == bb
    # a reset keeps `valid` (the memories keep their words) ...
    await reset(dut.clk, dut.rst)
    assert int(dut.valid.value) == 1 and int(dut.hold.value) == 0
    # ... and a reset in the middle of a load leaves it 0, with no load pending or running
    if g.beats < 8:  # a load this short is over before the reset
        return
    await tb.request()
    await tb.src.send(AxiStreamFrame(da))
    while int(dut.active.value) == 0:
        await RisingEdge(dut.clk)
    for _ in range(g.beats // 2):
        await RisingEdge(dut.clk)
    dut.quiet.value = 0
    await reset(dut.clk, dut.rst)
    assert (int(dut.valid.value), int(dut.pending.value), int(dut.active.value)) == (0, 0, 0)
    assert int(dut.hold.value) == 1
    cocotb.log.info("%d beats per load, %d + %d words", g.beats, g.weight_words, g.bias_words)


def _params(t, ww, wd, bw, bd, lw, lb, init):
    return {"TDATA_W": t, "W_WIDTH": ww, "W_DEPTH": wd, "WA_W": max(1, (wd - 1).bit_length()),
            "B_WIDTH": bw, "B_DEPTH": bd, "BA_W": max(1, (bd - 1).bit_length()),
            "VALID_INIT": init}, f"{lw},{lb}"


@pytest.mark.parametrize("p", [
    _params(32, 256, 5, 64, 3, 8, 16, 0),     # words of several beats, weights wider
    _params(64, 40, 3, 100, 2, 5, 10, 1),     # padded beats, bias words wider, valid at reset
    _params(32, 32, 1, 16, 1, 8, 16, 0),      # one-beat words, memories of one word
], ids=["wide", "biaswide", "tiny"])
def test_fg_wload(p):
    parameters, lanes = p  # the lane widths of the test's random words (not parameters)
    run_module("fg_wload", __file__, parameters, sources=["fg_crc32"],
               extra_env={"FG_LANES": lanes})
