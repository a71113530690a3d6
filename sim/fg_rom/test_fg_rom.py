"""cocotb test of hw/fg_rom.v: every word of a $readmemh image read back (random order and
rd_en pattern; registered read that holds while rd_en = 0, then OUT_REG = 0, 1 or 2 output
registers)."""

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
    depth = p["DEPTH"]
    mem = read_hex(p["INIT_FILE"])
    assert len(mem) == depth
    start_clock(dut.clk)
    dut.rd_en.value = 0
    dut.rd_addr.value = 0
    out_reg = p.get("OUT_REG", 1)
    rng = random.Random(depth)
    pipe = [None] * (1 + out_reg)  # the read register, then the output registers
    order = list(range(depth)) + [rng.randrange(depth) for _ in range(2 * depth)]
    await FallingEdge(dut.clk)
    seen = set()
    for a in order:
        rd = rng.random() < 0.8
        dut.rd_en.value = int(rd)
        dut.rd_addr.value = a
        await FallingEdge(dut.clk)
        pipe = [mem[a] if rd else pipe[0], *pipe[:-1]]
        if rd:
            seen.add(a)
        expect = pipe[-1]
        if expect is not None:
            assert int(dut.rd_data.value) == expect, f"address {a}"
    assert len(seen) > depth * 0.9
    cocotb.log.info("%d of %d words read back", len(seen), depth)


@pytest.mark.parametrize("width,depth,out_reg", [(1, 2, 0), (130, 300, 1), (40, 50, 2)])
def test_fg_rom(width, depth, out_reg):
    path = write_hex(f"rom_{width}x{depth}", width, random_words(width, width, depth))
    run_module("fg_rom", __file__,
               {"WIDTH": width, "DEPTH": depth, "OUT_REG": out_reg, "INIT_FILE": f'"{path}"'})
