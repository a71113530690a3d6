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
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.cli.common import (
    _positive_int,
    add_json_arg,
    add_model_args,
    add_weights_args,
    console,
    model_info,
    network_from_args,
    print_json,
)
from fpgagen.cli.common import table as make_table
from fpgagen.cli.quantargs import add_quant_args, load_data, quantize_from_args
from fpgagen.errors import FpgagenError
from fpgagen.frontend.datasets import Dataset
from fpgagen.frontend.graph import Graph
from fpgagen.frontend.labels import RANDOM_WEIGHTS_NOTE, ModelInfo
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import parse_pe
from fpgagen.quant.accuracy import OTHER, confusion, ranked, topk_hits
from fpgagen.quant.precision import parse_precision, precision_label
from fpgagen.quant.quantize import QGraph
from fpgagen.util.progress import PipeConsole, Steps

EVAL_JSON = "eval.json"
CONFUSION_PNG = "confusion.png"


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


def _check_classes(data: Dataset, info: ModelInfo, outputs: int) -> None:
    """The data set's classes must be the model's (by name when it has names)."""
    if info.labels is not None and data.classes != info.labels[:len(data.classes)]:
        raise FpgagenError(f"labels mismatch: {data.name}'s classes ({', '.join(data.classes[:4])}"
                           f", ...) are not the model's ({', '.join(info.labels[:4])}, ...)")
    if len(data.classes) > outputs:
        raise FpgagenError(f"{data.name} has {len(data.classes)} classes, the model only "
                           f"{outputs} outputs")


def _out_dir(text: str | None) -> Path | None:
    if text is None:
        return None
    out = Path(text)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FpgagenError(f"cannot create {out}: {exc.strerror}") from None
    return out


def run(args: argparse.Namespace) -> int:
    quiet = args.quiet or args.json
    if args.rtl < 0:
        raise FpgagenError(f"--rtl takes a number of images (0 or more), got {args.rtl}")
    board = load_board(args.board)
    engine = parse_pe(args.pe) if args.pe is not None else None
    if args.rtl:
        from fpgagen.verify.simcache import sim_cache
        from fpgagen.verify.verilator import require_simulator

        require_simulator()  # before any work: one line saying what to install
        sim_cache()  # and a bad FPGAGEN_CACHE_MAX, one line too
    out = _out_dir(args.out)
    graph, weights = network_from_args(args)
    info = model_info(args, graph)
    data = load_data(args.data, graph, info, split="test").head(args.limit)
    outputs = graph.shape(graph.output)[-1]
    _check_classes(data, info, outputs)
    if args.rtl > len(data):
        raise FpgagenError(f"--rtl {args.rtl} is more than the {len(data)} images of "
                           f"{data.name}" + (" (--limit)" if args.limit else ""))
    qgraph = quantize_from_args(args, graph, weights)
    float_logits, fixed_ints = _reference_and_golden(graph, weights, qgraph, data, quiet)
    res = _figures(data, info, qgraph, float_logits, fixed_ints, outputs)
    res |= {"board": board.name if args.rtl else None}
    if args.rtl:
        res |= _rtl(args, board, engine, qgraph, data, fixed_ints, out, quiet)
    else:
        res |= {"rtl_n": 0, "rtl_agree": None, "top1_rtl": None}
    if out is not None:
        res["confusion_png"] = _confusion_picture(res, out).name
        (out / EVAL_JSON).write_text(json.dumps(res, indent=1) + "\n")
    if args.json:
        print_json(res)
    else:
        _print(res, info)
    return 1 if res.get("rtl_disagree") else 0  # not rtl_agree: a rounded share


def _confusion_picture(res: dict[str, Any], out: Path) -> Path:
    """Draw the fixed-point model's confusion matrix to ``out/confusion.png``. A folder that
    holds only some of the model's classes has an ``(other)`` column: the picture is drawn
    square over the columns, the ``(other)`` row empty (no image is of another class)."""
    from fpgagen.report.plots import confusion_matrix_png

    rows, cols = res["confusion_labels"], res.get("confusion_columns", res["confusion_labels"])
    square = np.zeros((len(cols), len(cols)), dtype=np.int64)
    for label, counts in zip(rows, res["confusion"], strict=True):
        square[cols.index(label)] = counts
    return confusion_matrix_png(square, cols, out / CONFUSION_PNG,
                                f"golden fixed point ({res['precision_label']})")


def _reference_and_golden(graph: Graph, weights: Any, qgraph: QGraph, data: Dataset,
                          quiet: bool) -> tuple[np.ndarray, np.ndarray]:
    """(N, C) float logits of the reference and (N, C) int64 logits of the golden model."""
    from fpgagen.quant import golden, reference

    floats, ints = [], []
    with _bar(quiet, "float and fixed point", len(data)) as update:
        for i, x in enumerate(data.images):
            floats.append(reference.run(graph, weights, x)[graph.output].ravel())
            ints.append(golden.run(qgraph, qgraph.quantize_input(x))[graph.output].ravel())
            if update is not None:
                update(i + 1, len(data))
    return np.array(floats, dtype=np.float64), np.array(ints, dtype=np.int64)


