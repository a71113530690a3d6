"""cocotb test of hw/fg_layer_table.v: rows of a $readmemh table decoded into banks M and P.

The table holds N_ROWS random rows of NF fields, field 0 the op (max-pool rows, op ==
OP_POOL, mixed with other ops). The test walks it as the engine does, several inferences in a
row: `rewind` in an idle cycle, then `load` after random gaps (0 to 3 cycles after busy fell),
sometimes rewinding mid-table. Each load must keep busy high for exactly NF + 2 cycles after
the load cycle (NF + 3 in all), then row_op = the row's op, the row's bank (P for OP_POOL,
else M) = the row's fields (field f at [f*FW +: FW]), and the other bank unchanged in every
cycle of the load and still holding the row last loaded into it (across rewinds). `load`
held high or pulsed while busy is ignored: the next load still reads the row after the one
just loaded. The last parameter set has a single row, which goes to bank P.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge
from memfiles import read_hex, write_hex
from runner import params, run_module
from tbutil import reset, start_clock

OP_POOL = 1


def make_table(n_rows: int, nf: int, fw: int, seed: int, ops=None) -> list[list[int]]:
    rng = random.Random(seed)
    top = (1 << fw) - 1
    if ops is None:
        # both banks, a pool row first and last, pool rows back to back somewhere
        ops = [OP_POOL] + [rng.choice([0, OP_POOL, 2, 3, OP_POOL, rng.getrandbits(fw)])
                           for _ in range(n_rows - 2)] + [0]
        ops = ops[:n_rows]
    rows = []
    for op in ops:
        fields = [rng.choice([0, top, rng.getrandbits(fw)]) for _ in range(nf - 1)]
        rows.append([op, *fields])
    return rows


def row_word(row: list[int], fw: int) -> int:
    return sum(v << (f * fw) for f, v in enumerate(row))


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.n_rows, self.nf, self.fw = p["N_ROWS"], p["NF"], p["FW"]
        words = read_hex(p["TABLE_FILE"])
        self.rows = [words[r * self.nf:(r + 1) * self.nf] for r in range(self.n_rows)]
        start_clock(dut.clk)
        dut.rewind.value = 0
        dut.load.value = 0
        self.cycles = 0
        self.model = {"M": None, "P": None}   # the row each bank should hold (None: none yet)

    def banks(self) -> tuple[int, int]:
        return int(self.dut.bank_m.value), int(self.dut.bank_p.value)

    async def idle(self, n: int = 1, rewind: bool = False) -> None:
        for _ in range(n):
            self.dut.rewind.value = int(rewind)
            await FallingEdge(self.dut.clk)
            self.dut.rewind.value = 0
            self.cycles += 1

    async def load(self, row: int, rng: random.Random, spurious: float) -> int:
        """One load (from a falling edge with busy low); returns the busy cycle count."""
        dut = self.dut
        assert int(dut.busy.value) == 0
        want = self.rows[row]
        to_p = want[0] == OP_POOL
        m0, p0 = self.banks()
        other0 = m0 if to_p else p0
        dut.load.value = 1
        await FallingEdge(dut.clk)
        busy = 0
        while int(dut.busy.value):
            busy += 1
            assert busy <= self.nf + 2, f"row {row}: busy for more than NF + 2 cycles"
            m, p = self.banks()
            assert (m if to_p else p) == other0, f"row {row}: the other bank changed"
            dut.load.value = int(rng.random() < spurious)   # ignored while busy
            await FallingEdge(dut.clk)
        dut.load.value = 0
        self.cycles += busy + 1
        assert busy == self.nf + 2, f"row {row}: busy {busy} cycles, want NF + 2 = {self.nf + 2}"
        m, p = self.banks()
        got_op = int(dut.row_op.value)
        assert got_op == want[0], f"row {row}: row_op {got_op:#x}, want {want[0]:#x}"
        got = p if to_p else m
        fields = [(got >> (f * self.fw)) & ((1 << self.fw) - 1) for f in range(self.nf)]
        assert fields == want, (f"row {row} into bank {'P' if to_p else 'M'}: fields "
                                f"{[hex(v) for v in fields]}, want {[hex(v) for v in want]}")
        assert (m if to_p else p) == other0, f"row {row}: the other bank changed"
        self.model["P" if to_p else "M"] = row_word(want, self.fw)
        for name, got in (("M", m), ("P", p)):
            held = self.model[name]
            assert held is None or got == held, (f"after row {row}: bank {name} {got:#x}, "
                                                 f"want the row loaded last into it {held:#x}")
        return busy


@cocotb.test()
async def run_test(dut):
    tb = TB(dut)
    dut.rst.value = 0
    await reset(dut.clk, dut.rst)
    await FallingEdge(dut.clk)
    rng = random.Random(tb.n_rows * 131 + tb.nf * 7 + tb.fw)
    loads = 0
    seen = [0] * tb.n_rows
    for inference in range(12):
        await tb.idle(rng.randint(1, 2), rewind=True)
        await tb.idle(rng.randint(0, 2))
        # usually the whole table; sometimes stop early (the next inference rewinds)
        n = tb.n_rows if rng.random() < 0.7 else rng.randint(1, tb.n_rows)
        for row in range(n):
            if row and rng.random() < 0.5:
                await tb.idle(rng.randint(1, 3))
            spurious = rng.choice([0.0, 0.5, 1.0])   # load held high / pulsed while busy
            await tb.load(row, rng, spurious)
            seen[row] += 1
            loads += 1
        cocotb.log.debug("inference %d: %d rows", inference, n)
    assert all(seen), f"rows never loaded: {[r for r, s in enumerate(seen) if not s]}"
    ops = {tb.rows[r][0] == OP_POOL for r in range(tb.n_rows)}
    cocotb.log.info("%d loads over 12 inferences, banks used: %s, %d cycles", loads,
                  "".join(sorted("P" if o else "M" for o in ops)), tb.cycles)


@pytest.mark.parametrize("n_rows,nf,fw,ops", [(4, 5, 32, None), (7, 3, 2, None),
                                              (1, 2, 8, [OP_POOL])],
                         ids=["4x5x32", "7x3x2", "1x2x8-pool"])
def test_fg_layer_table(n_rows, nf, fw, ops):
    rows = make_table(n_rows, nf, fw, seed=n_rows * 10 + nf + fw, ops=ops)
    words = [v for row in rows for v in row]
    path = write_hex(f"layer_table_{n_rows}x{nf}x{fw}", fw, words)
    run_module("fg_layer_table", __file__, sources=["fg_rom", "fg_delay"],
               parameters={"N_ROWS": n_rows, "NF": nf, "FW": fw, "OP_POOL": OP_POOL,
                           "TABLE_FILE": f'"{path}"'})
