"""The whole-network RTL bench: the generated ``fpgagen_top`` + ``fpgagen_tb`` of a build
(`fpgagen.rtl.emit`) on Verilator, one image (`run_rtl`, ``fpgagen verify --rtl``) or several
through one simulator process (`run_rtl_batch`, ``fpgagen eval --rtl N`` and ``verify
--stream``).

Everything that differs between runs of a design (the image, stalls, the cycle limit, where the
results go) reaches the simulator as a plusarg or an environment variable, never as a
parameter, so a design is built once (`fpgagen.verify.simbuild`) wherever its folder is and
however it is run. The images are packed into beats by the driver's own function, so the bench
streams the bytes a board's DMA would. The simulator's output goes to a log in the run's folder
and a failed run is one line saying why (`failure_reason`). Reading the results back and
comparing them is `fpgagen.verify.rtlresults`; the cocotb side is `fpgagen.verify.bench_cocotb`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from fpgagen.driver.fpgagen_driver import beat_words, pack_values
from fpgagen.errors import FpgagenError
from fpgagen.verify.cocotbrun import SimResult, run_cocotb
from fpgagen.verify.rtlresults import RtlRun, batch_runs, read_hex_file, stream_runs, to_signed
from fpgagen.verify.simbuild import Build
from fpgagen.verify.simcache import sim_cache
from fpgagen.verify.verilator import require_simulator

RTL_TB = "fpgagen_tb"
MEMORY_FILES = ("layers.hex", "weights.hex", "biases.hex")
# images of one streaming run (fpgagen_tb.v.j2 MAX_IMAGES)
STREAM_MAX_IMAGES = 8


# file descriptors 1 and 2 belong to the whole process: one redirection at a time
_REDIRECT = threading.Lock()


@contextlib.contextmanager
def _output_to(log: Path | None) -> Iterator[None]:
    """Send this process's stdout/stderr (and its children's: Verilator, make, the simulator)
    to *log* for the duration; no-op for None. Threads that simulate at once take turns (each
    restoring the descriptors the other saved would leave stdout pointing into a log)."""
    if log is None:
        yield
        return
    with _REDIRECT, _redirected(log):
        yield


@contextlib.contextmanager
def _redirected(log: Path) -> Iterator[None]:
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
            bad_tlast: int | None = None, max_cycles: int = 100_000_000,
            quiet: bool = True, monitor: RunMonitor | None = None,
            weights: bytes | None = None, weight_beats: int | None = None) -> RtlRun:
    """Build ``rtl_dir`` (fpgagen_top + fpgagen_tb + hw copies) with Verilator and run one
    inference on ``input_hex`` (vectors/input.hex: one value per line); results land in ``work``.

    The values are packed into beats by the driver's own function, so the bench streams the
    bytes a board's DMA would. ``backpressure`` / ``in_pause`` are 4-bit patterns of stalled
    cycles on the output / input stream; ``irq`` waits for the interrupt instead of polling
    AP_CTRL; ``bad_tlast`` puts TLAST on that input beat (a malformed frame). ``weights``: the
    bytes of a weights.bin the host loads first (the bench's +fg_wload); ``weight_beats``
    sends only that many of its beats (a truncated load).
    """
    return run_rtl_batch(rtl_dir, [Path(input_hex)], work, dump=dump,
                         backpressure=backpressure, in_pause=in_pause, irq=irq,
                         bad_tlast=bad_tlast, max_cycles=max_cycles, quiet=quiet,
                         monitor=monitor, weights=weights, weight_beats=weight_beats)[0]


def run_rtl_batch(rtl_dir: Path, input_hexes: Sequence[Path], work: Path, *,
                  dump: bool = False, backpressure: int = 0, in_pause: int = 0,
                  irq: bool = True, bad_tlast: int | None = None,
                  max_cycles: int = 100_000_000, quiet: bool = True,
                  progress: Callable[[int, int], None] | None = None,
                  stream: bool = False, monitor: RunMonitor | None = None,
                  weights: bytes | None = None,
                  weight_beats: int | None = None) -> list[RtlRun]:
    """`run_rtl` for several images: one Verilator build, one simulator process, the images
    one after the other through the same core (started again over AXI4-Lite after each
    ap_done, without a reset, as a host driver does). ``progress(done, total)`` is called from
    a watcher thread as images finish. The arena dumps (``dump``) need a single image.

    ``stream``: the images are streamed back to back and the core runs with auto_restart (one
    start), so image n + 1 loads while image n computes (the double-buffered staging); each
    run's ``done_at`` is its ap_done cycle (`streaming_cycles`), ``cycles`` the core's count
    of that run (ap_start taken to ap_done: the first image's is the latency); the per-entry
    cycles and the dumps are the first image's, the host's register reads the last one's.

    ``monitor`` hears the phases (`RunMonitor`): the Verilator build, then the simulation, with
    the layer-table entries of the first image as their arena dumps appear (``dump``).
    ``weights``: a weights.bin loaded before the first image (see `run_rtl`)."""
    require_simulator()
    sim_cache()  # a bad FPGAGEN_CACHE_MAX is an error before any work
    if not input_hexes:
        raise ValueError("run_rtl_batch needs at least one image")
    if stream and not 2 <= len(input_hexes) <= STREAM_MAX_IMAGES:
        raise ValueError(f"a streaming run takes 2..{STREAM_MAX_IMAGES} images")
    if dump and len(input_hexes) > 1 and not stream:
        raise ValueError("arena dumps are per run: dump=True takes one image")
    rtl_dir, work = Path(rtl_dir).resolve(), Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    srcs = sorted(p for p in rtl_dir.glob("*.v"))
    prefix = work / "arena_"
    for old in [*work.glob("arena_*.hex"), *work.glob("batch_*.hex")]:
        old.unlink()
    # the memory images are read relative to the simulator's folder (as Vivado reads them),
    # at run time: they are not part of the build (a build whose weights load at run time has
    # no weights.hex / biases.hex)
    for mem in MEMORY_FILES:
        if (rtl_dir / mem).is_file():
            shutil.copyfile(rtl_dir / mem, work / mem)
    # everything that differs between runs is a plusarg: one build per design, wherever it is
    info = json.loads((rtl_dir / "bench.json").read_text())
    own = rtl_dir.parent / "driver" / "weights.bin"
    if weights is None and not info.get("weights_init", True):
        # the bitstream holds no weights: load the build's own, as its driver does
        if not own.is_file():
            raise FpgagenError(f"the build's weights load at run time and {own} is missing: "
                               "give the weights.bin to load first")
        weights = own.read_bytes()
    wload_args = []
    if weights is not None:
        wload_hex = work / "weights_beats.hex"
        wload_hex.write_text(weight_beats_hex(weights, info))
        beats = info["wload"]["beats"] if weight_beats is None else weight_beats
        wload_args = [f"+fg_wload={wload_hex}", f"+fg_wload_beats={beats}"]
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
                f"+fg_verbose={int(os.environ.get('FG_RTL_VERBOSE', '0'))}", *wload_args]
    result_file = work / "result.json"
    if result_file.exists():
        result_file.unlink()
    t0 = time.perf_counter()
    log = work / "sim.log" if quiet else None
    if monitor is not None:
        monitor.building()
    with (_output_to(log), _watch(work, 1 if stream else len(input_hexes), progress),
          _watch_entries(work, monitor)):
        res = _run_bench(srcs, result_file, max_cycles, plusargs, work, batch_file,
                         None if monitor is None else monitor.simulating)
    t1 = time.perf_counter()
    if res is None or res.failed or not result_file.is_file():
        text = log.read_text(errors="replace") if log is not None and log.is_file() else ""
        raise FpgagenError(f"RTL simulation did not finish: {failure_reason(text)} "
                           f"(the whole output: {log or work})")
    infos = json.loads(result_file.read_text())
    build_seconds = t1 - t0 - sum(r["run_seconds"] for r in infos)
    if stream:
        return stream_runs(infos[0], info, work, len(input_hexes), prefix if dump else None,
                           build_seconds)
    return batch_runs(infos, batch, info, work, prefix if dump else None, build_seconds)


@contextlib.contextmanager
def _watch(work: Path, total: int,
           progress: Callable[[int, int], None] | None) -> Iterator[None]:
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


class RunMonitor(Protocol):
    """What `run_rtl_batch` tells about its phases (`fpgagen.verify.rtlprogress`)."""

    def building(self) -> None:
        """The Verilator build (or the cache lookup) starts."""

    def simulating(self, build: Build) -> None:
        """The design is built (``build.compiled``: now, else from the cache); the simulator
        starts."""

    def entries(self, done: int) -> None:
        """``done`` layer-table entries of the first image have finished."""

    def tick(self) -> None:
        """Called about twice a second while the run goes on (elapsed times)."""


# the first bank and column of an entry's arena dump: one file per finished entry
_DUMP_RE = re.compile(r"^arena_(\d+)_b0_c0\.hex$")


@contextlib.contextmanager
def _watch_entries(work: Path, monitor: RunMonitor | None) -> Iterator[None]:
    """Tell ``monitor`` how many table entries are done, from the dumps the bench writes after
    each one (the simulator is another process: its files are what this one sees)."""
    if monitor is None:
        yield
        return
    stop = threading.Event()

    def poll() -> None:
        last = -1
        while not stop.wait(0.5):
            done = sum(1 for p in os.scandir(work) if _DUMP_RE.match(p.name))
            if done != last:
                monitor.entries(done)
                last = done
            monitor.tick()

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


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


def weight_beats_hex(data: bytes, info: dict) -> str:
    """A weights.bin's bytes -> its beats, one TDATA per line (the bench's +fg_wload file);
    refused unless it is the build's length (a truncated load is ``weight_beats``)."""
    tb = info["tdata_bits"] // 8
    want = info["wload"]["bytes"]
    if len(data) != want:
        raise FpgagenError(f"weights of {len(data)} bytes, the build loads {want} "
                           f"({info['wload']['beats']} beats of {tb} bytes)")
    digits = 2 * tb
    return "".join(f"{int.from_bytes(data[k:k + tb], 'little'):0{digits}x}\n"
                   for k in range(0, len(data), tb))


def _input_beats(input_hex: Path, info: dict) -> str:
    """vectors/input.hex (one value per line, two's complement of its width) -> the beats the
    driver packs, one TDATA per line."""
    width, signed = info["in_width"], bool(info["in_signed"])
    values = [to_signed(x, width, signed) for x in read_hex_file(input_hex)]
    if len(values) != info["in_values"]:
        raise FpgagenError(f"{input_hex} holds {len(values)} values, the design takes "
                           f"{info['in_values']}")
    tb = info["tdata_bits"] // 8
    data = pack_values(np.array(values, dtype=np.int64), width, signed, tb)
    digits = 2 * tb
    return "".join(f"{w:0{digits}x}\n" for w, _, _ in beat_words(data, len(data), tb))


def _run_bench(srcs: Sequence[Path], result_file: Path, max_cycles: int, plusargs: list[str],
               work: Path, batch_file: Path | None = None,
               on_built: Callable[[Build], None] | None = None) -> SimResult | None:
    """The cocotb run of the bench (`fpgagen.verify.bench_cocotb`); None, with the reason
    printed into the log, when the build or the simulator failed."""
    try:
        return run_cocotb(
            toplevel=RTL_TB, sources=srcs, test_module="fpgagen.verify.bench_cocotb",
            build_args=["-Wno-fatal", "-O3"], timing=True,
            extra_env={"FG_RTL_RESULT": str(result_file), "FG_RTL_MAX_CYCLES": str(max_cycles),
                       "FG_RTL_BATCH": str(batch_file or "")},
            plusargs=plusargs, test_dir=work, on_built=on_built)
    except RuntimeError as exc:
        print(f"fpgagen: RTL bench failed: {exc}")
        return None
