"""cocotb test of hw/fg_col_ram.v: the Plan's columns behave as one memory. Random reads and
writes with lane masks against a dict model, for a word split into unequal columns (one of
them UltraRAM-styled) across two write lanes, for a single column and with an absent one."""

from __future__ import annotations

import os
import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge
from runner import params, run_module
from tbutil import start_clock


def packed(widths: list[int]) -> str:
    """The COL_W parameter: 16 bits per column, column 0 lowest, as a Verilog literal."""
    value = sum(w << (16 * i) for i, w in enumerate(widths))
    return f"{16 * len(widths)}'h{value:x}"


@cocotb.test()
async def run_test(dut):
    p = params()
    width, depth, lanes = p["WIDTH"], p["DEPTH"], p.get("LANES", 1)
    out_reg = p.get("OUT_REG", 1)
    lane_w = width // lanes
    start_clock(dut.clk)
    for sig in (dut.wr_en, dut.rd_en, dut.wr_addr, dut.rd_addr, dut.wr_data):
        sig.value = 0
    full = (1 << lanes) - 1
    dut.wr_mask.value = full
    rng = random.Random(int(os.environ.get("FG_SEED", "1")) + width)
    mem: dict[int, int] = {}
    pipe = [None] * (1 + out_reg)  # the model of the read registers
    checked = 0
    await FallingEdge(dut.clk)
    fill = list(range(depth))  # first every word whole, so the model knows every lane
    prev_wa = 0
    for cycle in range(3000 + depth):
        if cycle < depth:
            wr, rd, wa, ra, mask = True, False, fill[cycle], 0, full
        else:
            wr = rng.random() < 0.5
            rd = rng.random() < 0.7
            wa = rng.randrange(depth)
            ra = prev_wa if rng.random() < 0.2 else rng.randrange(depth)
            if wr and ra == wa:  # same-cycle collisions are undefined
                ra = (wa + 1) % depth
            mask = rng.getrandbits(lanes) if rng.random() < 0.5 else full
        data = rng.getrandbits(width)
        if wr:
            prev_wa = wa
        dut.wr_mask.value = mask
        dut.wr_en.value = int(wr)
        dut.wr_addr.value = wa
        dut.wr_data.value = data
        dut.rd_en.value = int(rd)
        dut.rd_addr.value = ra
        await FallingEdge(dut.clk)
        # the read register holds while rd_en = 0; the output registers always shift
        read_reg = mem[ra] if rd else pipe[0]
        pipe = [read_reg, *pipe[:-1]]
        if wr:
            old = mem.get(wa, 0)
            new = 0
            for ln in range(lanes):
                word = data if mask >> ln & 1 else old
                new |= (word >> (ln * lane_w) & ((1 << lane_w) - 1)) << (ln * lane_w)
            mem[wa] = new
        if pipe[-1] is not None:
            assert int(dut.rd_data.value) == pipe[-1], f"cycle {cycle}: read of {ra}"
            checked += 1
    assert checked > 1000
    cocotb.log.info("%d reads checked", checked)


@pytest.mark.parametrize(
    "widths,lanes,ultra,out_reg",
    [([20, 12, 18, 14], 2, 0b0100, 2),  # two lanes of 32 bits, unequal columns, one UltraRAM
     ([24], 1, 0, 1),                   # one column: a plain memory
     ([16, 8, 0], 1, 0, 0)],            # an absent column (staging banks pad to one layout)
)
def test_fg_col_ram(widths, lanes, ultra, out_reg):
    prm = {"WIDTH": sum(widths), "LANES": lanes, "DEPTH": 200, "OUT_REG": out_reg,
           "N_COLS": len(widths), "COL_W": packed(widths),
           "COL_ULTRA": f"{len(widths)}'d{ultra}"}
    run_module("fg_col_ram", __file__, prm, sources=["fg_sdp_ram"])
