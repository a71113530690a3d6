"""pytest glue for the cocotb/Verilator suite: make sim/ importable, skip when no simulator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SIM_DIR = Path(__file__).resolve().parent
if str(SIM_DIR) not in sys.path:
    sys.path.insert(0, str(SIM_DIR))


def _sim_missing() -> str | None:
    try:
        import cocotb  # noqa: F401
        import cocotbext.axi  # noqa: F401
    except ImportError as exc:
        return f"cocotb/cocotbext-axi not installed ({exc.name}); pip install '.[sim]'"
    from fpgagen.errors import FpgagenError
    from fpgagen.verify.verilator import find_verilator

    try:
        find_verilator()
    except FpgagenError as exc:
        return str(exc)
    return None


def pytest_collection_modifyitems(config, items):
    reason = None
    checked = False
    for item in items:
        if SIM_DIR in Path(str(item.fspath)).resolve().parents:
            if not checked:
                reason, checked = _sim_missing(), True
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
