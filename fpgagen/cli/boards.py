"""``fpgagen boards``: the boards with their resources and on-chip capacity."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from fpgagen.cli.common import add_json_arg, add_quiet_arg, console, fmt_int, print_json, table
from fpgagen.plan.boards import all_boards
from fpgagen.plan.engine import dsp_engine


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("boards", help="list the supported boards")
    add_quiet_arg(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    boards = list(all_boards().values())
    if args.json:
        print_json([{**asdict(b), "aliases": list(b.aliases), "onchip_bytes": b.onchip_bytes,
                     "onchip_kib": b.onchip_bytes / 1024,
                     "default_engine": {"p_in": e.p_in, "p_out": e.p_out, "dsp": e.dsp}}
                    for b in boards for e in [dsp_engine(b)]])
        return 0
    console().print(table(
        "Boards (on-chip = BRAM36 x 4.5 KiB + URAM x 36 KiB; DSP-sized engine = P_in x P_out "
        "at one MAC per DSP: a model's default narrows it when its weights do not fit, or "
        "doubles P_out at two MACs per DSP when that is faster; fpgagen check says which)",
        ["board", "aliases", "part", "BRAM36", "URAM", "DSP", "LUT", "FF", "MHz", "on-chip KiB",
         "DSP-sized engine"],
        [(b.name, ", ".join(b.aliases), b.part, fmt_int(b.bram36), fmt_int(b.uram), fmt_int(b.dsp),
          fmt_int(b.lut), fmt_int(b.ff), f"{b.clock_mhz:g}", f"{b.onchip_bytes / 1024:,.1f}",
          str(dsp_engine(b)))
         for b in boards],
        right=("BRAM36", "URAM", "DSP", "LUT", "FF", "MHz", "on-chip KiB")))
    return 0
