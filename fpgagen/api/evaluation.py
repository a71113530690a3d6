"""Accuracy on a data set, in float, in fixed point and in RTL (the ``eval`` command's work).

Every image of ``data`` (the digits test split, or an ImageFolder folder; ``limit`` takes the
first N) goes through the float reference and the integer golden model: top-1 (and top-5 when
the model has more than 5 classes) of both and the drop between them. With ``rtl`` N the
design is built once, its Verilog compiled once by Verilator, and the first N images run one
after the other through that one simulator (`fpgagen.verify.rtlbench.run_rtl_batch`): each
image's logits must equal the golden model's as integers (``rtl_agree``).

``out`` gets ``eval.json`` (the record's JSON), ``confusion.png`` and, with ``rtl``, the build
the RTL ran (``out/build``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.api.checking import check_design, result_json
from fpgagen.api.design import DEFAULT_BOARD, Design, ProgressBar, _no_bar
from fpgagen.api.inputs import Calibration, load_data
from fpgagen.api.models import Weights
from fpgagen.api.records import Record, _attach
from fpgagen.errors import FpgagenError
from fpgagen.frontend.datasets import Dataset
from fpgagen.frontend.graph import Graph
from fpgagen.frontend.labels import ModelInfo
from fpgagen.plan.boards import Board
from fpgagen.plan.engine import EngineConfig
from fpgagen.quant.accuracy import OTHER, confusion, ranked, topk_hits
from fpgagen.quant.precision import Precision, precision_label
from fpgagen.quant.quantize import DEFAULT_CALIB_HEADROOM, QGraph
from fpgagen.util.progress import Steps

EVAL_JSON = "eval.json"
CONFUSION_PNG = "confusion.png"

# a progress bar per phase: bars(what, total) is a context manager yielding update(done,
# total), or None for no bar
Bars = Callable[[str, int], AbstractContextManager[Callable[[int, int], None] | None]]


@contextlib.contextmanager
def no_bars(what: str, total: int) -> Iterator[None]:
    del what, total
    yield None


class Evaluation(Record):
    """``eval --json``: top-1 (top-5) of float, fixed point and RTL, the drop, the confusion
    matrices. ``.float_logits`` (N, C) and ``.fixed_logits`` (N, C, integers) are the raw
    outputs."""

    __slots__ = ("fixed_logits", "float_logits")


def check_classes(data: Dataset, info: ModelInfo, outputs: int) -> None:
    """The data set's classes must be the model's (by name when it has names)."""
    if info.labels is not None and data.classes != info.labels[:len(data.classes)]:
        raise FpgagenError(f"labels mismatch: {data.name}'s classes ({', '.join(data.classes[:4])}"
                           f", ...) are not the model's ({', '.join(info.labels[:4])}, ...)")
    if len(data.classes) > outputs:
        raise FpgagenError(f"{data.name} has {len(data.classes)} classes, the model only "
                           f"{outputs} outputs")


def _out_dir(target: str | Path | None) -> Path | None:
    if target is None:
        return None
    out = Path(target)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FpgagenError(f"cannot create {out}: {exc.strerror}") from None
    return out


def evaluate(model: str | Path | Design, data: str | Path = "digits", *,
             precision: str | Precision | None = "8", board: str | Board = DEFAULT_BOARD,
             pe: str | EngineConfig | None = None, limit: int | None = None, rtl: int = 0,
             out: str | Path | None = None, input_size: int | None = None,
             weights: Weights = "random", seed: int = 0, calib: Calibration = None,
             calib_images: int | None = None, calib_headroom: int = DEFAULT_CALIB_HEADROOM,
             steps: Steps | None = None, bars: Bars = no_bars,
             calibrating: ProgressBar | None = None) -> Evaluation:
    """The accuracy of a model (or a `Design`, which then gives the board, engine, precision
    and quantization) on ``data``: ``eval --json`` (docs/reference.md#eval)."""
    if rtl < 0:
        raise FpgagenError(f"--rtl takes a number of images (0 or more), got {rtl}")
    if isinstance(model, Design):
        design = model
    else:
        design = Design(model, board, precision, pe, input_size=input_size, weights=weights,
                        seed=seed, calib=calib, calib_images=calib_images,
                        calib_headroom=calib_headroom)
    if rtl:
        from fpgagen.verify.simcache import sim_cache
        from fpgagen.verify.verilator import require_simulator

        require_simulator()  # before any work: one line saying what to install
        sim_cache()  # and a bad FPGAGEN_CACHE_MAX, one line too
    folder = _out_dir(out)
    graph, arrays, info = design.graph, design.weights, design.info
    dataset = load_data(data, graph, info, split="test").head(limit)
    outputs = graph.shape(graph.output)[-1]
    check_classes(dataset, info, outputs)
    if rtl > len(dataset):
        raise FpgagenError(f"--rtl {rtl} is more than the {len(dataset)} images of "
                           f"{dataset.name}" + (" (--limit)" if limit else ""))
    with (calibrating or _no_bar)() as update:
        qgraph = design.quantize(update)
    float_logits, fixed_ints = reference_and_golden(graph, arrays, qgraph, dataset, bars)
    res = figures(dataset, info, qgraph, float_logits, fixed_ints, outputs)
    res |= {"board": design.board.name if rtl else None}
    if rtl:
        res |= _rtl(design, rtl, qgraph, dataset, fixed_ints, folder, steps or Steps(True),
                    bars)
    else:
        res |= {"rtl_n": 0, "rtl_agree": None, "top1_rtl": None}
    if folder is not None:
        res["confusion_png"] = _confusion_picture(res, folder).name
        (folder / EVAL_JSON).write_text(json.dumps(res, indent=1) + "\n")
    rec = Evaluation(res)
    _attach(rec, float_logits=float_logits, fixed_logits=fixed_ints)
    return rec


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


def reference_and_golden(graph: Graph, weights: Mapping[str, np.ndarray], qgraph: QGraph,
                         data: Dataset, bars: Bars = no_bars
                         ) -> tuple[np.ndarray, np.ndarray]:
    """(N, C) float logits of the reference and (N, C) int64 logits of the golden model."""
    from fpgagen.quant import golden, reference

    floats, ints = [], []
    with bars("float and fixed point", len(data)) as update:
        for i, x in enumerate(data.images):
            floats.append(reference.run(graph, weights, x)[graph.output].ravel())
            ints.append(golden.run(qgraph, qgraph.quantize_input(x))[graph.output].ravel())
            if update is not None:
                update(i + 1, len(data))
    return np.array(floats, dtype=np.float64), np.array(ints, dtype=np.int64)


def share(hits: np.ndarray) -> float:
    return round(float(np.mean(hits)), 6) if len(hits) else 0.0


def figures(data: Dataset, info: ModelInfo, qgraph: QGraph, float_logits: np.ndarray,
            fixed_ints: np.ndarray, outputs: int) -> dict[str, Any]:
    y = data.labels
    pred_fixed, pred_float = ranked(fixed_ints, 1)[:, 0], ranked(float_logits, 1)[:, 0]
    res: dict[str, Any] = {
        "model": qgraph.graph.name, "data": data.name, "precision": qgraph.precision.text,
        "precision_label": precision_label(qgraph.precision),
        "n": len(data), "classes": list(data.classes),
        "random_weights": info.random_weights,
        "top1_float": share(topk_hits(float_logits, y, 1)),
        "top1_fixed": share(topk_hits(fixed_ints, y, 1)),
    }
    if outputs > 5:
        res["top5_float"] = share(topk_hits(float_logits, y, 5))
        res["top5_fixed"] = share(topk_hits(fixed_ints, y, 5))
    res["drop_top1"] = round(res["top1_float"] - res["top1_fixed"], 6)
    res["fixed_float_top1_agree"] = share(pred_fixed == pred_float)
    # rows: the true classes the data hold (all of the model's when it holds them all);
    # columns: the same, plus "(other)" when the data hold only some of them
    res["confusion"], rows = confusion(pred_fixed, y, outputs)
    res["confusion_float"], _ = confusion(pred_float, y, outputs)
    names = [data.classes[c] if c < len(data.classes) else str(c) for c in rows]
    res["confusion_labels"] = names
    res["confusion_columns"] = names + ([OTHER] if len(rows) < outputs else [])
    return res


def _rtl(design: Design, n: int, qgraph: QGraph, data: Dataset, fixed_ints: np.ndarray,
         out: Path | None, steps: Steps, bars: Bars) -> dict[str, Any]:
    """Build the design once, run the first ``n`` images through one simulator and compare
    each image's logits with the golden model's."""
    from fpgagen.machine.memimage import values_to_hex
    from fpgagen.pipeline import make_design, write_design
    from fpgagen.verify import rtlbench

    board = design.board
    result = check_design(qgraph.graph, board, design.precision, design.engine, True, None)
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
            made = make_design(result.plan, qgraph, result.verdict, result_json(result),
                               data.images[0])
            build.mkdir(parents=True)
            write_design(build, made)
        work = build / "rtl_sim" / "eval"
        work.mkdir(parents=True)
        hexes = []
        for i in range(n):
            path = work / f"image_{i}.hex"
            values = qgraph.quantize_input(data.images[i]).ravel()
            path.write_text("\n".join(values_to_hex(values, qgraph.input_type.width)) + "\n")
            hexes.append(path)
        what = f"RTL simulation of {n} images (one Verilator build)"
        with (bars(what, n) as update,
              steps.step(what) if update is None else contextlib.nullcontext()):
            runs = rtlbench.run_rtl_batch(build / "rtl", hexes, work, progress=update)
        if out is None or all(np.array_equal(r.logits, fixed_ints[i])
                              for i, r in enumerate(runs)):
            shutil.rmtree(work, ignore_errors=True)
    rtl_ints = np.array([r.logits for r in runs], dtype=np.int64)
    agree = [bool(np.array_equal(rtl_ints[i], fixed_ints[i])) for i in range(n)]
    res: dict[str, Any] = {
        "rtl_n": n, "rtl_agree": share(np.array(agree)),
        "top1_rtl": share(topk_hits(rtl_ints, data.labels[:n], 1)),
        **({"top5_rtl": share(topk_hits(rtl_ints, data.labels[:n], 5))}
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
