"""Arguments and helpers shared by several subcommands: model, board, JSON output, tables."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import Graph
from fpgagen.frontend.labels import ModelInfo, onnx_info, zoo_info
from fpgagen.frontend.zoo import load_model, zoo_entry
from fpgagen.util.progress import PipeConsole


def add_model_args(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """``--model`` (zoo name or alias) and ``--input-size``."""
    parser.add_argument("--model", "-m", default=default, required=default is None,
                        help="zoo model (squeezenet, squeezenet1_0, squeezenet1_1, "
                             "squeezenet1_0_bypass, zynqnet, digits) or a path to an .onnx "
                             "file"
                             + (f"; default {default}" if default else ""))
    parser.add_argument("--input-size", type=_positive_int, default=None, metavar="N",
                        help="square input size in pixels (default: the model's own)")


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def add_quiet_arg(parser: argparse.ArgumentParser) -> None:
    """``-q``, which every command takes (so that scripts can pass it to all of them); a
    command without progress output has nothing to silence."""
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress display (this command shows none)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def add_weights_args(parser: argparse.ArgumentParser) -> None:
    """``--weights random|FILE.npz`` and ``--seed`` (zoo models; ONNX files carry weights)."""
    parser.add_argument("--weights", default="random", metavar="random|FILE.npz",
                        help="seeded random He-normal weights (default) or an .npz with "
                             "<layer>.weight (HWIO) and <layer>.bias arrays")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for random weights and synthetic calibration (default 0)")


def _is_onnx(name: str) -> bool:
    return name.lower().endswith(".onnx")


def onnx_path(name: str) -> str | Path | None:
    """The ONNX file behind ``--model``: the path itself, a trained zoo model's file, or None
    (a zoo graph with --weights)."""
    if _is_onnx(name):
        return name
    return zoo_entry(name).onnx_path


def model_info(args: argparse.Namespace, graph: Graph) -> ModelInfo:
    """Class names, preprocessing and weight provenance of ``--model``
    (fpgagen/frontend/labels.py)."""
    classes = graph.shape(graph.output)[-1]
    path = onnx_path(args.model)
    if path is not None:
        return onnx_info(path, classes)
    return zoo_info(classes, getattr(args, "weights", "random") == "random")


def model_from_args(args: argparse.Namespace) -> Graph:
    """The Graph named by ``--model`` (zoo name or .onnx path) at ``--input-size``."""
    return network_from_args(args, with_weights=False)[0]


def network_from_args(args: argparse.Namespace, with_weights: bool = True
                      ) -> tuple[Graph, Mapping[str, np.ndarray] | None]:
    """The Graph and its float weights, from ``--model`` plus ``--weights``/``--seed``.

    An ONNX file brings its own weights (its initializers); a zoo model takes random seeded
    weights or an .npz. Weights are only made when asked for: ``info`` and ``check`` need
    shapes and widths, not values.
    """
    name: str = args.model
    path = onnx_path(name)
    if path is not None:
        from fpgagen.frontend.onnx_import import load_onnx  # optional dependency: the onnx extra

        what = "ONNX models" if _is_onnx(name) else f"the trained zoo model {name}"
        if getattr(args, "input_size", None) is not None:
            raise FpgagenError(f"--input-size does not apply to {what} (their input "
                               "shape is in the file)")
        graph, weights = load_onnx(path)
        if getattr(args, "weights", "random") != "random":
            raise FpgagenError(f"--weights does not apply to {what} (their weights are "
                               "in the file)")
        return graph, (weights if with_weights else None)
    graph = load_model(name, getattr(args, "input_size", None))
    if not with_weights:
        return graph, None
    from fpgagen.frontend.weights import load_weights, random_weights

    source = getattr(args, "weights", "random")
    if source == "random":
        return graph, random_weights(graph, getattr(args, "seed", 0))
    return graph, load_weights(source, graph)


def weights_described(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Where ``--model``'s weights came from, and the model file (an ONNX model, or None), for
    the report's reproduce block: seeded random (``random`` true), an .npz, or an ONNX file's
    initializers, each file with its SHA-256."""
    from fpgagen.report.provenance import file_fact

    path = onnx_path(args.model)
    if path is not None:
        model = file_fact(path)
        return {"source": "onnx", "random": False,
                "description": "the ONNX model's initializers", **model}, model
    source = getattr(args, "weights", "random")
    seed = getattr(args, "seed", 0)
    if source == "random":
        return {"source": "random", "random": True, "seed": seed,
                "description": f"seeded random He-normal weights (seed {seed}), not trained"}, None
    return {"source": "file", "random": False, "description": "an .npz weights file",
            **file_fact(source)}, None


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")


def console() -> PipeConsole:
    """A console for human output; wide enough that tables are not folded in CI logs."""
    probe = PipeConsole()
    return PipeConsole(width=probe.width if probe.is_terminal else 160, highlight=False)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
          right: Sequence[str] = ()) -> Table:
    """A rich table; columns named in ``right`` are right-aligned (numbers)."""
    tab = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        tab.add_column(col, justify="right" if col in right else "left")
    for row in rows:
        tab.add_row(*(str(v) for v in row))
    return tab


def fmt_int(n: int) -> str:
    return f"{n:,}"
