"""cocotb test of hw/fg_arena.v: BANKS interleaved banks behave as one memory of words.

Word a lives in bank a mod BANKS at bank address a / BANKS. Every cycle a random set of banks
is written (some cycles all of them: the BANKS consecutive words of a conv result) and either
one word is read (every bank at a / BANKS, rd_sel = a mod BANKS) or BANKS consecutive words
from a (bank b at (a + BANKS - 1 - b) / BANKS: a max-pool beat), rd_en sometimes low (the
read register holds, the output registers shift); rd_data (word 0) and rd_wide (words in
order) are checked against a dict model after 1 + OUT_REG cycles. Lane
groups (LANES > 1) are written with random masks when BANKS = 1 (the P_OUT < P_IN engine).
With PP pixel banks each is such a memory with its own writes, reads and rd_sel."""

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
    depth, out_reg, pp = p["BANK_DEPTH"], p.get("OUT_REG", 2), p.get("PP", 1)
    ba_w = max(1, (depth - 1).bit_length())
    lb_w = max(1, (banks - 1).bit_length())
    lane_w = width // lanes
    words = banks * depth
    start_clock(dut.clk)
    for sig in (dut.wr_en, dut.rd_en, dut.wr_addr, dut.rd_addr, dut.rd_sel, dut.wr_data):
        sig.value = 0
    full = (1 << lanes) - 1
    dut.wr_mask.value = full
    rng = random.Random(7 * banks + width + 101 * pp)
    mem: list[dict[int, int]] = [{} for _ in range(pp)]      # one memory per pixel bank
    pipe: list[list | None] = [None] * (1 + out_reg)           # per pixel: words, or None
    checked = 0
    await FallingEdge(dut.clk)
    for cycle in range(3000 + depth):
        en, addr_field, data_field = 0, 0, 0
        rd_addr_field, sel_field = 0, 0
        mask = rng.getrandbits(lanes) if lanes > 1 and rng.random() < 0.5 else full
        if cycle < depth:
            mask = full
        rd = rng.random() < 0.8
        writes, reads = [], []
        for px in range(pp):
            written = {}
            if cycle < depth:  # fill: every bank's word `cycle`, whole words
                for b in range(banks):
                    written[cycle * banks + b] = rng.getrandbits(width)
            elif rng.random() < 0.3:   # a whole result: BANKS consecutive words
                a0 = rng.randrange(words - banks + 1)
                for k in range(banks):
                    written[a0 + k] = rng.getrandbits(width)
            else:
                for a in rng.sample(range(words), rng.randint(0, banks)):
                    if a % banks not in {x % banks for x in written}:
                        written[a] = rng.getrandbits(width)
            for a, d in written.items():
                port = px * banks + a % banks
                en |= 1 << port
                addr_field |= (a // banks) << (port * ba_w)
                data_field |= d << (port * width)
            wide = rng.random() < 0.5
            n_read = banks if wide else 1
            ra = rng.randrange(words - n_read + 1)
            # a same-cycle read of a write is undefined: not checked
            known = not any(ra + k in written for k in range(n_read))
            if wide:
                bank_addrs = [(ra + banks - 1 - b) // banks for b in range(banks)]
            else:
                bank_addrs = [ra // banks] * banks
            rd_addr_field |= sum(x << ((px * banks + b) * ba_w)
                                 for b, x in enumerate(bank_addrs))
            sel_field |= (ra % banks) << (px * lb_w)
            writes.append(written)
            reads.append((ra, n_read, known))
        dut.wr_en.value = en
        dut.wr_mask.value = mask
        dut.wr_addr.value = addr_field
        dut.wr_data.value = data_field
        dut.rd_en.value = int(rd)
        dut.rd_addr.value = rd_addr_field
        dut.rd_sel.value = sel_field
        await FallingEdge(dut.clk)
        if rd:
            read_reg = [[mem[px].get(ra + k) for k in range(n)] if known else None
                        for px, (ra, n, known) in enumerate(reads)]
        else:
            read_reg = pipe[0]
        pipe = [read_reg, *pipe[:-1]]
        for px, written in enumerate(writes):
            for a, d in written.items():
                old = mem[px].get(a, 0)
                new = 0
                for ln in range(lanes):
                    word = d if mask >> ln & 1 else old
                    new |= (word >> (ln * lane_w) & ((1 << lane_w) - 1)) << (ln * lane_w)
                mem[px][a] = new
        if pipe[-1] is None:
            continue
        rd_data, wide_got = int(dut.rd_data.value), int(dut.rd_wide.value)
        for px, want in enumerate(pipe[-1]):
            if want is None or None in want:
                continue
            got = rd_data >> (px * width) & ((1 << width) - 1)
            assert got == want[0], (f"cycle {cycle} pixel bank {px}: read {got:#x}, want "
                                    f"{want[0]:#x}")
            for k, w in enumerate(want):
                g = wide_got >> ((px * banks + k) * width) & ((1 << width) - 1)
                assert g == w, (f"cycle {cycle} pixel bank {px}: wide word {k} {g:#x}, want "
                                f"{w:#x}")
            checked += 1
    assert checked > 1500 * pp
    cocotb.log.info("%d reads checked over %d banks x %d pixel banks", checked, banks, pp)


@pytest.mark.parametrize("banks,lanes,out_reg,pp",
                         [(4, 1, 2, 1), (8, 1, 1, 1), (1, 2, 2, 1), (2, 1, 0, 1), (4, 1, 2, 3),
                          (1, 2, 2, 2)],
                         ids=["4banks", "8banks-reg1", "1bank-2lanes", "2banks-reg0",
                              "4banks-3pix", "1bank-2lanes-2pix"])
def test_fg_arena(banks, lanes, out_reg, pp):
    prm = {"WIDTH": 24, "LANES": lanes, "BANKS": banks, "BANK_DEPTH": 37, "OUT_REG": out_reg,
           "N_COLS": 2, "COL_W": "32'h000c000c", "PP": pp}
    run_module("fg_arena", __file__, prm, sources=["fg_sdp_ram", "fg_col_ram"])
