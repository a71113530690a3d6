"""The ``fpgagen`` command line: wires subcommands to the pipeline, turns user errors into one
line and exit 2.

Exit codes, for every subcommand: 0 success, 1 a negative verdict (does not fit, mismatch),
2 bad input or a tool that cannot run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .errors import FpgagenError

# Subcommands in help order; each is a module fpgagen/commands/<name>.py with register() and
# run(). A module that does not exist yet is skipped, so each command lands on its own.
COMMANDS = ("models", "boards", "info", "run", "check", "build", "verify", "synth")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump), exit 2, as for every user error."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"fpgagen: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fpgagen", description=(
        "Compile small CNNs (SqueezeNet, ZynqNet, ONNX) to fixed-point HLS C++ and Verilog for "
        "on-chip FPGA inference, and prove both bit-exact against a numpy golden model. "
        "Exit codes: 0 success, 1 a negative verdict (does not fit, mismatch), 2 bad input."))
    parser.add_argument("--version", action="version", version=f"fpgagen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        if importlib.util.find_spec(f"fpgagen.commands.{name}") is not None:
            importlib.import_module(f"fpgagen.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except FpgagenError as exc:
        sys.stderr.write(f"fpgagen: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("fpgagen: interrupted\n")
        return 130
