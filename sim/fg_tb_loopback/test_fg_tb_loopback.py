"""The whole-network simulation pattern, proven on fg_axis_in -> fg_axis_out.

Clock, stream source and stream sink are HDL (sim/hdl/), so Python only resets, pulses
start, awaits `done` and reads the recorded stream back once from a $writememh dump: no
Python call per cycle. Also measures the simulated cycles per second of this machine.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import RisingEdge
from memfiles import read_hex, write_hex
from runner import params, run_module

# a SqueezeNet input image padded to 16 channels: 227*227*16 values
N_VALUES = 227 * 227 * 16


@cocotb.test()
async def run_test(dut):
    p = params()
    n = int(os.environ["FG_COUNT"])
    values = read_hex(p["INIT_FILE"])[:n]
    dut.rst.value = 1
    dut.start.value = 0
    dut.dump.value = 0
    dut.count.value = n
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    dut.start.value = 1
    await RisingEdge(dut.clk)
    dut.start.value = 0
    t0 = time.perf_counter()
    await RisingEdge(dut.done)  # one callback, however long the stream
    wall = time.perf_counter() - t0
    await RisingEdge(dut.clk)
    cycles = int(dut.cycles.value)
    dut.dump.value = 1
    await RisingEdge(dut.clk)
    got = read_hex(str(Path.cwd() / "sink.hex"))[:n]
    assert int(dut.sink_count.value) == n
    assert int(dut.sink_last_index.value) == n - 1, "TLAST not on the last value"
    assert got == values
    if p.get("PAUSE", 0) == 0 and p.get("BACKPRESSURE", 0) == 0:
        assert cycles <= n + p["LANES"] + 8, f"{cycles} cycles for {n} values"
    dut._log.info("%d values in %d cycles, %.2f s: %.2fM cycles/s", n, cycles, wall,
                  cycles / wall / 1e6)


@pytest.mark.parametrize("pause,backpressure,n", [(0, 0, N_VALUES), (0b0001, 0b0011, 4096)])
def test_fg_tb_loopback(pause, backpressure, n):
    depth = 1 << (n - 1).bit_length()
    rng = random.Random(n)
    path = write_hex(f"loopback_{n}", 8, [rng.getrandbits(8) for _ in range(n)])
    run_module("fg_tb_loopback", __file__,
               {"A_W": 8, "LANES": 16, "DEPTH": depth, "INIT_FILE": f'"{path}"',
                "PAUSE": pause, "BACKPRESSURE": backpressure},
               sources=["fg_axis_in", "fg_axis_out"],
               tb_sources=["fg_tb_clock", "fg_tb_stream_source", "fg_tb_stream_sink"],
               timing=True, extra_env={"FG_COUNT": str(n)})
