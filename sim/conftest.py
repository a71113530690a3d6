"""pytest glue for the cocotb/Verilator suite: make sim/ importable, and refuse to run it without
a simulator.

A missing cocotb, cocotbext-axi or Verilator is an error at collection naming what to install,
not a skip: a skipped proof proves nothing, and CI (.ci/run) installs the sim extra, so a run
that lacks it is broken, not partial. The check runs when pytest loads this file, before any
sim test module is imported (they import cocotb at the top): ``pytest`` and ``pytest sim/...``
need the simulator, ``pytest tests`` does not.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.verify.verilator import require_simulator

SIM_DIR = Path(__file__).resolve().parent
if str(SIM_DIR) not in sys.path:
    sys.path.insert(0, str(SIM_DIR))


def sim_missing() -> str | None:
    """Why the sim tests cannot run here, or None."""
    try:
        require_simulator()
    except FpgagenError as exc:
        return str(exc)
    try:
        import cocotbext.axi  # noqa: F401
    except ImportError as exc:
        return (f"cocotbext-axi is missing ({exc.name}): install the sim extra "
                "(pip install -e '.[sim]')")
    return None


def pytest_configure(config):
    """At start-up, before anything in sim/ is collected (its test modules import cocotb), as
    soon as this file is loaded (by ``pytest``, ``pytest sim/...``): a usage error, one line."""
    del config
    reason = sim_missing()
    if reason:
        raise pytest.UsageError(f"the RTL simulation tests in {SIM_DIR} cannot run: {reason}")


# The module benches (sim/fg_*/, sim/fpgagen_top/) and the Yosys gate each build with Verilator
# or synthesize: seconds to minutes each, so all of them are in the slow tier; the plumbing
# tests of test_rtlsim.py and the lint gate mark themselves.
_SLOW_PARTS = ("fpgagen_top", "test_hw_synth.py")


def pytest_collection_modifyitems(config, items):
    del config
    for item in items:
        path = Path(str(item.fspath)).resolve()
        if SIM_DIR not in path.parents:
            continue
        part = path.relative_to(SIM_DIR).parts[0]
        if part.startswith("fg_") or part in _SLOW_PARTS:
            item.add_marker(pytest.mark.slow)
