"""Shared pytest-side helper: build one hw/ module with Verilator and run its cocotb test.

Each ``sim/<module>/test_<module>.py`` holds the cocotb test (a coroutine named ``run_test``,
so pytest never collects it) and a pytest function that calls :func:`run_module` once per
parameter set. Builds go to the simulator cache (``$FPGAGEN_CACHE``, capped by
``$FPGAGEN_CACHE_MAX``; `fpgagen.verify.simbuild`), one entry per module, parameter set and
source contents, so parameter sets never share objects and an unchanged set is not rebuilt.
Test parameters reach the cocotb side via the ``FG_PARAMS`` environment variable (JSON), read
back with :func:`params`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from fpgagen.rtl.hwfiles import hw_sources
from fpgagen.verify.cocotbrun import run_cocotb

SIM_DIR = Path(__file__).resolve().parent


def run_module(
    toplevel: str,
    test_file: str,
    parameters: Mapping[str, object] | None = None,
    sources: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    seed: int | None = None,
    timing: bool = False,
) -> None:
    """Build ``hw/<toplevel>.v`` (+ *sources*, module names in hw/) and run the cocotb tests.

    *timing* builds with ``--timing``. Fails (AssertionError) when any cocotb test fails or
    none ran.
    """
    parameters = dict(parameters or {})
    env = {"FG_PARAMS": json.dumps(parameters), **(extra_env or {})}
    srcs = hw_sources(*sources, toplevel)
    res = run_cocotb(
        toplevel=toplevel,
        sources=srcs,
        timing=timing,
        test_module=Path(test_file).stem,
        parameters=parameters,
        build_args=["-Wall"],
        extra_env=env,
        python_paths=[Path(test_file).resolve().parent, SIM_DIR],
        seed=seed,
    )
    assert res.tests > 0, f"no cocotb tests ran for {toplevel} ({res.results_xml})"
    assert res.failed == 0, (f"{res.failed} of {res.tests} cocotb tests failed for {toplevel} "
                             f"{parameters} (log: {res.results_xml})")


def params() -> dict:
    """The parameter set of the running simulation (cocotb side)."""
    return json.loads(os.environ.get("FG_PARAMS", "{}"))
