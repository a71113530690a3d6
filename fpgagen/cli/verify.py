"""``fpgagen verify DIR``: prove a build bit-exact against its golden vectors.

``--csim`` compiles hls/ with g++ against hls4ml's ap_types headers and compares every layer's
output and the streamed logits with vectors/; then it checks the synthesis branch of hls/
(fpgagen/hls/gates.py): it compiles clean under ``__SYNTHESIS__``, the memories the code
declares are the Plan's (counted from the code, compared with report.json's), and each engine
unit is one hardware instance (g++'s call graph). A failed gate fails the run like a mismatch.
``--rtl`` builds rtl/ (the generated Verilog top and bench) with Verilator, runs one inference
under cocotb, compares every layer (arena dumps after each layer-table entry) and the streamed
logits, and records the measured cycles. With neither flag: ``--csim``; with both: both.
Exit 0 all equal, 1 a mismatch (layer, HWC index, expected, got), a stored tensor left
uncompared or a failed HLS gate, 2 cannot run (no g++ / Verilator, not a build folder, vectors
whose .npy and .hex disagree).

What must be compared comes from the build (vectors/manifest.json: every layer output the Plan
stores, plus the logits), not from the testbench: a testbench that skips a tensor fails.

Each ``--rtl`` run works in its own folder, ``DIR/rtl_sim/run-<pid>-<random>/`` (the arena
dumps, the simulator's log), so runs on one build folder at once never read each other's
files. It is removed after a bit-exact run and kept after a failure, for the log and dumps.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from rich.markup import escape

from fpgagen.cli.common import add_json_arg, console, print_json
from fpgagen.errors import FpgagenError
from fpgagen.hls.gates import GateResult, run_gates
from fpgagen.hls.memories import report_arrays
from fpgagen.report.report import update_report
from fpgagen.util.progress import Steps
from fpgagen.verify import csim
from fpgagen.verify.vectors import MANIFEST, check_vectors, stored_layers

CSIM_LOGITS = "output"  # the testbench's name for the streamed logits


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="prove a build bit-exact: C-sim (g++) or RTL (Verilator)")
    p.add_argument("dir", metavar="DIR", help="a folder written by fpgagen build")
    p.add_argument("--csim", action="store_true",
                   help="C-simulate hls/ with g++ and the ap_types headers (default)")
    p.add_argument("--rtl", action="store_true",
                   help="simulate rtl/ with Verilator + cocotb, count cycles")
    p.add_argument("--stream", type=int, default=2, metavar="N",
                   help="--rtl: stream the image N times back to back (2..8, default 2) and "
                        "measure the latency (the first image) and the throughput (ap_done to "
                        "ap_done); 1: a single image")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    add_json_arg(p)
    p.set_defaults(func=run)


def _check_build_dir(d: Path) -> None:
    if not d.is_dir():
        raise FpgagenError(f"{d} is not a folder (give the folder fpgagen build wrote)")
    for need in ("hls/fpgagen.cpp", "hls/tb.cpp", "vectors/input.hex", "vectors/output.hex",
                 f"vectors/{MANIFEST}", "report.json"):
        if not (d / need).is_file():
            raise FpgagenError(f"{d} is not a complete fpgagen build: {need} is missing")


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


def run(args: argparse.Namespace) -> int:
    d = Path(args.dir)
    _check_build_dir(d)
    check_vectors(d / "vectors")
    do_csim = args.csim or not args.rtl
    code = 0
    out_json: dict = {}
    if do_csim:
        code = max(code, _run_csim(d, args, out_json))
    if args.rtl:
        code = max(code, _run_rtl(d, args, out_json))
    if args.json:
        print_json(out_json)
    return code


def _run_csim(d: Path, args: argparse.Namespace, out_json: dict) -> int:
    steps = Steps(args.quiet or args.json)
    expected = (*stored_layers(d / "vectors"), CSIM_LOGITS)
    res = verify_csim(d, steps, expected)
    summary = {"bit_exact": res.ok, "tensors_compared": len(res.tensors),
               "tensors_expected": len(expected),
               "compile_seconds": round(res.compile_seconds, 2),
               "run_seconds": round(res.run_seconds, 2), "compiler": csim.compiler_version()}
    bad = res.first_mismatch
    if bad is not None:
        summary["first_mismatch"] = {"layer": bad.name, "index_hwc": bad.index,
                                     "expected": bad.expected, "got": bad.got,
                                     "mismatches": bad.mismatches}
    if res.not_compared:
        summary["not_compared"] = list(res.not_compared)
    update_report(d, "csim", summary)
    gates = _run_hls_gates(d, steps)
    if args.json:
        out_json.update({"csim": summary,
                         "tensors": [{"name": t.name, "ok": t.ok, "count": t.count}
                                     for t in res.tensors]})
        if gates is not None:
            out_json["hls_gates"] = gates.to_json()
    else:
        con = console()
        for t in res.tensors:
            if not t.ok and t.index is None:  # a stream: beat count, TKEEP, TLAST, empty read
                con.print(f"[red]MISMATCH[/] {t.name}: {t.got}")
            elif not t.ok:
                where = "x".join(map(str, t.index))
                con.print(f"[red]MISMATCH[/] layer {t.name} at HWC index ({where}): expected "
                          f"{t.expected}, got {t.got} ({t.mismatches} elements differ)")
        for m in res.missing:
            con.print(f"[red]MISSING[/] vector for {m}")
        if res.not_compared:
            con.print(not_compared_line(res.not_compared, len(expected), "hls/tb.cpp"))
        verdict = "[green]bit-exact[/]" if res.ok else "[red]NOT bit-exact[/]"
        total = len(res.tensors) + len(res.not_compared)
        con.print(f"C-simulation {verdict}: {sum(t.ok for t in res.tensors)}/{total} "
                  f"tensors equal the golden model (compile {res.compile_seconds:.1f} s, "
                  f"run {res.run_seconds:.1f} s)")
        if gates is None:
            con.print("HLS gates: not run (report.json has no HLS memory arrays: a build from "
                      "an older fpgagen; rebuild it)")
        else:
            for line, good in gates.lines():
                con.print(escape(line) if good else f"[red]{escape(line)}[/]")
    return 0 if res.ok and (gates is None or gates.ok) else 1


def _run_hls_gates(d: Path, steps: Steps) -> GateResult | None:
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


def not_compared_line(names: tuple[str, ...], expected: int, bench: str) -> str:
    """One line naming the stored tensors a testbench gave no verdict on."""
    shown = ", ".join(names[:8]) + (f", ... ({len(names) - 8} more)" if len(names) > 8 else "")
    return (f"[red]NOT COMPARED[/] {len(names)} of the {expected} tensors the build stores "
            f"got no verdict from {bench}: {shown}")


def _rtl_work_dir(d: Path) -> Path:
    """A fresh folder for one RTL run under DIR/rtl_sim/ (see the module docstring)."""
    root = d / "rtl_sim"
    try:
        root.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=root))
    except OSError as exc:
        raise FpgagenError(f"cannot make a work folder in {root}: {exc.strerror}") from None


def _run_rtl(d: Path, args: argparse.Namespace, out_json: dict) -> int:
    from fpgagen.verify import rtlbench, rtlfigures, rtlresults
    from fpgagen.verify.rtlprogress import progress_for
    from fpgagen.verify.verilator import simulator_version

    if not (d / "rtl" / "fpgagen_top.v").is_file():
        raise FpgagenError(f"{d} has no rtl/fpgagen_top.v (rebuild it with this fpgagen)")
    steps = Steps(args.quiet or args.json)
    expected = (*stored_layers(d / "vectors"), rtlresults.LOGITS)
    work = _rtl_work_dir(d)
    n = args.stream
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
    summary = {"bit_exact": ok, "tensors_compared": len(tensors),
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
        summary["first_mismatch"] = {"layer": bad.name, "index_hwc": bad.index,
                                     "expected": bad.expected, "got": bad.got,
                                     "mismatches": bad.mismatches}
    if skipped:
        summary["not_compared"] = list(skipped)
    if not ok:
        summary["work_dir"] = str(work)
    update_report(d, "rtl", summary)
    if args.json:
        out_json.update({"rtl": summary,
                         "rtl_tensors": [{"name": t.name, "ok": t.ok, "count": t.count}
                                         for t in tensors]})
    else:
        con = console()
        for t in tensors:
            if not t.ok and t.index is None:  # no arena dump, beat count/TLAST, the host view
                con.print(f"[red]MISMATCH[/] {t.name}: {t.got}")
            elif not t.ok:
                where = "x".join(map(str, t.index))
                con.print(f"[red]MISMATCH[/] layer {t.name} at HWC index ({where}): expected "
                          f"{t.expected}, got {t.got} ({t.mismatches} elements differ)")
        for m in missing:
            con.print(f"[red]MISSING[/] vector for {m}")
        if skipped:
            con.print(not_compared_line(skipped, len(expected), "rtl/bench.json's views"))
        if not ok:
            con.print(f"the run's files (simulator log, arena dumps) are kept in {work}")
        verdict = "[green]bit-exact[/]" if ok else "[red]NOT bit-exact[/]"
        total = len(tensors) + len(skipped)
        con.print(f"RTL simulation {verdict}: {sum(t.ok for t in tensors)}/{total} "
                  f"tensors equal the golden model; latency {figs['cycles']:,} cycles, MAC "
                  f"utilization {100 * figs['mac_utilization']:.1f} % (build "
                  f"{run.build_seconds:.1f} s, run {run.run_seconds:.1f} s)")
        if n > 1:
            con.print(f"throughput (streaming): {summary['streaming_cycles']:,} cycles per "
                      f"image, ap_done to ap_done over {n} images streamed back to back")
    return 0 if ok else 1
