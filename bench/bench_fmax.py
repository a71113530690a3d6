"""Measured silicon figures with open tools (DESIGN.md section 8).

Run: ``python bench/bench_fmax.py [--seed 1 [--seed 2 ...]] [--pe 4x16] [--xilinx] [--keep DIR]``.

1. Builds a small SqueezeNet-style ONNX net (tests/small_onnx.py: 3x32x32, conv + pool, two
   fire modules, conv 1x1 to 10 classes, global average pool) on a 4x16 engine (4 arena banks,
   as tests/test_synth.py's gate), then places
   and routes it on a Lattice LFE5U-85F with Yosys synth_ecp5 + nextpnr-ecp5
   (``fpgagen.silicon.synth.pnr_ecp5``): prints the Fmax of ap_clk against the 125 MHz goal, the
   utilization and the critical path, per seed.
2. ``--xilinx``: Yosys synth_xilinx of the ZC706 default build (SqueezeNet 1.1, 16x64 MACs,
   two per DSP48E1):
   the resource table beside the part and the Plan, the time it took and the tool's peak
   memory (what a CI job must afford).

Prints numbers, asserts nothing (tests/test_synth.py holds the 125 MHz gate).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from fpgagen.cli.main import main as fpgagen_main
from fpgagen.errors import FpgagenError
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import EngineConfig
from fpgagen.silicon import synth
from fpgagen.util.progress import Steps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from small_onnx import write_small_onnx  # a test helper, found via tests/ (above)


def peak_child_mb() -> float:
    """Largest resident set of any finished child process so far (the tools), in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def ecp5(work: Path, pe: str, seeds: list[int]) -> None:
    out = work / "small"
    model = write_small_onnx(work / "small.onnx")
    assert fpgagen_main(["build", "--model", str(model), "--board", "zynq", "--pe", pe, "-q",
                         "-o", str(out), "--force"]) == 0
    steps = Steps()
    for seed in seeds:
        t = synth.pnr_ecp5(out / "rtl", out / "synth", seed=seed, steps=steps)
        verdict = "PASS" if t.passed else "FAIL"
        print(f"\nECP5 {synth.ECP5_DEVICE}, small fire net on a {pe} engine, seed {seed}: "
              f"Fmax {t.fmax_mhz:.1f} MHz ({verdict} at {t.target_mhz:g} MHz); Yosys "
              f"{t.synth_seconds:.0f} s, nextpnr {t.pnr_seconds:.0f} s, peak tool memory "
              f"{peak_child_mb():.0f} MB")
        print("  " + ", ".join(f"{k} {u:,}/{a:,}" for k, (u, a) in t.utilization.items()))
        for line in (*t.critical_path, *t.notes):
            print(f"  {line}")


def xilinx(work: Path) -> None:
    out = work / "sq11"
    board = load_board("zynq")
    t0 = time.perf_counter()
    assert fpgagen_main(["build", "--board", "zynq", "--model", "squeezenet", "-q", "-o",
                         str(out), "--force"]) == 0
    t1 = time.perf_counter()
    res = synth.synth_xilinx(out / "rtl", board.part, out / "synth", Steps())
    report = json.loads((out / "report.json").read_text())
    plan = report["memory"]
    eng = report["engine"]
    engine = EngineConfig(eng["p_in"], eng["p_out"], bool(eng["packed"]))
    print(f"\nYosys synth_xilinx -family {res.family}, SqueezeNet 1.1 on {board.name} "
          f"({board.part}), {engine} engine: build {t1 - t0:.0f} s, synthesis "
          f"{res.seconds:.0f} s, peak tool memory {peak_child_mb():.0f} MB")
    print(f"  {'':22} {'Yosys':>12} {'part':>10} {'Plan':>8}")
    rows = [("DSP", res.dsp, board.dsp, ""),
            ("BRAM36 (equivalent)", f"{res.bram36_equiv:g}", board.bram36, plan["bram36"]),
            ("URAM", res.uram, board.uram, plan["uram"]),
            ("LUT", res.lut, board.lut, ""), ("FF", res.ff, board.ff, "")]
    for name, *values in rows:
        y, cap, p = (f"{v:,}" if isinstance(v, int) else v for v in values)
        print(f"  {name:22} {y:>12} {cap:>10} {p:>8}")
    print(f"  RAMB36 {res.ramb36}, RAMB18 {res.ramb18}, CARRY {res.carry}, LUTRAM "
          f"{res.lutram}, SRL {res.srl}, MUXF {res.muxf}, latches {res.latches}")
    agree = synth.bram_agreement(res.bram36_equiv, synth.plan_bram36_in_rtl(plan["memories"]))
    print(f"  block RAM: Yosys {res.bram36_equiv:g} vs the Plan's {agree['plan_bram36_rtl']:g} "
          f"BRAM36 ({agree['bram36_vs_plan_pct']:+.2f} %); "
          f"DSP {res.dsp} (the engine's rule, {engine} MACs"
          f"{', two per DSP,' if engine.pack else ''} + {engine.p_in} average-pool lanes: "
          f"{engine.dsp})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pe", default="4x16", help="engine of the small design (default 4x16)")
    ap.add_argument("--seed", type=int, action="append", help="nextpnr seed (repeatable)")
    ap.add_argument("--xilinx", action="store_true",
                    help="also synth_xilinx of the ZC706 default SqueezeNet 1.1 build")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (logs, reports)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fmax-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        try:
            ecp5(work, args.pe, args.seed or [1])
            if args.xilinx:
                xilinx(work)
        except FpgagenError as exc:  # a tool refused the Verilog: one line, like the CLI
            sys.exit(f"bench_fmax: {exc}")


if __name__ == "__main__":
    main()
