"""``fpgagen verify DIR``: prove a build bit-exact against its golden vectors.

``--csim`` compiles hls/ with g++ against hls4ml's ap_types headers and compares every layer's
output and the streamed logits with vectors/. Exit 0 all equal, 1 a mismatch (layer, HWC
index, expected, got), 2 cannot run (no g++, not a build folder).
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
    p = sub.add_parser("verify", help="prove a build bit-exact (C-simulation with g++)")
    p.add_argument("dir", metavar="DIR", help="a folder written by fpgagen build")
    p.add_argument("--csim", action="store_true",
                   help="C-simulate hls/ with g++ and the ap_types headers (default)")
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
        print_json({"csim": summary,
                    "tensors": [{"name": t.name, "ok": t.ok, "count": t.count}
                                for t in res.tensors]})
    else:
        con = console()
        for t in res.tensors:
            if not t.ok:
                where = "x".join(map(str, t.index)) if t.index else ""
                con.print(f"[red]MISMATCH[/] layer {t.name} at HWC index ({where}): expected "
                          f"{t.expected}, got {t.got} ({t.mismatches} elements differ)")
        for m in res.missing:
            con.print(f"[red]MISSING[/] vector for {m}")
        verdict = "[green]bit-exact[/]" if res.ok else "[red]NOT bit-exact[/]"
        con.print(f"C-simulation {verdict}: {sum(t.ok for t in res.tensors)}/{len(res.tensors)} "
                  f"tensors equal the golden model (compile {res.compile_seconds:.1f} s, "
                  f"run {res.run_seconds:.1f} s)")
    return 0 if res.ok else 1
