"""Open-tool silicon figures of a build folder (the ``synth`` command's work): Yosys
``synth_xilinx`` resources, and with ``ecp5`` an ECP5 place and route with its Fmax."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fpgagen.errors import FpgagenError
from fpgagen.plan.boards import load_board
from fpgagen.report.report import part_resources, update_report
from fpgagen.silicon import synth
from fpgagen.silicon.estimate import synth_expectation, synth_seconds
from fpgagen.util.progress import Steps

# where the tools' logs and figures go inside a build folder
WORKDIR = "synth"


def check_build_dir(d: Path) -> dict[str, Any]:
    """The build's report.json, after checking ``d`` is a build folder with Verilog."""
    if not d.is_dir():
        raise FpgagenError(f"{d} is not a folder (give the folder fpgagen build wrote)")
    for need in ("report.json", f"rtl/{synth.TOP}.v"):
        if not (d / need).is_file():
            raise FpgagenError(f"{d} is not a complete fpgagen build: {need} is missing")
    try:
        report = json.loads((d / "report.json").read_text())
    except ValueError:
        report = None
    if not isinstance(report, dict) or not {"board", "part", "memory"} <= report.keys():
        raise FpgagenError(f"{d}/report.json is not an fpgagen build report")
    return report


def synthesize(d: Path, steps: Steps, ecp5: bool = False, seed: int = 1) -> dict[str, Any]:
    """Run the open flows on build folder ``d``, write their sections into its reports and
    return them (``{"synth": ..., "ecp5": ...}``). ``steps`` first hears how long Yosys is
    expected to take (`fpgagen.silicon.estimate`), then its time so far against that."""
    report = check_build_dir(d)
    board = load_board(report["board"])
    if "part_resources" not in report:  # a build from before the Resources table
        update_report(d, "part_resources", part_resources(board))
    expectation = synth_expectation(report)  # said first: Yosys takes minutes to an hour
    if expectation:
        steps.note(expectation)
    res = synth.synth_xilinx(d / "rtl", board.part, d / WORKDIR, steps,
                             expected_s=synth_seconds(report))
    out: dict[str, Any] = {"synth": res.to_json()}
    # a report from an older or edited build may lack the per-memory blocks: no comparison then
    memories = report["memory"].get("memories") if isinstance(report["memory"], dict) else None
    if isinstance(memories, list) and memories and all(
            isinstance(m, dict) and {"name", "bram36", "bram18"} <= m.keys() for m in memories):
        out["synth"].update(synth.bram_agreement(res.bram36_equiv,
                                                 synth.plan_bram36_in_rtl(memories)))
    update_report(d, "synth", out["synth"])
    if ecp5:
        timing = synth.pnr_ecp5(d / "rtl", d / WORKDIR, seed=seed, steps=steps)
        out["ecp5"] = timing.to_json()
        update_report(d, "ecp5", out["ecp5"])
    return out
