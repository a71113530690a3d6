"""Build a design with Verilator into the simulator cache, so that each design is compiled once
and cocotb's runner only has to run it.

The build is cocotb's documented flow for a build step of one's own (cocotb docs, "Extending
Existing Build Flows", Verilator): ``verilator`` with ``--vpi --public-flat-rw --prefix Vtop``,
``-LDFLAGS`` naming cocotb's VPI library (``cocotb-config --lib-dir``) and cocotb's
``verilator.cpp`` (``cocotb-config --share``), then ``make -f Vtop.mk``; the simulator is
``<build dir>/<toplevel>``, which `cocotb_tools.runner.Runner.test` runs given ``build_dir``.
Running the two steps here rather than inside ``Runner.build`` gives a place between them,
without touching cocotb's private methods, for the one thing that makes small builds fast:

Verilator's runtime objects (``verilated*.o``) depend only on the Verilator install and the
build flags, never on the design, and are ~85% of a small build's C++ compile time. They are
compiled once per flag set into a cache entry ``verilated-<tag>`` and copied into each new
build folder after ``verilator`` wrote ``Vtop.mk`` (verilated.mk makes them depend on it), so
make finds them up to date.

A build is a cache entry ``<toplevel>-<tag>`` keyed by everything that goes into it: the
sources' names and contents (copied into the entry: where the design came from does not
matter, and a folder that is deleted after the run, as tests' are, reuses the build), the
parameters, the flags, the environment's CXXFLAGS and the toolchain (Verilator, cocotb). So a
finished build never changes: a ``built`` marker written after make succeeded is all a later
run checks. Building holds an exclusive lock in the entry (one process compiles, the others
wait and then find it built); the entry is held in use for the whole `cached_build` block, so
the cache's eviction (run after every use) never removes it from under a running simulator.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shlex
import shutil
import subprocess
import sysconfig
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fpgagen.errors import FpgagenError
from fpgagen.util.locking import file_lock
from fpgagen.util.lrudir import LruDir
from fpgagen.verify.simcache import open_sim_cache
from fpgagen.verify.verilator import INSTALL_HINT, find_verilator, make_fixes

log = logging.getLogger(__name__)

TIMESCALE = "1ns/1ps"
BUILT = "built"  # marker in an entry: make finished, the simulator is complete
# compiled once per Verilator install and flag set, seeded into every new build folder
RUNTIME_OBJS = (
    "verilated", "verilated_dpi", "verilated_vpi", "verilated_threads", "verilated_timing",
)


class BuildError(RuntimeError):
    """Verilator or make failed on a design (their output went to this process's stdout)."""


@dataclass(frozen=True)
class Build:
    """A finished build: the simulator is ``build_dir / toplevel``."""

    toplevel: str
    build_dir: Path
    compiled: bool = False  # compiled by this use (False: found in the cache)

    @property
    def entry(self) -> Path:
        """The cache entry holding the build (sources, objects, run folders)."""
        return self.build_dir.parent


def param_tag(parameters: Mapping[str, object]) -> str:
    """Short stable hash of a parameter set (any JSON-able mapping), order-free."""
    text = json.dumps({k: str(v) for k, v in sorted(parameters.items())})
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _cocotb_config(flag: str) -> str:
    """``cocotb-config FLAG``: the documented way to ask cocotb where its files are. The
    script beside this interpreter first (a venv used without activating it), else PATH."""
    exe = Path(sysconfig.get_path("scripts")) / "cocotb-config"
    cmd = str(exe) if exe.is_file() else shutil.which("cocotb-config")
    if cmd is None:
        raise FpgagenError(f"cocotb-config not found: {INSTALL_HINT}")
    proc = subprocess.run([cmd, flag], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise FpgagenError(f"cocotb-config {flag} failed: {proc.stderr.strip()[:200]}")
    return proc.stdout.strip()


@cache
def cocotb_dirs() -> tuple[Path, Path]:
    """(cocotb's interface library folder, cocotb's share folder)."""
    return Path(_cocotb_config("--lib-dir")), Path(_cocotb_config("--share"))


def _toolchain() -> dict[str, object]:
    """What identifies the tools a build was made with (a folder made by another Verilator or
    cocotb holds make rules and a link naming that install's files)."""
    import cocotb  # the sim extra; callers checked for it (require_simulator)

    inst = find_verilator()
    return {"verilator": str(inst.executable), "version": inst.version,
            "cocotb": str(Path(cocotb.__file__).resolve().parent),
            "cocotb_version": cocotb.__version__, "make": make_fixes(),
            "cxxflags": os.environ.get("CXXFLAGS", "")}


def build_key(toplevel: str, sources: Sequence[Path], parameters: Mapping[str, object],
              build_args: Sequence[str], waves: bool) -> str:
    """The cache entry name of a build: the toplevel and a hash of all its inputs."""
    h = hashlib.sha1(json.dumps({"toolchain": _toolchain(), "top": toplevel,
                                 "params": {k: str(v) for k, v in parameters.items()},
                                 "args": list(build_args), "waves": waves,
                                 "timescale": TIMESCALE}).encode())
    for s in sources:
        h.update(b"\0" + s.name.encode() + b"\0")
        h.update(s.read_bytes())
    return f"{toplevel}-{h.hexdigest()[:16]}"


def runtime_entry(build_args: Sequence[str], waves: bool) -> str:
    """The cache entry name of the runtime objects a build with these flags uses."""
    return "verilated-" + param_tag({**_toolchain(), "args": list(build_args), "waves": waves})


def _run(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> None:
    log.info("running %s in %s", shlex.join(cmd), cwd)
    rc = subprocess.run(list(cmd), cwd=cwd, env=dict(env), check=False).returncode
    if rc != 0:
        raise BuildError(f"{Path(cmd[0]).name} exited with code {rc}")


def _stage_sources(sources: Sequence[Path], dest: Path) -> list[Path]:
    """Copies of the sources in the entry: Verilator reuses a build only for unchanged paths."""
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"two sources with one file name: {sorted(names)}")
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for s in sources:
        shutil.copy2(s, dest / s.name)
        out.append(dest / s.name)
    return out


def _seed_runtime(objs: Path, build_dir: Path) -> None:
    """Copy cached runtime objects into ``build_dir``, stamped now (after Verilator wrote
    Vtop.mk, which they depend on), unless the build folder already has its own."""
    if not objs.is_dir():
        return
    for name in RUNTIME_OBJS:
        src, dst = objs / (name + ".o"), build_dir / (name + ".o")
        if not src.is_file() or dst.exists():
            continue
        shutil.copyfile(objs / (name + ".d"), build_dir / (name + ".d"))
        shutil.copyfile(src, dst)


def _save_runtime(objs: Path, build_dir: Path) -> None:
    """Keep the runtime objects a build compiled (a temporary folder renamed into place, so a
    reader sees all of them or none)."""
    if objs.is_dir():
        return
    tmp = objs.with_name(objs.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_OBJS:
        for ext in (".o", ".d"):
            src = build_dir / (name + ext)
            if src.is_file():
                shutil.copy2(src, tmp / (name + ext))
    try:
        tmp.rename(objs)
    except OSError:  # another process won the race
        shutil.rmtree(tmp, ignore_errors=True)


def _compile(cache: LruDir, toplevel: str, sources: Sequence[Path], build_dir: Path,
             parameters: Mapping[str, object], build_args: Sequence[str], waves: bool) -> None:
    """verilator, the runtime objects, make: cocotb's documented Verilator flow."""
    inst = find_verilator()
    env = inst.subprocess_env()
    lib_dir, share_dir = cocotb_dirs()
    build_dir.mkdir(parents=True, exist_ok=True)
    _run([str(inst.executable), "-cc", "--exe", "-Mdir", str(build_dir),
          "--top-module", toplevel, "--vpi", "--public-flat-rw", "--prefix", "Vtop",
          "-o", toplevel,
          "-LDFLAGS", f"-Wl,-rpath,{lib_dir} -L{lib_dir} -lcocotbvpi_verilator",
          *(["--trace"] if waves else []), *build_args, "--timescale", TIMESCALE,
          *[f"-G{k}={v}" for k, v in parameters.items()],
          *sorted({f"-I{s.parent}" for s in sources}),
          str(share_dir / "lib" / "verilator" / "verilator.cpp"),
          *[str(s) for s in sources if s.suffix != ".vh"]], build_dir, env)
    from cocotb_tools.runner import MAX_PARALLEL_BUILD_JOBS  # the sim extra, as cocotb

    jobs = min(MAX_PARALLEL_BUILD_JOBS, os.cpu_count() or 1)
    with cache.use(runtime_entry(build_args, waves)) as rt:
        _seed_runtime(rt / "objs", build_dir)
        _run(["make", "-j", str(jobs), "-C", str(build_dir), "-f", "Vtop.mk",
              f"VM_TRACE={int(waves)}", *make_fixes()], build_dir, env)
        _save_runtime(rt / "objs", build_dir)


@contextlib.contextmanager
def cached_build(toplevel: str, sources: Sequence[Path],
                 parameters: Mapping[str, object] | None = None,
                 build_args: Sequence[str] = (), waves: bool = False) -> Iterator[Build]:
    """The build of ``sources`` (every file of the design, top module ``toplevel``), compiled
    now unless the cache has it, held in use for the block. Evicts least recently used
    entries beyond the cache's cap. Raises `BuildError` when Verilator or make fails, and
    FpgagenError for a bad cache setting."""
    parameters = dict(parameters or {})
    sources = [Path(s) for s in sources]
    # `include files beside the sources are part of the design (hw/fg_fields.vh, a build's
    # rtl/): hashed and staged with them, found through -I on the staged folder
    sources += sorted({h for s in sources for h in s.parent.glob("*.vh")} - set(sources))
    cache = open_sim_cache()
    name = build_key(toplevel, sources, parameters, build_args, waves)
    with cache.use(name) as entry:
        build_dir = entry / "obj"
        compiled = False
        if not (entry / BUILT).is_file():
            with file_lock(entry / "build.lock"):
                if not (entry / BUILT).is_file():  # another process may have built it meanwhile
                    staged = _stage_sources(sources, entry / "src")
                    _compile(cache, toplevel, staged, build_dir, parameters, build_args, waves)
                    (entry / BUILT).touch()
                    compiled = True
        cache.evict()
        yield Build(toplevel, build_dir, compiled)
