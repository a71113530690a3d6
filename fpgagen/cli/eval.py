"""``fpgagen eval``: the accuracy of a model on a data set, in float, in fixed point and in RTL.

Every image of ``--data`` (the digits test split, or an ImageFolder folder; ``--limit`` takes
the first N) goes through the float reference and the integer golden model at ``--precision``:
top-1 (and top-5 when the model has more than 5 classes) of both and the drop between them.
With ``--rtl N`` the design is built once (as ``fpgagen build`` would, for ``--board``), its
Verilog compiled once by Verilator, and the first N images run one after the other through that
one simulator (`fpgagen.verify.rtlbench.run_rtl_batch`): each image's logits must equal the golden
model's as integers (``rtl_agree``), and the RTL's own top-1 is reported. Exit 0 when they all
agree, 1 when the RTL disagrees on any image (a negative verdict, as ``verify``), 2 bad input.

``--out DIR`` writes ``eval.json`` (what ``--json`` prints, with the confusion matrix of the
fixed-point model, rows the true class), ``confusion.png`` (that matrix drawn) and, with
``--rtl``, the build the RTL ran (``DIR/build``), so ``fpgagen verify DIR/build --rtl`` can
take it further.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from fpgagen.api.evaluation import CONFUSION_PNG, EVAL_JSON, evaluate
from fpgagen.cli.common import (
    _positive_int,
    add_json_arg,
    add_model_args,
    add_weights_args,
    console,
    print_json,
)
from fpgagen.cli.common import table as make_table
from fpgagen.cli.quantargs import add_quant_args, calibration_bar, design_from_args
from fpgagen.errors import FpgagenError
from fpgagen.frontend.labels import RANDOM_WEIGHTS_NOTE, ModelInfo
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import parse_pe
from fpgagen.quant.precision import parse_precision
from fpgagen.util.progress import PipeConsole, Steps

__all__ = ["CONFUSION_PNG", "EVAL_JSON"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="accuracy on a data set: float, fixed point and RTL simulation",
        description="Top-1 (top-5) of the float reference and of the fixed-point golden model "
                    "on a data set, the drop between them, and with --rtl N the same of the "
                    "RTL simulation on the first N images (one build, one Verilator binary) "
                    "with its per-image agreement with the golden model.")
    add_model_args(p)
    add_weights_args(p)
    p.add_argument("--data", "-d", required=True, metavar="digits|DIR",
                   help="'digits' (the test split of the scikit-learn digits) or a folder of "
                        "images in class subfolders (preprocessed as `run --input` does)")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="the first N images only")
    p.add_argument("--rtl", type=int, default=0, metavar="N",
                   help="also run the first N images through the RTL simulation (default 0)")
    add_quant_args(p)
    p.add_argument("--board", "-b", default="zc706",
                   help="board of the RTL build (default: zc706)")
    p.add_argument("--pe", default=None, metavar="PINxPOUT",
                   help="engine array of the RTL build (default: the board's)")
    p.add_argument("--out", "-o", default=None, metavar="DIR",
                   help=f"write {EVAL_JSON} (and the RTL's build/) into DIR")
    add_json_arg(p)
    p.set_defaults(func=run)


@contextlib.contextmanager
def _bar(quiet: bool, what: str, total: int
         ) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal's stderr (not with --quiet/--json): yields
    ``update(done, total)``, or None when there is no bar. It writes to a duplicate of the
    stderr descriptor, which the RTL simulation's redirection of fds 1 and 2 into its log
    (fpgagen.verify.rtlbench) leaves pointing at the terminal."""
    with os.fdopen(os.dup(2), "w") as stream:
        con = PipeConsole(file=stream)
        if quiet or not con.is_terminal:
            yield None
            return
        from rich.progress import Progress

        with Progress(console=con, transient=True) as bar:
            task = bar.add_task(what, total=total)
            yield lambda done, _total: bar.update(task, completed=done)


def run(args: argparse.Namespace) -> int:
    quiet = args.quiet or args.json
    if args.rtl < 0:
        raise FpgagenError(f"--rtl takes a number of images (0 or more), got {args.rtl}")
    board = load_board(args.board)
    engine = parse_pe(args.pe) if args.pe is not None else None
    design = design_from_args(args, board, None, parse_precision(args.precision), engine)
    res = evaluate(design, args.data, limit=args.limit, rtl=args.rtl, out=args.out,
                   steps=Steps(quiet), bars=lambda what, total: _bar(quiet, what, total),
                   calibrating=lambda: calibration_bar(args.quiet))
    if args.json:
        print_json(res.to_json())
    else:
        _print(res.to_json(), design.info)
    return 1 if res.get("rtl_disagree") else 0  # not rtl_agree: a rounded share


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f} %"


def _print(res: dict[str, Any], info: ModelInfo) -> None:
    con = console()
    con.print(f"{res['model']} on {res['data']}: {res['n']:,} images, precision "
              f"{res['precision_label']}")
    if info.random_weights:
        con.print(f"[yellow]note[/]: {RANDOM_WEIGHTS_NOTE}; accuracy is chance")
    top5 = "top5_float" in res
    cols = ["model", "images", "top-1", *(["top-5"] if top5 else [])]
    rows = [("float reference", res["n"], _pct(res["top1_float"]),
             *([_pct(res["top5_float"])] if top5 else [])),
            (f"fixed point {res['precision_label']} (golden)", res["n"], _pct(res["top1_fixed"]),
             *([_pct(res["top5_fixed"])] if top5 else []))]
    if res["rtl_n"]:
        rows.append((f"RTL simulation ({res['board']}, {res['pe']})", res["rtl_n"],
                     _pct(res["top1_rtl"]), *([_pct(res.get("top5_rtl"))] if top5 else [])))
    con.print(make_table("accuracy", cols, rows, right=("images", "top-1", "top-5")))
    con.print(f"drop float -> fixed: {100 * res['drop_top1']:+.2f} points top-1 "
              f"(top-1 classes agree on {_pct(res['fixed_float_top1_agree'])} of the images)")
    if res["rtl_n"]:
        ok = round(res["rtl_agree"] * res["rtl_n"])
        verdict = "[green]bit-exact[/]" if ok == res["rtl_n"] else "[red]NOT bit-exact[/]"
        bad = res["rtl_disagree"]
        con.print(f"RTL vs golden logits {verdict} on {ok}/{res['rtl_n']} images"
                  + (f" (differ on images {', '.join(map(str, bad[:10]))})" if bad else "")
                  + f"; {int(np.median(res['rtl_cycles'])):,} cycles per image (median), "
                  f"build {res['rtl_build_seconds']:.1f} s, run {res['rtl_run_seconds']:.1f} s")
