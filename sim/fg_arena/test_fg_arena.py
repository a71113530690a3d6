"""cocotb test of hw/fg_arena.v: BANKS interleaved banks behave as one memory of words.

Word a lives in bank a mod BANKS at bank address a / BANKS. Every cycle a random set of banks
is written (some cycles all of them: the BANKS consecutive words of a conv result) and either
one word is read (every bank at a / BANKS, rd_sel = a mod BANKS) or BANKS consecutive words
from a (bank b at (a + BANKS - 1 - b) / BANKS: a max-pool beat), rd_en sometimes low (the
read register holds, the output registers shift); rd_data (word 0) and rd_wide (words in
order) are checked against a dict model after 1 + OUT_REG cycles. Lane
groups (LANES > 1) are written with random masks when BANKS = 1 (the P_OUT < P_IN engine)."""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge
from runner import params, run_module
from tbutil import start_clock


@cocotb.test()
async def run_test(dut):
    p = params()
    width, lanes, banks = p["WIDTH"], p.get("LANES", 1), p["BANKS"]
    depth, out_reg = p["BANK_DEPTH"], p.get("OUT_REG", 2)
    ba_w = max(1, (depth - 1).bit_length())
    lane_w = width // lanes
    words = banks * depth
    start_clock(dut.clk)
    for sig in (dut.wr_en, dut.rd_en, dut.wr_addr, dut.rd_addr, dut.rd_sel, dut.wr_data):
        sig.value = 0
    full = (1 << lanes) - 1
    dut.wr_mask.value = full
    rng = random.Random(7 * banks + width)
    mem: dict[int, int] = {}
    pipe = [None] * (1 + out_reg)
    checked = 0
    await FallingEdge(dut.clk)
    for cycle in range(3000 + depth):
        en, addr_field, data_field = 0, 0, 0
        written = {}
        if cycle < depth:  # fill: every bank's word `cycle`, whole words
            mask = full
            for b in range(banks):
                written[cycle * banks + b] = rng.getrandbits(width)
        else:
            mask = rng.getrandbits(lanes) if lanes > 1 and rng.random() < 0.5 else full
            if rng.random() < 0.3:   # a whole result: BANKS consecutive words
                a0 = rng.randrange(words - banks + 1)
                for k in range(banks):
                    written[a0 + k] = rng.getrandbits(width)
            else:
                for a in rng.sample(range(words), rng.randint(0, banks)):
                    if a % banks not in {x % banks for x in written}:
                        written[a] = rng.getrandbits(width)
        for a, d in written.items():
            b = a % banks
            en |= 1 << b
            addr_field |= (a // banks) << (b * ba_w)
            data_field |= d << (b * width)
        rd = rng.random() < 0.8
        wide = rng.random() < 0.5
        n_read = banks if wide else 1
        ra = rng.randrange(words - n_read + 1)
        if any(ra + k in written for k in range(n_read)):   # same-cycle read of a write:
            rd = False                                        # undefined
        if wide:
            bank_addrs = [(ra + banks - 1 - b) // banks for b in range(banks)]
        else:
            bank_addrs = [ra // banks] * banks
        dut.wr_en.value = en
        dut.wr_mask.value = mask
        dut.wr_addr.value = addr_field
        dut.wr_data.value = data_field
        dut.rd_en.value = int(rd)
        dut.rd_addr.value = sum(x << (b * ba_w) for b, x in enumerate(bank_addrs))
        dut.rd_sel.value = ra % banks
        await FallingEdge(dut.clk)
        read_reg = ([mem.get(ra + k) for k in range(n_read)] if rd else pipe[0])
        pipe = [read_reg, *pipe[:-1]]
        for a, d in written.items():
            old = mem.get(a, 0)
            new = 0
            for ln in range(lanes):
                word = d if mask >> ln & 1 else old
                new |= (word >> (ln * lane_w) & ((1 << lane_w) - 1)) << (ln * lane_w)
            mem[a] = new
        if pipe[-1] is not None and None not in pipe[-1]:
            want = pipe[-1]
            got = int(dut.rd_data.value)
            assert got == want[0], f"cycle {cycle}: read {got:#x}, want {want[0]:#x}"
            wide_got = int(dut.rd_wide.value)
            for k, w in enumerate(want):
                g = wide_got >> (k * width) & ((1 << width) - 1)
                assert g == w, f"cycle {cycle}: wide word {k} {g:#x}, want {w:#x}"
            checked += 1
    assert checked > 1500
    cocotb.log.info("%d reads checked over %d banks", checked, banks)


@pytest.mark.parametrize("banks,lanes,out_reg", [(4, 1, 2), (8, 1, 1), (1, 2, 2), (2, 1, 0)],
                         ids=["4banks", "8banks-reg1", "1bank-2lanes", "2banks-reg0"])
def test_fg_arena(banks, lanes, out_reg):
    prm = {"WIDTH": 24, "LANES": lanes, "BANKS": banks, "BANK_DEPTH": 37, "OUT_REG": out_reg,
           "N_COLS": 2, "COL_W": "32'h000c000c"}
    run_module("fg_arena", __file__, prm, sources=["fg_sdp_ram", "fg_col_ram"])
