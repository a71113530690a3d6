"""cocotb test of hw/fg_credit.v: the credits of a queue as registered flags.

Two phases, each checked every cycle against a model (zero = none in flight, high = DEPTH - 1
or more, both the count after the previous edge):

1. free-running: random issue / retire / both / neither within [0, DEPTH] (both at once
   leaves the count), long runs at the top and at zero, a reset in the middle;
2. in the loop it serves: an issuer that takes a window's last beat only while `high` is low
   (the decision a cycle before the window counts, as fg_pool_agu's registered
   `window_issued`), a queue that retires after a random wait and is stalled for stretches
   (the write port busy with conv results). The count must never pass DEPTH - the reason the
   issuer stops at DEPTH - 1 - and must reach DEPTH under the stalls (the bound is tight).
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge
from runner import params, run_module
from tbutil import start_clock


@cocotb.test()
async def run_test(dut):
    depth = params()["DEPTH"]
    rng = random.Random(41 + depth)
    start_clock(dut.clk)
    dut.issue.value = 0
    dut.retire.value = 0
    dut.rst.value = 1
    for _ in range(2):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    count = 0

    def check(cycle: int) -> None:
        z, h = int(dut.zero.value), int(dut.high.value)
        assert z == (count == 0), f"cycle {cycle}: zero {z} with {count} in flight"
        assert h == (count >= depth - 1), f"cycle {cycle}: high {h} with {count} in flight"

    # 1. free-running within [0, DEPTH]
    tops = zeros = 0
    for cycle in range(3000):
        check(cycle)
        if cycle == 1500:                   # a reset with credits in flight
            dut.rst.value = 1
            dut.issue.value = rng.getrandbits(1)
            dut.retire.value = rng.getrandbits(1)
            await FallingEdge(dut.clk)
            dut.rst.value = 0
            count = 0
            continue
        bias = 0.8 if (cycle // 200) % 2 else 0.2    # stretches near the top and near zero
        issue = count < depth and rng.random() < bias
        retire = count > 0 and rng.random() < 1 - bias
        if rng.random() < 0.1 and 0 < count < depth:
            issue = retire = True
        dut.issue.value = int(issue)
        dut.retire.value = int(retire)
        await FallingEdge(dut.clk)
        count += int(issue) - int(retire)
        tops += count == depth
        zeros += count == 0
    assert tops > 50 and zeros > 50, (tops, zeros)

    # 2. the issuer / queue loop; in flight = counted windows + the one whose last beat was
    # just taken (it counts a cycle later)
    dut.issue.value = 0
    dut.retire.value = 0
    for _ in range(depth + 2):                # let the queue empty
        if count:
            dut.retire.value = 1
            count -= 1
        else:
            dut.retire.value = 0
        await FallingEdge(dut.clk)
    dut.retire.value = 0
    await FallingEdge(dut.clk)
    pending = False        # a window's last beat taken last cycle: it counts now
    queue: list[int] = []  # cycles at which the queued windows may be written
    peak = 0
    stall = 0
    for cycle in range(4000):
        check(cycle)
        take = not int(dut.high.value) and rng.random() < 0.7     # the issuer's decision
        if stall == 0 and rng.random() < 0.02:
            stall = rng.randint(5, 40)                              # the write port is busy
        stall = max(0, stall - 1)
        retire = bool(queue) and stall == 0 and queue[0] <= cycle
        dut.issue.value = int(pending)
        dut.retire.value = int(retire)
        if pending:
            queue.append(cycle + rng.randint(2, 6))
        if retire:
            queue.pop(0)
        await FallingEdge(dut.clk)
        count += int(pending) - int(retire)
        pending = take
        in_flight = count + int(pending)
        assert in_flight <= depth, f"cycle {cycle}: {in_flight} windows in flight > {depth}"
        peak = max(peak, in_flight)
    assert peak == depth, f"the stalls never filled the queue (peak {peak})"
    dut._log.info("DEPTH %d: flags exact, at most %d in flight", depth, peak)


@pytest.mark.parametrize("depth", [4, 2, 7])
def test_fg_credit(depth):
    run_module("fg_credit", __file__, {"DEPTH": depth})
