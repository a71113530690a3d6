"""cocotb test of hw/fg_count.v: value, at_last and the flag's next values (at_last_inc,
at_last_clear) checked every cycle against a Python model.

Layers one after another, as an address generator runs them: a new random `last` (0, 1, the
largest value, small and random values) is set while the counter is idle and held a cycle,
then the layer starts with `clear` and runs a random mix of inc, idle cycles, clear and
clear + inc (clear wins), long enough to wrap several times when `last` is small. Every cycle
value must be the model's and at_last must be value == last (a register: it follows the
value, and keeps the previous layer's flag until the first clear/inc after `last` changed).
W = 1 covers the one-bit counter with last = 0 and last = 1.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge
from runner import params, run_module
from tbutil import start_clock


class Model:
    def __init__(self, w: int):
        self.mask = (1 << w) - 1
        self.value: int | None = None   # no reset: unknown until the first clear
        self.at_last: bool | None = None
        self.near: bool | None = None   # value == last - 1, a register like at_last

    def edge(self, clear: bool, inc: bool, last: int) -> None:
        if clear or (inc and self.value == last):
            self.value = 0
        elif inc:
            self.value = (self.value + 1) & self.mask
        else:
            return
        self.at_last = self.value == last
        self.near = self.value == (last - 1) & self.mask


@cocotb.test()
async def run_test(dut):
    w = params()["W"]
    top = (1 << w) - 1
    start_clock(dut.clk)
    dut.clear.value = 0
    dut.inc.value = 0
    dut.last.value = 0
    m = Model(w)
    rng = random.Random(97 + w)
    cycles = wraps = 0
    lasts = [0, top, 1 & top] + [min(top, rng.choice([0, 1, 2, 3, rng.randint(0, 40), top]))
                                 for _ in range(60)]
    await FallingEdge(dut.clk)

    async def cycle(clear: bool, inc: bool, last: int) -> None:
        nonlocal cycles, wraps
        dut.clear.value = int(clear)
        dut.inc.value = int(inc)
        dut.last.value = last
        await FallingEdge(dut.clk)
        before = m.value
        m.edge(clear, inc, last)
        wraps += inc and not clear and before == last
        cycles += 1
        if m.value is not None:
            v, a = int(dut.value.value), int(dut.at_last.value)
            assert v == m.value, f"cycle {cycles}: value {v}, want {m.value} (last {last})"
            assert a == m.at_last, (f"cycle {cycles}: at_last {a} with value {v}, want "
                                    f"{int(m.at_last)} (last {last})")
            # the flag's next value after an inc and after a clear (what nests register): an
            # inc wraps when the flag is set, else the flag becomes value + 1 == last
            after_inc = last == 0 if m.at_last else m.near
            assert int(dut.at_last_inc.value) == after_inc, f"cycle {cycles}: at_last_inc"
            assert int(dut.at_last_clear.value) == (last == 0), f"cycle {cycles}: at_last_clear"

    for layer, last in enumerate(lasts):
        # `last` changes while idle and is held a cycle before the layer's first clear
        for _ in range(1 + rng.randint(0, 2)):
            await cycle(False, False, last)
        await cycle(True, rng.random() < 0.3, last)
        n = rng.choice([3 * (last + 1) + 2, rng.randint(1, 60)]) if last < 64 else 300
        p_inc, p_clear = rng.choice([(1.0, 0.0), (0.7, 0.0), (0.6, 0.05), (0.3, 0.02)])
        for _ in range(n):
            clear = rng.random() < p_clear
            inc = rng.random() < p_inc
            await cycle(clear, inc, last)
        cocotb.log.debug("layer %d last %d done", layer, last)
    assert wraps > 20, f"only {wraps} wraps exercised"
    cocotb.log.info("%d cycles over %d layers, %d wraps", cycles, len(lasts), wraps)


@pytest.mark.parametrize("w", [1, 4, 16])
def test_fg_count(w):
    run_module("fg_count", __file__, {"W": w})
