"""``fpgagen synth DIR``: measured silicon figures for a build, with open tools.

Yosys ``synth_xilinx`` counts the DSP, block RAM, URAM, LUT and FF cells of the build's
Verilog for its board's family (an open estimate, not Vivado's) and writes them as the
``synth`` section of report.json / report.md. ``--ecp5`` also places and routes the design on
a Lattice ECP5-85F with Yosys + nextpnr-ecp5 and records the Fmax it reaches (``ecp5``
section): the one timing figure that can be measured without Vivado. A small engine fits
there; a full SqueezeNet build does not (nextpnr then says which resource ran out).

Exit 0 when the figures were measured, even when the ECP5 Fmax is below its 125 MHz target
(a measurement: the report says FAIL, and CI asserts the floor); 2 when they cannot be (not a
build folder, tools not installed, a tool error such as Verilog Yosys refuses).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fpgagen.api.silicon import WORKDIR, check_build_dir
from fpgagen.api.silicon import synthesize as api_synthesize
from fpgagen.cli.common import add_json_arg, console, fmt_int, print_json, table
from fpgagen.plan.boards import Board, load_board
from fpgagen.util.progress import Steps

__all__ = ["WORKDIR", "check_build_dir", "synthesize"]

def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="open synthesis: Yosys synth_xilinx resources, "
                                     "ECP5 place-and-route Fmax (--ecp5)",
                       description="Synthesize a build's Verilog with Yosys synth_xilinx for "
                                   "its board's family and add the resource counts to "
                                   "report.json / report.md; with --ecp5 also place and route "
                                   "it on an ECP5-85F (nextpnr) and record the measured Fmax.")
    p.add_argument("dir", metavar="DIR", help="a folder written by fpgagen build")
    p.add_argument("--ecp5", action="store_true",
                   help="also Yosys synth_ecp5 + nextpnr-ecp5 on an LFE5U-85F: Fmax, "
                        "utilization, critical path (a small engine only: the part has "
                        "208 DP16KD and 156 multipliers)")
    p.add_argument("--seed", type=int, default=1, help="nextpnr placement seed (default 1)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    add_json_arg(p)
    p.set_defaults(func=run)


def synthesize(d: Path, steps: Steps, ecp5: bool = False, seed: int = 1) -> dict[str, Any]:
    """Run the open flows on build folder ``d``, write their sections into its reports and
    return them (fpgagen/api/silicon.py). Shared with ``build --synth``."""
    return api_synthesize(d, steps, ecp5, seed)


def run(args: argparse.Namespace) -> int:
    d = Path(args.dir)
    figures = synthesize(d, Steps(args.quiet or args.json), args.ecp5, args.seed)
    if args.json:
        print_json(figures)
    else:
        report = json.loads((d / "report.json").read_text())
        print_figures(report, load_board(report["board"]))
    return 0


def print_figures(report: dict[str, Any], board: Board) -> None:
    """The Resources table and the ECP5 line, as report.md has them."""
    con = console()
    s = report.get("synth")
    if s is not None:
        m = report["memory"]
        rows = [
            ("DSP", fmt_int(s["dsp"]), fmt_int(board.dsp), ""),
            ("BRAM36 (equivalent)", f"{s['bram36_equiv']:g} ({s['ramb36']} RAMB36 + "
             f"{s['ramb18']} RAMB18)", fmt_int(board.bram36), fmt_int(m["bram36"])),
            ("URAM", fmt_int(s["uram"]), fmt_int(board.uram), fmt_int(m["uram"])),
            ("LUT", fmt_int(s["lut"]), fmt_int(board.lut), ""),
            ("FF", fmt_int(s["ff"]), fmt_int(board.ff), ""),
        ]
        con.print(table(f"Resources of {report['model']} on {board.name} ({board.part}): Yosys "
                        f"synth_xilinx -family {s['family']}, an open estimate, not Vivado's "
                        f"({s['seconds']:.0f} s)",
                        ["", "Yosys synth_xilinx", "part", "Plan"], rows,
                        right=["Yosys synth_xilinx", "part", "Plan"]))
        if "bram36_vs_plan_pct" in s:
            con.print(f"Block RAM: Yosys {s['bram36_equiv']:g} vs the Plan's "
                      f"{s['plan_bram36_rtl']:g} BRAM36 "
                      f"({s['bram36_vs_plan_pct']:+.1f} %)")
        if s["latches"]:
            con.print(f"[red]{s['latches']} latches[/] (LDCE/LDPE) in the netlist: the RTL "
                      f"has an incomplete combinational assignment")
    e = report.get("ecp5")
    if e is not None:
        verdict = ("[green]PASS[/]" if e["passed"]
                   else f"[red]FAIL[/] (below the {e['target_mhz']:g} MHz target)")
        u = e["utilization"]
        con.print(f"ECP5: Fmax {e['fmax_mhz']:.1f} MHz on {e['device']} (Yosys + nextpnr-ecp5, "
                  f"timing-driven place-and-route, measured) {verdict}\n  "
                  + ", ".join(f"{k} {v['used']:,}/{v['available']:,}" for k, v in u.items())
                  + "".join(f"\n  {ln}" for ln in e["critical_path"])
                  + "".join(f"\n  {n}" for n in e["notes"]))
