"""Arguments and helpers shared by several subcommands: model, board, JSON output, tables."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from ..errors import FpgagenError
from ..graph import Graph
from ..zoo import load_model


def add_model_args(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """``--model`` (zoo name or alias) and ``--input-size``."""
    parser.add_argument("--model", "-m", default=default, required=default is None,
                        help="zoo model (squeezenet, squeezenet1_0, squeezenet1_1, "
                             "squeezenet1_0_bypass, zynqnet)"
                             + (f"; default {default}" if default else ""))
    parser.add_argument("--input-size", type=_positive_int, default=None, metavar="N",
                        help="square input size in pixels (default: the model's own)")


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def model_from_args(args: argparse.Namespace) -> Graph:
    """The Graph named by ``--model`` at ``--input-size``."""
    name: str = args.model
    if name.lower().endswith(".onnx"):
        raise FpgagenError("ONNX models are not supported yet (zoo models only)")
    return load_model(name, args.input_size)


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")


def console() -> Console:
    """A console for human output; wide enough that tables are not folded in CI logs."""
    probe = Console()
    return Console(width=probe.width if probe.is_terminal else 160, highlight=False)


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
