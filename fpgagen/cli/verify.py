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
from pathlib import Path

from rich.markup import escape

from fpgagen.api.verification import (
    CSIM_LOGITS,
    check_build_dir,
    check_vectors_of,
    run_csim,
    run_rtl,
    verify_csim,
)
from fpgagen.api.verification import run_hls_gates as _run_hls_gates
from fpgagen.cli.common import add_json_arg, console, print_json
from fpgagen.util.progress import Steps

__all__ = ["CSIM_LOGITS", "_run_hls_gates", "verify_csim"]  # for older callers; they live in
# fpgagen/api/verification.py

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


def run(args: argparse.Namespace) -> int:
    d = Path(args.dir)
    check_build_dir(d)
    check_vectors_of(d)
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
    outcome = run_csim(d, Steps(args.quiet or args.json))
    res, gates, expected = outcome.result, outcome.gates, outcome.expected
    if args.json:
        out_json.update(outcome.to_json())
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
    return 0 if outcome.ok else 1


def not_compared_line(names: tuple[str, ...], expected: int, bench: str) -> str:
    """One line naming the stored tensors a testbench gave no verdict on."""
    shown = ", ".join(names[:8]) + (f", ... ({len(names) - 8} more)" if len(names) > 8 else "")
    return (f"[red]NOT COMPARED[/] {len(names)} of the {expected} tensors the build stores "
            f"got no verdict from {bench}: {shown}")


def _run_rtl(d: Path, args: argparse.Namespace, out_json: dict) -> int:
    outcome = run_rtl(d, args.stream, Steps(args.quiet or args.json))
    tensors, missing, skipped = outcome.tensors, outcome.missing, outcome.skipped
    summary, figs, n, ok = outcome.summary, outcome.figures, outcome.images, outcome.ok
    if args.json:
        out_json.update(outcome.to_json())
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
            con.print(not_compared_line(skipped, len(outcome.expected),
                                        "rtl/bench.json's views"))
        if not ok:
            con.print(f"the run's files (simulator log, arena dumps) are kept in {outcome.work}")
        verdict = "[green]bit-exact[/]" if ok else "[red]NOT bit-exact[/]"
        total = len(tensors) + len(skipped)
        con.print(f"RTL simulation {verdict}: {sum(t.ok for t in tensors)}/{total} "
                  f"tensors equal the golden model; latency {figs['cycles']:,} cycles, MAC "
                  f"utilization {100 * figs['mac_utilization']:.1f} % (build "
                  f"{outcome.build_seconds:.1f} s, run {outcome.run_seconds:.1f} s)")
        if n > 1:
            con.print(f"throughput (streaming): {summary['streaming_cycles']:,} cycles per "
                      f"image, ap_done to ap_done over {n} images streamed back to back")
    return 0 if ok else 1
