"""``fpgagen verify DIR``: prove a build bit-exact against its golden vectors.

``--csim`` compiles hls/ with g++ against hls4ml's ap_types headers and compares every layer's
output and the streamed logits with vectors/. ``--rtl`` builds rtl/ (the generated Verilog top
and bench) with Verilator, runs one inference under cocotb, compares every layer (arena dumps
after each layer-table entry) and the streamed logits, and records the measured cycles. With
neither flag: ``--csim``; with both: both. Exit 0 all equal, 1 a mismatch (layer, HWC index,
expected, got), 2 cannot run (no g++ / Verilator, not a build folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from .. import csim
from ..errors import FpgagenError
from ..progress import Steps
from ..report import update_report
from .common import add_json_arg, console, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="prove a build bit-exact: C-sim (g++) or RTL (Verilator)")
    p.add_argument("dir", metavar="DIR", help="a folder written by fpgagen build")
    p.add_argument("--csim", action="store_true",
                   help="C-simulate hls/ with g++ and the ap_types headers (default)")
    p.add_argument("--rtl", action="store_true",
                   help="simulate rtl/ with Verilator + cocotb, count cycles")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    add_json_arg(p)
    p.set_defaults(func=run)


def _check_build_dir(d: Path) -> None:
    if not d.is_dir():
        raise FpgagenError(f"{d} is not a folder (give the folder fpgagen build wrote)")
    for need in ("hls/fpgagen.cpp", "hls/tb.cpp", "vectors/input.hex", "vectors/output.hex",
                 "report.json"):
        if not (d / need).is_file():
            raise FpgagenError(f"{d} is not a complete fpgagen build: {need} is missing")


def verify_csim(d: Path, steps: Steps) -> csim.SimResult:
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
    return csim.SimResult(tuple(tensors), tuple(missing), code, t1 - t0, t2 - t1)


def run(args: argparse.Namespace) -> int:
    d = Path(args.dir)
    _check_build_dir(d)
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
    res = verify_csim(d, steps)
    summary = {"bit_exact": res.ok, "tensors_compared": len(res.tensors),
               "compile_seconds": round(res.compile_seconds, 2),
               "run_seconds": round(res.run_seconds, 2)}
    bad = res.first_mismatch
    if bad is not None:
        summary["first_mismatch"] = {"layer": bad.name, "index_hwc": bad.index,
                                     "expected": bad.expected, "got": bad.got,
                                     "mismatches": bad.mismatches}
    update_report(d, "csim", summary)
    if args.json:
        out_json.update({"csim": summary,
                         "tensors": [{"name": t.name, "ok": t.ok, "count": t.count}
                                     for t in res.tensors]})
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
        verdict = "[green]bit-exact[/]" if res.ok else "[red]NOT bit-exact[/]"
        con.print(f"C-simulation {verdict}: {sum(t.ok for t in res.tensors)}/{len(res.tensors)} "
                  f"tensors equal the golden model (compile {res.compile_seconds:.1f} s, "
                  f"run {res.run_seconds:.1f} s)")
    return 0 if res.ok else 1


def _run_rtl(d: Path, args: argparse.Namespace, out_json: dict) -> int:
    from .. import rtlsim

    if not (d / "rtl" / "fpgagen_top.v").is_file():
        raise FpgagenError(f"{d} has no rtl/fpgagen_top.v (rebuild it with this fpgagen)")
    steps = Steps(args.quiet or args.json)
    with steps.step("RTL simulation (Verilator build + cocotb run)"):
        run = rtlsim.run_rtl(d / "rtl", d / "vectors" / "input.hex", d / "rtl_sim")
    tensors, missing = rtlsim.compare_rtl(run, d / "rtl", d / "vectors")
    figs = rtlsim.mac_figures(run, d / "rtl")
    ok = all(t.ok for t in tensors) and not missing and bool(tensors)
    bad = next((t for t in tensors if not t.ok), None)
    summary = {"bit_exact": ok, "tensors_compared": len(tensors), "cycles": figs["cycles"],
               "cycles_per_layer": figs["cycles_per_layer"],
               "mac_utilization": figs["mac_utilization"],
               "image_load_cycles": run.host.get("load_cycles"),
               "build_seconds": round(run.build_seconds, 2),
               "run_seconds": round(run.run_seconds, 2)}
    if bad is not None:
        summary["first_mismatch"] = {"layer": bad.name, "index_hwc": bad.index,
                                     "expected": bad.expected, "got": bad.got,
                                     "mismatches": bad.mismatches}
    update_report(d, "rtl", summary)
    if args.json:
        out_json.update({"rtl": summary,
                         "rtl_tensors": [{"name": t.name, "ok": t.ok, "count": t.count}
                                         for t in tensors]})
    else:
        con = console()
        for t in tensors:
            if not t.ok:
                where = "x".join(map(str, t.index)) if t.index else ""
                con.print(f"[red]MISMATCH[/] layer {t.name} at HWC index ({where}): expected "
                          f"{t.expected}, got {t.got} ({t.mismatches} elements differ)")
        for m in missing:
            con.print(f"[red]MISSING[/] vector for {m}")
        verdict = "[green]bit-exact[/]" if ok else "[red]NOT bit-exact[/]"
        con.print(f"RTL simulation {verdict}: {sum(t.ok for t in tensors)}/{len(tensors)} "
                  f"tensors equal the golden model; {figs['cycles']:,} cycles, MAC utilization "
                  f"{100 * figs['mac_utilization']:.1f} % (build {run.build_seconds:.1f} s, "
                  f"run {run.run_seconds:.1f} s)")
    return 0 if ok else 1
