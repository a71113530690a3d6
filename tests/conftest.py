"""Shared pytest fixtures and helpers."""

from __future__ import annotations

import pytest

from fpgagen.cli import main


@pytest.fixture
def cli(capsys):
    """Run the fpgagen CLI in-process; returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse errors and --help
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
