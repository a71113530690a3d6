"""The ``fpgagen`` command line: wires subcommands to the pipeline, turns user errors into one
line and exit 2.

Exit codes, for every subcommand: 0 success, 1 a negative verdict (does not fit, mismatch),
2 bad input or a tool that cannot run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import select
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from fpgagen import __version__
from fpgagen.errors import FpgagenError
from fpgagen.util.signals import Terminated, terminate_like_interrupt

# Subcommands in help order; each is a module fpgagen/cli/<name>.py with register() and
# run(). A module that does not exist yet is skipped, so each command lands on its own.
COMMANDS = ("models", "boards", "info", "run", "eval", "check", "build", "packweights", "verify",
            "synth", "explore", "cache")


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
        if importlib.util.find_spec(f"fpgagen.cli.{name}") is not None:
            importlib.import_module(f"fpgagen.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # a report's reproduce block
    try:
        with terminate_like_interrupt():
            code = int(args.func(args))
        sys.stdout.flush()  # a reader that went away shows here, not at interpreter exit
        return code
    except FpgagenError as exc:
        sys.stderr.write(f"fpgagen: error: {exc}\n")
        return 2
    except Terminated as exc:  # SIGTERM, SIGHUP: cleaned up as for Ctrl-C
        sys.stderr.write(f"fpgagen: terminated ({exc.name})\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("fpgagen: interrupted\n")
        return 130
    except BrokenPipeError:
        gone = [f for f in (sys.stdout, sys.stderr) if _reader_gone(f)]
        if not gone:
            raise  # some other pipe broke: a bug, keep its traceback
        for f in gone:
            _discard(f)
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # a full disk, a quota, a folder gone: the machine's, not ours
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"fpgagen: error: {exc.strerror or exc}{where}\n")
        return 2


# What a shell reports for a tool stopped by SIGPIPE (128 + 13), as `seq 100000 | head -1` does.
# Neither 0 nor 1: the output was cut short, so no verdict (not even "does not fit") was given.
EXIT_BROKEN_PIPE = 141


def _reader_gone(stream: TextIO) -> bool:
    """Whether ``stream`` is a pipe whose reading end was closed (``fpgagen ... | head -1``).

    Python ignores SIGPIPE, so such a write raises BrokenPipeError instead of ending the
    process quietly as a C tool would; poll() reports POLLERR on a pipe without readers.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a non-file (a test's capture)
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(ev & select.POLLERR for _, ev in poller.poll(0))


def _discard(stream: TextIO) -> None:
    """Point ``stream`` at /dev/null, so that the interpreter's final flush of the bytes still
    buffered cannot print a second BrokenPipeError ("Exception ignored ...") on the way out."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)