def _share(hits: np.ndarray) -> float:
    return round(float(np.mean(hits)), 6) if len(hits) else 0.0


def _figures(data: Dataset, info: ModelInfo, qgraph: QGraph, float_logits: np.ndarray,
             fixed_ints: np.ndarray, outputs: int) -> dict[str, Any]:
    y = data.labels
    pred_fixed, pred_float = ranked(fixed_ints, 1)[:, 0], ranked(float_logits, 1)[:, 0]
    res: dict[str, Any] = {
        "model": qgraph.graph.name, "data": data.name, "precision": qgraph.precision.text,
        "precision_label": precision_label(qgraph.precision),
        "n": len(data), "classes": list(data.classes),
        "random_weights": info.random_weights,
        "top1_float": _share(topk_hits(float_logits, y, 1)),
        "top1_fixed": _share(topk_hits(fixed_ints, y, 1)),
    }
    if outputs > 5:
        res["top5_float"] = _share(topk_hits(float_logits, y, 5))
        res["top5_fixed"] = _share(topk_hits(fixed_ints, y, 5))
    res["drop_top1"] = round(res["top1_float"] - res["top1_fixed"], 6)
    res["fixed_float_top1_agree"] = _share(pred_fixed == pred_float)
    # rows: the true classes the data hold (all of the model's when it holds them all);
    # columns: the same, plus "(other)" when the data hold only some of them
    res["confusion"], rows = confusion(pred_fixed, y, outputs)
    res["confusion_float"], _ = confusion(pred_float, y, outputs)
    names = [data.classes[c] if c < len(data.classes) else str(c) for c in rows]
    res["confusion_labels"] = names
    res["confusion_columns"] = names + ([OTHER] if len(rows) < outputs else [])
    return res


def _rtl(args: argparse.Namespace, board: Any, engine: Any, qgraph: QGraph, data: Dataset,
         fixed_ints: np.ndarray, out: Path | None, quiet: bool) -> dict[str, Any]:
    """Build the design once, run the first ``args.rtl`` images through one simulator and
    compare each image's logits with the golden model's."""
    from fpgagen.cli.check import check_design, result_json
    from fpgagen.machine.memimage import values_to_hex
    from fpgagen.pipeline import make_design, write_design
    from fpgagen.verify import rtlbench

    n = args.rtl
    steps = Steps(quiet)
    result = check_design(qgraph.graph, board, parse_precision(args.precision), engine, True,
                          None)
    if not result.verdict.fits:
        raise FpgagenError(f"{qgraph.graph.name} does not fit {board.name} at "
                           f"{precision_label(qgraph.precision)} (see fpgagen check): no RTL "
                           "to simulate")
    with contextlib.ExitStack() as stack:
        if out is not None:
            build = out / "build"
            shutil.rmtree(build, ignore_errors=True)
        else:
            build = Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="fpgagen-eval-"))) / "build"
        with steps.step(f"build for {board.name} -> {build}"):
            design = make_design(result.plan, qgraph, result.verdict, result_json(result),
                                 data.images[0])
            build.mkdir(parents=True)
            write_design(build, design)
        work = build / "rtl_sim" / "eval"
        work.mkdir(parents=True)
        hexes = []
        for i in range(n):
            path = work / f"image_{i}.hex"
            values = qgraph.quantize_input(data.images[i]).ravel()
            path.write_text("\n".join(values_to_hex(values, qgraph.input_type.width)) + "\n")
            hexes.append(path)
        what = f"RTL simulation of {n} images (one Verilator build)"
        with (_bar(quiet, what, n) as update,
              steps.step(what) if update is None else contextlib.nullcontext()):
            runs = rtlbench.run_rtl_batch(build / "rtl", hexes, work, progress=update)
        if out is None or all(np.array_equal(r.logits, fixed_ints[i])
                              for i, r in enumerate(runs)):
            shutil.rmtree(work, ignore_errors=True)
    rtl_ints = np.array([r.logits for r in runs], dtype=np.int64)
    agree = [bool(np.array_equal(rtl_ints[i], fixed_ints[i])) for i in range(n)]
    res: dict[str, Any] = {
        "rtl_n": n, "rtl_agree": _share(np.array(agree)),
        "top1_rtl": _share(topk_hits(rtl_ints, data.labels[:n], 1)),
        **({"top5_rtl": _share(topk_hits(rtl_ints, data.labels[:n], 5))}
           if rtl_ints.shape[1] > 5 else {}),
        "rtl_disagree": [i for i, ok in enumerate(agree) if not ok],
        "rtl_cycles": [r.cycles for r in runs],
        "rtl_build_seconds": round(runs[0].build_seconds, 2),
        "rtl_run_seconds": round(sum(r.run_seconds for r in runs), 2),
        "pe": f"{result.plan.engine.p_in}x{result.plan.engine.p_out}",
    }
    if out is not None:
        res["build"] = str(build)
    return res


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
