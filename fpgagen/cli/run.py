"""``fpgagen run``: one image through the fixed-point golden model and the float reference.

Prints the top-5 classes of both (with their names when the model has them, and a plain note
when the weights are the seeded random ones, whose names mean nothing), the SQNR of every layer
(dequantized golden vs float, in dB) and whether the top-1 classes agree: the first rung of the
verification ladder (docs/design.md §5 (Verification)).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from fpgagen.cli.common import (
    add_json_arg,
    add_model_args,
    add_weights_args,
    console,
    model_info,
    network_from_args,
    print_json,
)
from fpgagen.cli.common import table as make_table
from fpgagen.cli.quantargs import add_input_arg, add_quant_args, load_input, quantize_from_args
from fpgagen.frontend.graph import INPUT
from fpgagen.frontend.labels import RANDOM_WEIGHTS_NOTE, ModelInfo
from fpgagen.quant.precision import precision_label
from fpgagen.quant.quality import layer_sqnr
from fpgagen.quant.quantize import QGraph


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run", help="run one image through the fixed-point golden model and the float reference",
        description="Quantize a model (calibrating on --calib or seeded synthetic images), run "
                    "one image through the integer golden model and the float reference, and "
                    "print both top-5, the per-layer SQNR in dB and top-1 agreement.")
    add_model_args(p)
    add_weights_args(p)
    add_input_arg(p)
    add_quant_args(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def _top5(logits: np.ndarray) -> list[int]:
    return [int(i) for i in np.argsort(-logits, kind="stable")[:5]]


def evaluate(qgraph: QGraph, weights: Any, x: np.ndarray) -> dict[str, Any]:
    """Golden and float outputs of one image, summarized (the ``--json`` schema)."""
    from fpgagen.quant import golden, reference

    graph = qgraph.graph
    fixed, saturated = golden.run_counted(qgraph, qgraph.quantize_input(x))
    saturated = {INPUT: qgraph.input_out_of_range(x), **saturated}
    ref = reference.run(graph, weights, x)
    names = [INPUT, *(lay.name for lay in graph.layers)]
    sqnr = layer_sqnr(qgraph, ref, fixed, names)
    lf = qgraph.dequantize(graph.output, fixed[graph.output]).ravel()
    lr = ref[graph.output].astype(np.float64).ravel()
    top_fixed, top_float = _top5(lf), _top5(lr)
    return {
        "model": graph.name,
        "precision": qgraph.precision.text,
        "precision_label": precision_label(qgraph.precision),
        "input_type": str(qgraph.input_type),
        "output_type": str(qgraph.output_type),
        "top5_fixed": top_fixed,
        "top5_float": top_float,
        "top1_agree": top_fixed[0] == top_float[0],
        "logits_fixed": [float(v) for v in lf],
        "logits_float": [float(v) for v in lr],
        "types": {n: str(qgraph.type(n)) for n in names},
        "sqnr_db": {n: (None if math.isinf(v) else round(v, 3)) for n, v in sqnr.items()},
        "calib_headroom_bits": qgraph.headroom,
        "saturated": saturated,
        "elements": {n: int(fixed[n].size) for n in names},
    }


def _fmt_db(v: float | None) -> str:
    return "exact" if v is None else f"{v:.1f}"


def _fmt_sat(count: int, size: int) -> str:
    return "0" if not count else f"{count:,} ({100 * count / max(1, size):.1f} %)"


def _named(index: int, info: ModelInfo) -> str:
    name = info.name(index)
    return f"{index} {name}" if name and name != str(index) else str(index)


def run(args: argparse.Namespace) -> int:
    graph, weights = network_from_args(args)
    info = model_info(args, graph)
    x = load_input(args.input, graph, args.seed, info.preprocess)
    qgraph = quantize_from_args(args, graph, weights)
    res = evaluate(qgraph, weights, x)
    res["names_fixed"] = [info.name(i) for i in res["top5_fixed"]] if info.labels else None
    res["names_float"] = [info.name(i) for i in res["top5_float"]] if info.labels else None
    res["random_weights"] = info.random_weights
    if args.json:
        print_json(res)
        return 0
    con = console()
    con.print(f"{graph.name}, precision {res['precision_label']}: input {res['input_type']}, "
              f"logits {res['output_type']}")
    if info.random_weights:
        con.print(f"[yellow]note[/]: {RANDOM_WEIGHTS_NOTE}")
    lf, lr = res["logits_fixed"], res["logits_float"]
    rows = [(k + 1, _named(cf, info), f"{lf[cf]:.4f}", _named(cr, info), f"{lr[cr]:.4f}")
            for k, (cf, cr) in enumerate(zip(res["top5_fixed"], res["top5_float"], strict=True))]
    con.print(make_table("top-5", ["rank", "fixed class", "fixed logit", "float class",
                                   "float logit"], rows,
                         right=("rank", "fixed logit", "float logit")))
    sat, size = res["saturated"], res["elements"]
    rows = [(n, res["types"][n], _fmt_db(v), _fmt_sat(sat[n], size[n]))
            for n, v in res["sqnr_db"].items()]
    con.print(make_table("SQNR per layer (fixed vs float), saturated outputs",
                         ["layer", "type", "SQNR dB", "saturated"], rows,
                         right=("SQNR dB", "saturated")))
    hot = [n for n in sat if sat[n]]
    if hot:
        con.print(f"[yellow]saturation[/] in {len(hot)} of {len(sat)} tensors "
                  f"({', '.join(hot[:5])}{', ...' if len(hot) > 5 else ''}): this image goes "
                  "beyond the calibration images' range; calibrate on images like it (--calib) "
                  f"or give more headroom (--calib-headroom, now {res['calib_headroom_bits']})")
    agree = "yes" if res["top1_agree"] else "no"
    con.print(f"top-1 agreement: {agree} (fixed {_named(res['top5_fixed'][0], info)}, "
              f"float {_named(res['top5_float'][0], info)})")
    return 0
