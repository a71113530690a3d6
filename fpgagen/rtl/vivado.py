"""Vivado flow for ``rtl/``: a non-project batch script (``vivado.tcl``) and the IP's XDC.

``vivado -mode batch -source <build>/rtl/vivado.tcl`` synthesizes and implements
``fpgagen_top`` out of context at the board's part and nominal clock, from any working folder.
Vivado only warns when ``$readmemh`` cannot open a file and then builds the ROM as zeros (and
optimizes it away), and its working folder is rarely ``rtl/``; so the script hands every
memory-init file to the top as an absolute path computed at run time, stops before synthesis
when a file is missing, and after synthesis compares the block RAM Vivado inferred with the
Plan's. Timing not met at the nominal clock is a non-zero exit.

What goes into the script is read from the folder itself, never from a list of module names:
the sources are every ``*.v`` in ``rtl/`` except the bench, the includes every ``*.vh`` (found
through synth_design's include folder, ``rtl/``), the memory-init files are the
string parameters ``*_FILE`` of ``fpgagen_top`` (their defaults name files in ``rtl/``). The
figures it checks against come from the Plan (`vivado_context`)::

    written += emit_vivado(out, {**ctx, **vivado_context(plan)})
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

from fpgagen.plan.plan import INIT_BITSTREAM, Plan
from fpgagen.util.templating import render

TOP = "fpgagen_top"
BENCH = "fpgagen_tb.v"  # simulation only: never read by Vivado
TCL = "vivado.tcl"
XDC = "fpgagen.xdc"
CLOCK_PORT = "ap_clk"
# a memory-init parameter of the top: a string parameter named *_FILE
_FILE_PARAM = re.compile(r'\bparameter\s+(?:\[[^\]]*\]\s*)?(\w+_FILE)\s*=\s*"([^"]*)"')
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
# names the script lists verbatim inside a Tcl list: no spaces, braces, quotes or `$[\;`
_PLAIN_NAME = re.compile(r"^[\w.+-]+$")
CONTEXT_KEYS = ("model", "board", "part", "clock_mhz", "bram36_plan", "bram36_block",
                "rom_bram36", "uram_plan", "dsp_plan")


def vivado_context(plan: Plan) -> dict[str, object]:
    """The Plan's figures the Vivado flow names and checks against.

    ``bram36_block``: BRAM36 of the memories the Plan keeps wholly in block RAM (those it gives
    URAM columns carry ``ram_style = "ultra"``, so Vivado may move all of them to URAM);
    ``rom_bram36``: BRAM36 of the memories the bitstream initializes (weights and biases
    unless they load at run time: `Memory.init`), which can only be block RAM.
    """
    mems = plan.memories.values()
    return {
        "model": plan.graph.name, "board": plan.board.name, "part": plan.board.part,
        "clock_mhz": plan.board.clock_mhz,
        "bram36_plan": plan.bram36,
        "bram36_block": sum(m.mapping.halves for m in mems if not m.mapping.uram) / 2,
        "rom_bram36": sum(m.mapping.halves for m in mems if m.init == INIT_BITSTREAM) / 2,
        "uram_plan": plan.uram,
        "dsp_plan": plan.engine.dsp,  # one per MAC + one per avgpool lane (EngineConfig.dsp)
    }


def rtl_sources(rtl_dir: Path) -> list[str]:
    """The Verilog Vivado reads: every ``*.v`` in ``rtl_dir`` but the simulation bench."""
    return sorted(p.name for p in rtl_dir.glob("*.v") if p.name != BENCH)


def rtl_headers(rtl_dir: Path) -> list[str]:
    """The Verilog includes beside the sources (``*.vh``: hw/fg_fields.vh, hw/fg_latency.vh);
    Vivado finds them through an include folder, they are not compiled on their own."""
    return sorted(p.name for p in rtl_dir.glob("*.vh"))


def memory_generics(rtl_dir: Path) -> list[tuple[str, str]]:
    """(parameter, file) for every ``*_FILE`` string parameter of the top with a default (an
    empty one means no contents), in declaration order; each default must name a file in
    ``rtl_dir``, and every ``*.hex`` there must be one (a memory initialized any other way
    would reach Vivado as a relative path)."""
    text = _COMMENT.sub("", (rtl_dir / f"{TOP}.v").read_text())
    pairs = [(p, f) for p, f in _FILE_PARAM.findall(text) if f]
    missing = [f"{p}={f!r}" for p, f in pairs if not (rtl_dir / f).is_file()]
    if missing:
        raise AssertionError(f"{TOP}.v: {', '.join(missing)} not a file in {rtl_dir}")
    stray = sorted({p.name for p in rtl_dir.glob("*.hex")} - {f for _, f in pairs})
    if stray:
        raise AssertionError(f"{', '.join(stray)} in {rtl_dir} is not the default of a *_FILE "
                             f"parameter of {TOP}: Vivado could not be given its path")
    return pairs


def emit_vivado(rtl_dir: Path, ctx: Mapping[str, object]) -> list[Path]:
    """Write ``vivado.tcl`` and ``fpgagen.xdc`` into ``rtl_dir`` (after its sources and memory
    images); ``ctx`` holds at least `vivado_context`'s keys. Returns the files written."""
    lacking = [k for k in CONTEXT_KEYS if k not in ctx]
    if lacking:
        raise AssertionError(f"emit_vivado needs {lacking}: pass {{**ctx, **vivado_context(plan)}}")
    sources = rtl_sources(rtl_dir)
    if f"{TOP}.v" not in sources:
        raise AssertionError(f"{rtl_dir} has no {TOP}.v")
    headers = rtl_headers(rtl_dir)
    memories = memory_generics(rtl_dir)
    odd = [n for n in [*sources, *headers, *(f for _, f in memories)]
           if not _PLAIN_NAME.match(n)]
    if odd:
        raise AssertionError(f"file names the tcl cannot list plainly: {odd}")
    top_text = (rtl_dir / f"{TOP}.v").read_text()
    if not re.search(rf"\binput\s+(?:wire\s+)?{CLOCK_PORT}\b", top_text):
        raise AssertionError(f"{TOP}.v has no input {CLOCK_PORT}: fpgagen.xdc constrains it")
    mhz = float(ctx["clock_mhz"])  # type: ignore[arg-type]
    bram_block = float(ctx["bram36_block"])  # type: ignore[arg-type]
    rom = float(ctx["rom_bram36"])  # type: ignore[arg-type]
    values = {
        "top": TOP, "model": ctx["model"], "board": ctx["board"],
        "part": ctx["part"], "clock_mhz": f"{mhz:g}", "period_ns": f"{1000.0 / mhz:.3f}",
        "clock_port": CLOCK_PORT, "xdc": XDC, "sources": sources, "headers": headers,
        "memories": memories,
        "bram36_plan": ctx["bram36_plan"], "bram36_block": f"{bram_block:g}",
        # "far below": under half the Plan's block RAM; a zeroed weight ROM (most of the
        # blocks) lands there, a different but sane Vivado mapping does not
        "bram36_min": math.floor(bram_block / 2),
        "rom_bram36": f"{rom:g}", "rom_bram36_min": math.floor(rom / 2),
        "uram_plan": ctx["uram_plan"], "dsp_plan": ctx["dsp_plan"],
    }
    written = []
    for name in (TCL, XDC):
        path = rtl_dir / name
        path.write_text(render(f"rtl/{name}.j2", **values))
        written.append(path)
    return written
