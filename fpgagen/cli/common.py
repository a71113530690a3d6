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

from fpgagen.api.models import is_onnx, load_network
from fpgagen.api.models import model_info as api_model_info
from fpgagen.api.models import onnx_path as api_onnx_path
from fpgagen.api.models import weights_described as api_weights_described
from fpgagen.frontend.graph import Graph
from fpgagen.frontend.labels import ModelInfo
from fpgagen.util.progress import PipeConsole


def add_model_args(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """``--model`` (zoo name or alias) and ``--input-size``."""
    parser.add_argument("--model", "-m", default=default, required=default is None,
                        help="zoo model (squeezenet, squeezenet1_0, squeezenet1_1, "
                             "squeezenet1_0_bypass, zynqnet, digits), a path to an .onnx "
                             "file or a SqueezeNet family spec (squeezenet:sr=0.25,...)"
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
    return is_onnx(name)


def onnx_path(name: str) -> str | Path | None:
    """The ONNX file behind ``--model``: the path itself, a trained zoo model's file, or None
    (a graph fpgagen builds: a zoo graph or a family spec, with --weights)."""
    return api_onnx_path(name)


def model_info(args: argparse.Namespace, graph: Graph) -> ModelInfo:
    """Class names, preprocessing and weight provenance of ``--model``
    (fpgagen/frontend/labels.py)."""
    return api_model_info(args.model, graph, getattr(args, "weights", "random"))


def model_from_args(args: argparse.Namespace) -> Graph:
    """The Graph named by ``--model`` (zoo name, .onnx path or family spec) at
    ``--input-size``."""
    return network_from_args(args, with_weights=False)[0]


def network_from_args(args: argparse.Namespace, with_weights: bool = True
                      ) -> tuple[Graph, Mapping[str, np.ndarray] | None]:
    """The Graph and its float weights, from ``--model`` plus ``--weights``/``--seed``
    (fpgagen/api/models.py `load_network`)."""
    return load_network(args.model, getattr(args, "input_size", None),
                        getattr(args, "weights", "random"), getattr(args, "seed", 0),
                        with_weights)


def weights_described(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Where ``--model``'s weights came from, and the model file (an ONNX model, or None), for
    the report's reproduce block (fpgagen/api/models.py `weights_described`)."""
    return api_weights_described(args.model, getattr(args, "weights", "random"),
                                 getattr(args, "seed", 0))


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
