"""Shared pytest fixtures and helpers."""

from __future__ import annotations

import pytest

from fpgagen.cli.main import main
from fpgagen.errors import FpgagenError
from fpgagen.verify.verilator import require_simulator


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


def pytest_collection_modifyitems(config, items):
    """Tests marked ``long`` (minutes each: the ECP5 place-and-route, whole-network RTL
    simulations) run first, so that pytest-xdist's workers share them out instead of one worker
    finishing a 7-minute test alone at the end of CI. A stable sort: the rest keep their order."""
    del config
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
    for item in items:  # a test of minutes is a slow one too
        if item.get_closest_marker("long"):
            item.add_marker(pytest.mark.slow)


def pytest_collection_finish(session):
    """After -m / -k deselected what will not run: a selected test marked ``needs_sim``
    (cocotb + Verilator) without the simulator is an error naming what to install, not a skip:
    CI installs the sim extra, so a run without it is broken, and a skipped proof proves
    nothing."""
    if any(item.get_closest_marker("needs_sim") for item in session.items):
        try:
            require_simulator()
        except FpgagenError as exc:
            raise pytest.UsageError(f"tests marked needs_sim cannot run: {exc}") from None
