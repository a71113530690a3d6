"""cocotb test of hw/fg_sdp_ram.v: random simultaneous reads and writes against a dict model
(1-cycle registered read, read-first on a same-address collision, rd_en = 0 holds the output),
optionally preloaded from a $readmemh file."""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge
from memfiles import random_words, read_hex, write_hex
from runner import params, run_module
from tbutil import start_clock


@cocotb.test()
async def run_test(dut):
    p = params()
    width, depth = p["WIDTH"], p["DEPTH"]
    init = p.get("INIT_FILE", '""').strip('"')
    mem = dict(enumerate(read_hex(init))) if init else {}
    start_clock(dut.clk)
    dut.wr_en.value = 0
    dut.rd_en.value = 0
    dut.wr_addr.value = 0
    dut.rd_addr.value = 0
    dut.wr_data.value = 0
    rng = random.Random(width * 1000 + depth)
    expect = None  # the model of rd_data
    checked = 0
    await FallingEdge(dut.clk)
    for cycle in range(4000):
        # phase: first mostly reads of the init contents, then mixed traffic
        wr = cycle > 200 and rng.random() < 0.5
        rd = rng.random() < 0.7
        wa = rng.randrange(depth)
        ra = wa if rng.random() < 0.2 else rng.randrange(depth)
        data = rng.getrandbits(width)
        dut.wr_en.value = int(wr)
        dut.wr_addr.value = wa
        dut.wr_data.value = data
        dut.rd_en.value = int(rd)
        dut.rd_addr.value = ra
        await FallingEdge(dut.clk)
        if rd:
            expect = mem.get(ra)  # read-first: the contents before this cycle's write
        if wr:
            mem[wa] = data
        if expect is not None:
            assert int(dut.rd_data.value) == expect, f"cycle {cycle}: read of {ra}"
            checked += 1
    assert checked > 1000
    dut._log.info("%d reads checked", checked)


@pytest.mark.parametrize(
    "width,depth,init",
    [(72, 100, False),   # URAM-like word, depth not a power of two, no init file
     (8, 16, True)],     # small LUT RAM preloaded with $readmemh
)
def test_fg_sdp_ram(width, depth, init):
    prm = {"WIDTH": width, "DEPTH": depth,
           "RAM_STYLE": '"ultra"' if width == 72 else '"distributed"'}
    if init:
        path = write_hex(f"sdp_ram_{width}x{depth}", width, random_words(1, width, depth))
        prm["INIT_FILE"] = f'"{path}"'
    run_module("fg_sdp_ram", __file__, prm)
