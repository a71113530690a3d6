"""``fpgagen run``: one image through the fixed-point golden model and the float reference.

Prints the top-5 classes of both (with their names when the model has them, and a plain note
when the weights are the seeded random ones, whose names mean nothing), the SQNR of every layer
(dequantized golden vs float, in dB) and whether the top-1 classes agree: the first rung of the
verification ladder (docs/design.md §5 (Verification)).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from fpgagen.api.design import prediction_json
from fpgagen.cli.common import add_json_arg, add_model_args, add_weights_args, console, print_json
from fpgagen.cli.common import table as make_table
from fpgagen.cli.quantargs import (
    add_input_arg,
    add_quant_args,
    calibration_bar,
    design_from_args,
)
from fpgagen.frontend.labels import RANDOM_WEIGHTS_NOTE, ModelInfo
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


def evaluate(qgraph: QGraph, weights: Any, x: np.ndarray) -> dict[str, Any]:
    """Golden and float outputs of one image, summarized (the ``--json`` schema without the
    class names; fpgagen/api/design.py `prediction_json`)."""
    return prediction_json(qgraph, weights, x)[0]


def _fmt_db(v: float | None) -> str:
    return "exact" if v is None else f"{v:.1f}"


def _fmt_sat(count: int, size: int) -> str:
    return "0" if not count else f"{count:,} ({100 * count / max(1, size):.1f} %)"


def _named(index: int, info: ModelInfo) -> str:
    name = info.name(index)
    return f"{index} {name}" if name and name != str(index) else str(index)


def run(args: argparse.Namespace) -> int:
    design = design_from_args(args)
    design.weights  # noqa: B018 - read now: a bad weights file fails before the image is read
    graph, info = design.graph, design.info
    x = design.input(args.input)
    with calibration_bar(args.quiet) as update:
        res = design.predict(x, progress=update).to_json()
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
