"""cocotb test of hw/fg_sdp_ram.v: random simultaneous reads and writes against a dict model
(registered read, then through OUT_REG = 0, 1 or 2 output registers; rd_en = 0 holds the
read register), lane write masks, optionally preloaded from a $readmemh file. A read of the word
being written in the same cycle is undefined in hardware (the memory is `no_rw_check`), so
the traffic never does it; reads of a word written the cycle before must see the new word."""

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
    width, depth, lanes = p["WIDTH"], p["DEPTH"], p.get("LANES", 1)
    out_reg = p.get("OUT_REG", 1)
    lane_w = width // lanes
    init = p.get("INIT_FILE", '""').strip('"')
    mem = dict(enumerate(read_hex(init))) if init else {}
    start_clock(dut.clk)
    dut.wr_en.value = 0
    dut.rd_en.value = 0
    dut.wr_addr.value = 0
    dut.rd_addr.value = 0
    dut.wr_data.value = 0
    dut.wr_mask.value = (1 << lanes) - 1
    rng = random.Random(width * 1000 + depth)
    # the model of the array's read register (pipe[0]) and the OUT_REG output registers
    # behind it: rd_data shows pipe[-1]
    pipe = [None] * (1 + out_reg)
    checked = 0
    await FallingEdge(dut.clk)
    full = (1 << lanes) - 1
    # without an init file, first write every word whole, so the model knows every lane
    fill = [] if init else list(range(depth))
    prev_wa = 0  # the word written last: read back in the next cycle now and then
    for cycle in range(4000 + len(fill)):
        if cycle < len(fill):
            wr, rd, wa, ra, mask = True, False, fill[cycle], 0, full
        else:
            # first mostly reads of the known contents, then mixed traffic with lane masks
            wr = cycle > 200 + len(fill) and rng.random() < 0.5
            rd = rng.random() < 0.7
            wa = rng.randrange(depth)
            ra = prev_wa if rng.random() < 0.2 else rng.randrange(depth)
            if wr and ra == wa:  # same-cycle collisions are undefined: read the previous word
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
        pipe = [mem[ra] if rd else pipe[0], *pipe[:-1]]
        expect = pipe[-1]
        if wr:
            old = mem.get(wa, 0)
            new = 0
            for ln in range(lanes):
                word = data if mask >> ln & 1 else old
                new |= (word >> (ln * lane_w) & ((1 << lane_w) - 1)) << (ln * lane_w)
            mem[wa] = new
        if expect is not None:
            assert int(dut.rd_data.value) == expect, f"cycle {cycle}: read of {ra}"
            checked += 1
    assert checked > 1000
    cocotb.log.info("%d reads checked", checked)


@pytest.mark.parametrize(
    "width,depth,init",
    [(72, 100, False),   # URAM-like word (8 lanes of 9 bits), depth not a power of two
     (8, 16, True),      # small LUT RAM preloaded with $readmemh, no output register
     (36, 64, False)],   # the engine's memories: two output registers (latency 3)
)
def test_fg_sdp_ram(width, depth, init):
    prm = {"WIDTH": width, "DEPTH": depth,
           "RAM_STYLE": '"ultra"' if width == 72 else '"distributed"'}
    if width == 72:
        prm["LANES"] = 8
    elif width == 8:
        prm["OUT_REG"] = 0
    else:
        prm["OUT_REG"] = 2
        prm["RAM_STYLE"] = '"block"'
    if init:
        path = write_hex(f"sdp_ram_{width}x{depth}", width, random_words(1, width, depth))
        prm["INIT_FILE"] = f'"{path}"'
    run_module("fg_sdp_ram", __file__, prm)
