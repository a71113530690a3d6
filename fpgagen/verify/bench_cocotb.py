"""The cocotb test of the whole-design bench: imported by cocotb inside the simulator process
only (``fpgagen.verify.rtlbench`` names it as the test module), never by fpgagen itself.

The generated ``fpgagen_tb.v`` does the cycle-level work in HDL (the clock, the image stream,
the AXI4-Lite program, the output sink); Python only resets, pulses ``start``, awaits ``done``
(one callback per image, so a whole network runs at Verilator's speed), reads the bench's
counters once and writes them to ``$FG_RTL_RESULT`` (JSON, one object per image). For several
images (``$FG_RTL_BATCH``: a JSON list of each image's input and output files) it copies each
image's input into place before its start and keeps each image's output files after its done.
Its own module, so that importing it needs cocotb and nothing imports it outside a simulator.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import cocotb
from cocotb.triggers import First, RisingEdge, Timer

from fpgagen.verify.rtlresults import BENCH_REGISTERS


def _plusarg(name: str) -> str:
    """The value of ``+name=value`` on the simulator's command line."""
    return str(cocotb.plusargs[name])


@cocotb.test()
async def fg_rtl_bench(dut):
    max_cycles = int(os.environ.get("FG_RTL_MAX_CYCLES", "200000000"))
    batch_path = os.environ.get("FG_RTL_BATCH", "")
    batch = json.loads(Path(batch_path).read_text()) if batch_path else []
    dut.rst.value = 1
    dut.start.value = 0
    for _ in range(4):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    results = []
    for i in range(max(1, len(batch))):
        if i > 0:  # the bench reads its input file again at every start
            shutil.copyfile(batch[i]["input"], _plusarg("fg_input"))
        dut.start.value = 1
        await RisingEdge(dut.clk)
        dut.start.value = 0
        t0 = time.perf_counter()
        await First(RisingEdge(dut.done), Timer((max_cycles + 1000) * 4, unit="ns"))
        wall = time.perf_counter() - t0
        assert int(dut.done.value) == 1, f"no end of the run within {max_cycles} cycles"
        await RisingEdge(dut.clk)
        await RisingEdge(dut.clk)
        results.append({
            "cycles": int(dut.cycles.value), "out_count": int(dut.out_count.value),
            "out_last_index": int(dut.out_last_index.value), "run_seconds": wall,
            **{k: int(getattr(dut, k).value) for k in BENCH_REGISTERS}})
        if batch:  # the bench writes its output files at done: keep this image's
            shutil.copyfile(_plusarg("fg_cycles"), batch[i]["cycles"])
            shutil.copyfile(_plusarg("fg_output"), batch[i]["output"])
        cocotb.log.info("%d cycles in %.2f s (%.2fM cycles/s)", int(dut.cycles.value), wall,
                      int(dut.cycles.value) / max(wall, 1e-9) / 1e6)
    Path(os.environ["FG_RTL_RESULT"]).write_text(json.dumps(results))
