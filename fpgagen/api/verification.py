"""Proving a build folder bit-exact: C-simulation with the HLS gates, and RTL simulation with
its cycles (the ``verify`` command's work; its printing stays in fpgagen/cli/verify.py).

What must be compared comes from the build (vectors/manifest.json: every layer output the Plan
stores, plus the logits), not from the testbench: a testbench that skips a tensor fails. Each
RTL run works in its own folder, ``DIR/rtl_sim/run-<pid>-<random>/``, removed after a bit-exact
run and kept after a failure.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpgagen.errors import FpgagenError
from fpgagen.hls.gates import GateResult, run_gates
from fpgagen.hls.memories import report_arrays
from fpgagen.report.report import update_report
from fpgagen.util.progress import Steps
from fpgagen.verify import csim
from fpgagen.verify.vectors import MANIFEST, check_vectors, stored_layers

CSIM_LOGITS = "output"  # the testbench's name for the streamed logits


def check_build_dir(d: Path) -> None:
    """``d`` is a complete build folder with consistent vectors; one-line errors otherwise."""
    if not d.is_dir():
        raise FpgagenError(f"{d} is not a folder (give the folder fpgagen build wrote)")
    for need in ("hls/fpgagen.cpp", "hls/tb.cpp", "vectors/input.hex", "vectors/output.hex",
                 f"vectors/{MANIFEST}", "report.json"):
        if not (d / need).is_file():
            raise FpgagenError(f"{d} is not a complete fpgagen build: {need} is missing")


def check_vectors_of(d: Path) -> None:
    """Every ``vectors/*.npy`` equals its ``.hex`` (both modes check this first)."""
    check_vectors(d / "vectors")


def mismatch_json(bad: Any) -> dict[str, Any]:
    return {"layer": bad.name, "index_hwc": bad.index, "expected": bad.expected,
            "got": bad.got, "mismatches": bad.mismatches}


@dataclass(frozen=True)
class CsimOutcome:
    """A C-simulation and the HLS gates: the JSON summary and what a report prints."""

    summary: dict[str, Any]
    result: csim.SimResult
    gates: GateResult | None
    expected: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.result.ok and (self.gates is None or self.gates.ok)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"csim": self.summary,
                               "tensors": [{"name": t.name, "ok": t.ok, "count": t.count}
                                           for t in self.result.tensors]}
        if self.gates is not None:
            out["hls_gates"] = self.gates.to_json()
        return out


def verify_csim(d: Path, steps: Steps, expected: tuple[str, ...] = ()) -> csim.SimResult:
    """Compile and run the C-simulation; ``expected``: the tensor names it must give a verdict
    on (those it skips fail the result)."""
    with tempfile.TemporaryDirectory(prefix="fpgagen-csim-") as tmp:
        exe = Path(tmp) / "csim"
        t0 = time.perf_counter()
        with steps.step("compile C-simulation (g++)"):
            csim.compile_csim(d / "hls", exe)
        t1 = time.perf_counter()
        with steps.step("run C-simulation"):
            out, code = csim.run_csim(exe, (d / "vectors").resolve())
        t2 = time.perf_counter()
    tensors, missing = csim.parse_tb_output(out)
    if code not in (0, 1) or (code == 0 and not tensors):
        raise FpgagenError(f"C-simulation could not run (exit {code}); "
                           f"{'missing vectors: ' + ', '.join(missing) if missing else out[-200:]}")
    return csim.SimResult(tuple(tensors), tuple(missing), code, t1 - t0, t2 - t1,
                          csim.not_compared(expected, tensors, missing))


def run_csim(d: Path, steps: Steps) -> CsimOutcome:
    """C-simulate ``d/hls``, record the ``csim`` section of its report, then the HLS gates."""
    expected = (*stored_layers(d / "vectors"), CSIM_LOGITS)
    res = verify_csim(d, steps, expected)
    summary: dict[str, Any] = {
        "bit_exact": res.ok, "tensors_compared": len(res.tensors),
        "tensors_expected": len(expected), "compile_seconds": round(res.compile_seconds, 2),
        "run_seconds": round(res.run_seconds, 2), "compiler": csim.compiler_version()}
    if res.first_mismatch is not None:
        summary["first_mismatch"] = mismatch_json(res.first_mismatch)
    if res.not_compared:
        summary["not_compared"] = list(res.not_compared)
    update_report(d, "csim", summary)
    gates = run_hls_gates(d, steps)
    return CsimOutcome(summary, res, gates, expected)


def run_hls_gates(d: Path, steps: Steps) -> GateResult | None:
    """The synthesis-branch gates on hls/ against the Plan's HLS memories in report.json;
    None for a report from before those were recorded (nothing to compare with)."""
    arrays = report_arrays(json.loads((d / "report.json").read_text()))
    if arrays is None:
        return None
    with steps.step("HLS gates: __SYNTHESIS__ compile, memory count, instances, loop state "
                    "(g++)"):
        gates = run_gates(d / "hls", arrays)
    update_report(d, "hls_gates", gates.to_json())
    return gates


@dataclass(frozen=True)
class RtlOutcome:
    """An RTL simulation: the JSON summary and what a report prints."""

    summary: dict[str, Any]
    tensors: tuple[Any, ...]
    missing: tuple[str, ...]
    skipped: tuple[str, ...]
    expected: tuple[str, ...]
    work: Path
    figures: dict[str, Any]
    images: int
    build_seconds: float
    run_seconds: float

    @property
    def ok(self) -> bool:
        return bool(self.summary["bit_exact"])

    def to_json(self) -> dict[str, Any]:
        return {"rtl": self.summary,
                "rtl_tensors": [{"name": t.name, "ok": t.ok, "count": t.count}
                                for t in self.tensors]}


def _rtl_work_dir(d: Path) -> Path:
    """A fresh folder for one RTL run under DIR/rtl_sim/."""
    root = d / "rtl_sim"
    try:
        root.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=root))
    except OSError as exc:
        raise FpgagenError(f"cannot make a work folder in {root}: {exc.strerror}") from None


def run_rtl(d: Path, stream: int, steps: Steps) -> RtlOutcome:
    """Build ``d/rtl`` with Verilator, run it (``stream`` images back to back when 2 or more),
    compare every stored tensor, record the ``rtl`` section of the report. ``steps`` shows the
    phases as they come (the Verilator build and its time so far, then the simulated
    layer-table entries with the time left, `fpgagen.verify.rtlprogress`). Interrupted (Ctrl-C,
    SIGTERM), the run's folder is removed: nothing in it explains a failure."""
    from fpgagen.verify import rtlbench, rtlfigures, rtlresults
    from fpgagen.verify.rtlprogress import progress_for
    from fpgagen.verify.verilator import simulator_version

    if not (d / "rtl" / "fpgagen_top.v").is_file():
        raise FpgagenError(f"{d} has no rtl/fpgagen_top.v (rebuild it with this fpgagen)")
    expected = (*stored_layers(d / "vectors"), rtlresults.LOGITS)
    work = _rtl_work_dir(d)
    n = stream
    if not 1 <= n <= rtlbench.STREAM_MAX_IMAGES:
        raise FpgagenError(f"--stream takes 1..{rtlbench.STREAM_MAX_IMAGES} images, not {n}")
    image = d / "vectors" / "input.hex"
    report = json.loads((d / "report.json").read_text())
    bench = json.loads((d / "rtl" / "bench.json").read_text())
    try:
        with steps.live("RTL simulation (Verilator build + cocotb run)") as live:
            monitor = progress_for(live, report, bench, n)
            runs = (rtlbench.run_rtl_batch(d / "rtl", [image] * n, work, dump=True,
                                           stream=True, monitor=monitor)
                    if n > 1 else [rtlbench.run_rtl(d / "rtl", image, work, monitor=monitor)])
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM: nothing to keep, unlike a failed run
        shutil.rmtree(work, ignore_errors=True)
        raise
    run = runs[0]
    tensors, missing = rtlresults.compare_rtl(run, d / "rtl", d / "vectors")
    # streaming: every later image's logits (a failure is listed with its image), the host's
    # view after the last one
    for i, later in enumerate(runs[1:], 2):
        for t in rtlresults.compare_rtl(later, d / "rtl", d / "vectors")[0]:
            if t.name != rtlresults.LOGITS:
                tensors.append(t)
            elif not t.ok:
                tensors.append(dataclasses.replace(t, name=f"{t.name}, image {i}"))
    skipped = csim.not_compared(expected, tensors,
                                [rtlresults.LOGITS if m == "output" else m for m in missing])
    figs = rtlfigures.mac_figures(run, d / "rtl")
    ok = all(t.ok for t in tensors) and not missing and bool(tensors) and not skipped
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    bad = next((t for t in tensors if not t.ok), None)
    summary: dict[str, Any] = {
        "bit_exact": ok, "tensors_compared": len(tensors),
        "tensors_expected": len(expected), "cycles": figs["cycles"],
        "cycles_per_layer": figs["cycles_per_layer"],
        "mac_utilization": figs["mac_utilization"],
        "image_load_cycles": run.host.get("load_cycles"),
        "latency_cycles": figs["cycles"],
        **({"streaming_cycles": round(rtlfigures.streaming_cycles(runs)),
            "stream_images": n} if n > 1 else {}),
        "build_seconds": round(run.build_seconds, 2),
        "run_seconds": round(run.run_seconds, 2),
        "simulator": simulator_version()}
    if bad is not None:
        summary["first_mismatch"] = mismatch_json(bad)
    if skipped:
        summary["not_compared"] = list(skipped)
    if not ok:
        summary["work_dir"] = str(work)
    update_report(d, "rtl", summary)
    return RtlOutcome(summary, tuple(tensors), tuple(missing), tuple(skipped), expected, work,
                      figs, n, run.build_seconds, run.run_seconds)
