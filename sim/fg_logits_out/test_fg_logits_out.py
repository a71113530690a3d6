"""cocotb test of hw/fg_logits_out.v: the logits read from a modelled arena and streamed out.

The arena is a Python block RAM with output register (rd_addr of cycle t answered on rd_data
in cycle t + 2, held while rd_en is low) filled with random words, every bit of every lane
random (so the bits above OUT_W must be dropped) and random words around the logits. Several
inferences run back to back, each with fresh arena contents: `start` after a random idle
gap, then a cocotbext-axi AxiStreamSink receives one frame (full speed, the house
itertools.cycle([1, 1, 1, 0]) backpressure, or random backpressure). Proven: the frame's kept
bytes (TKEEP) are the OUT_COUNT values packed densely, value i = lane i % P_IN of word
OUT_BASE + i // P_IN, its low OUT_W bits sign- (OUT_SIGNED) or zero-extended to VB bytes, in
ceil(OUT_COUNT * VB / 4) beats of 32 bits, TLAST on the last beat only (one frame per start);
`done` high for exactly one cycle per start, the cycle after the last beat is accepted; rd_en
high in every cycle from the one after `start` until done (low otherwise) and rd_addr never
outside the logits' words while it is.
"""

from __future__ import annotations

import itertools
import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge, ReadOnly, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamSink
from fxmodel import pack, to_signed, to_unsigned
from runner import params, run_module
from tbutil import reset, start_clock

from fpgagen.driver.fpgagen_driver import value_bytes


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.p_in, self.act_w, self.out_w = p["P_IN"], p["ACT_W"], p["OUT_W"]
        self.signed = bool(p["OUT_SIGNED"])
        self.aw, self.base, self.count = p["AW"], p["OUT_BASE"], p["OUT_COUNT"]
        self.n_words = (self.count + self.p_in - 1) // self.p_in
        self.vb = value_bytes(self.out_w)
        self.tdata_w = 8 * self.vb                 # bits a value takes in the stream
        self.beats = -(-self.count * self.vb // 4)  # 32-bit TDATA
        self.mem = [0] * (1 << self.aw)
        start_clock(dut.clk)
        dut.start.value = 0
        dut.rd_data.value = 0
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "out_stream"), dut.clk, dut.rst)
        self.cycle = 0
        self.events = []   # (cycle, kind) of start / beat / last / done, from the monitor
        cocotb.start_soon(self.arena())
        cocotb.start_soon(self.monitor())

    def set_backpressure(self, kind: str, rng: random.Random) -> None:
        if kind == "cycle":
            self.sink.set_pause_generator(itertools.cycle([1, 1, 1, 0]))
        elif kind == "random":
            self.sink.set_pause_generator(iter(lambda: int(rng.random() < 0.5), 2))

    def fill(self, rng: random.Random) -> None:
        self.mem = [pack([rng.getrandbits(self.act_w) for _ in range(self.p_in)], self.act_w)
                    for _ in range(1 << self.aw)]

    def expected(self) -> list[int]:
        out = []
        for i in range(self.count):
            word = self.mem[(self.base + i // self.p_in) % (1 << self.aw)]
            v = (word >> ((i % self.p_in) * self.act_w)) & ((1 << self.out_w) - 1)
            out.append(to_unsigned(to_signed(v, self.out_w), self.tdata_w) if self.signed else v)
        return out

    async def arena(self):
        """Block RAM with output register: rd_en / rd_addr seen in cycle t (mid-cycle) move
        into the first register at the end of t and out of the second at the end of t + 1."""
        dut = self.dut
        r1 = r2 = 0
        prev = None
        while True:
            await FallingEdge(dut.clk)
            if prev is not None:
                en, addr = prev
                r2 = r1
                if en:
                    r1 = self.mem[addr]
                dut.rd_data.value = r2
            prev = (int(dut.rd_en.value), int(dut.rd_addr.value))

    async def monitor(self):
        """Every cycle (mid-cycle, after this cycle's inputs are driven): start, handshakes,
        done, the read port."""
        dut = self.dut
        words = {(self.base + k) % (1 << self.aw) for k in range(self.n_words)}
        while True:
            await FallingEdge(dut.clk)
            await ReadOnly()
            self.cycle += 1
            c = self.cycle
            if int(dut.start.value):
                self.events.append((c, "start"))
            if int(dut.out_stream_TVALID.value) and int(dut.out_stream_TREADY.value):
                self.events.append((c, "last" if int(dut.out_stream_TLAST.value) else "beat"))
            if int(dut.done.value):
                self.events.append((c, "done"))
            if int(dut.rd_en.value):
                self.events.append((c, "rd"))
                a = int(dut.rd_addr.value)
                assert a in words, f"cycle {c}: rd_addr {a} outside the logits {sorted(words)}"

    async def run_once(self, rng: random.Random) -> None:
        dut = self.dut
        self.fill(rng)
        want = self.expected()
        for _ in range(rng.randint(1, 4)):
            await FallingEdge(dut.clk)
        self.events.clear()
        dut.start.value = 1
        await FallingEdge(dut.clk)
        dut.start.value = 0
        limit = 20 * (self.count + 4 * self.n_words) + 100
        frame = await with_timeout(self.sink.recv(), limit * 4, "ns")
        for _ in range(4):
            await FallingEdge(dut.clk)
        got = bytes(frame.tdata)
        want = b"".join(v.to_bytes(self.vb, "little") for v in want)
        assert got == want, f"got {got.hex()}\nwant {want.hex()}"
        assert self.sink.empty(), "more than one frame for one start"
        ev = self.events
        kinds = [k for _, k in ev if k != "rd"]
        assert kinds == ["start"] + ["beat"] * (self.beats - 1) + ["last", "done"], kinds
        at = {k: c for c, k in ev if k != "rd"}
        assert at["done"] == at["last"] + 1, f"done {at['done']}, last beat {at['last']}"
        rd = [c for c, k in ev if k == "rd"]
        assert rd == list(range(at["start"] + 1, at["done"])), (
            f"rd_en in cycles {rd}, want {at['start'] + 1}..{at['done'] - 1}")


@cocotb.test()
@cocotb.parametrize(backpressure=["none", "cycle", "random"])
async def run_test(dut, backpressure):
    tb = TB(dut)
    rng = random.Random(tb.p_in * 31 + tb.out_w + len(backpressure))
    tb.set_backpressure(backpressure, rng)
    await reset(dut.clk, dut.rst)
    runs = 6
    for _ in range(runs):
        await tb.run_once(rng)
    cocotb.log.info("%d runs of %d logits (%d words), backpressure %s", runs, tb.count,
                  tb.n_words, backpressure)


@pytest.mark.parametrize(
    "p_in,act_w,out_w,signed,aw,base,count",
    [(4, 8, 8, 0, 6, 5, 10),      # OUT_COUNT not a multiple of P_IN, unsigned
     (3, 16, 12, 1, 5, 7, 9),     # OUT_W < ACT_W, signed, 2-byte values
     (2, 8, 3, 1, 4, 15, 1)],     # a single logit in the arena's last word
    ids=["10of4-u8", "9of3-s12", "1of2-s3"])
def test_fg_logits_out(p_in, act_w, out_w, signed, aw, base, count):
    run_module("fg_logits_out", __file__, sources=["fg_axis_out"],
               parameters={"P_IN": p_in, "ACT_W": act_w, "OUT_W": out_w, "OUT_SIGNED": signed,
                           "AW": aw, "OUT_BASE": base, "OUT_COUNT": count,
                           "VB": value_bytes(out_w), "TDATA_W": 32})
