"""``fpgagen info``: the per-layer table of a model (shapes, params, MACs) and totals."""

from __future__ import annotations

import argparse
from typing import Any

from fpgagen.cli.common import (
    add_json_arg,
    add_model_args,
    add_quiet_arg,
    console,
    fmt_int,
    model_from_args,
    print_json,
)
from fpgagen.cli.common import table as make_table
from fpgagen.frontend.graph import Graph, Layer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="per-layer shapes, params and MACs of a model")
    add_model_args(p)
    add_quiet_arg(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def _kernel_text(layer: Layer) -> str:
    if layer.op in ("conv", "maxpool"):
        text = f"{layer.kernel}x{layer.kernel}/{layer.stride}"
        return text + (f" p{layer.pad}" if layer.pad else "")
    return ""


def _op_text(layer: Layer) -> str:
    text = layer.op + ("+relu" if layer.relu else "")
    if layer.clipped:
        lo = "" if layer.clip_lo is None else f"{layer.clip_lo:g}"
        hi = "" if layer.clip_hi is None else f"{layer.clip_hi:g}"
        text += f"+clip[{lo},{hi}]"
    return text


def graph_summary(graph: Graph) -> dict[str, Any]:
    """The JSON form of a graph (also the ``info --json`` schema)."""
    return {
        "model": graph.name,
        "input_shape": list(graph.input_shape),
        "params": graph.total_params,
        "macs": graph.total_macs,
        "layers": [{"name": lay.name, "op": lay.op, "inputs": list(lay.inputs),
                    "kernel": lay.kernel if lay.op in ("conv", "maxpool") else None,
                    "stride": lay.stride if lay.op in ("conv", "maxpool") else None,
                    "pad": lay.pad if lay.op in ("conv", "maxpool") else None,
                    "relu": lay.relu,
                    "clip": [lay.clip_lo, lay.clip_hi] if lay.clipped else None,
                    "output_shape": list(graph.shape(lay.name)),
                    "params": graph.params(lay), "macs": graph.macs(lay)}
                   for lay in graph.layers],
    }


def run(args: argparse.Namespace) -> int:
    graph = model_from_args(args)
    if args.json:
        print_json(graph_summary(graph))
        return 0
    rows = [(lay.name, _op_text(lay), _kernel_text(lay),
             "x".join(map(str, graph.shape(lay.name))), fmt_int(graph.params(lay)),
             fmt_int(graph.macs(lay))) for lay in graph.layers]
    rows.append(("total", "", "", "", fmt_int(graph.total_params), fmt_int(graph.total_macs)))
    title = f"{graph.name}, input {'x'.join(map(str, graph.input_shape))} (HxWxC)"
    tab = make_table(title, ["layer", "op", "kernel", "output HxWxC", "params", "MACs"], rows,
                     right=("params", "MACs"))
    console().print(tab)
    return 0
