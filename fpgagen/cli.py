"""The ``fpgagen`` command line: wires subcommands to the pipeline, turns user errors into one
line and exit 2.

Exit codes, for every subcommand: 0 success, 1 a negative verdict (does not fit, mismatch),
2 bad input or a tool that cannot run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .commands import boards, info, models
from .errors import FpgagenError

COMMANDS = (models, boards, info)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump), exit 2, as for every user error."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"fpgagen: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fpgagen", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"fpgagen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in COMMANDS:
        command.register(sub)
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
