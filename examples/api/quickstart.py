"""fpgagen as a library: check, predict, evaluate, build and verify the zoo's trained digits
model, then a small design-space sweep, all from Python.

    python examples/api/quickstart.py [--out DIR] [--rtl]

Every result is a record with the fields of the matching command's ``--json`` output (``fits``
is what ``fpgagen check --json`` calls ``fits``); ``to_json()`` gives the plain object. CI runs
this script (tests/test_api.py).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import fpgagen
from fpgagen.frontend.datasets import digits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="folder for the build and sweep")
    ap.add_argument("--rtl", action="store_true", help="also verify the build in RTL "
                                                       "(Verilator)")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="fpgagen-quickstart-"))

    # 1. a design: the model, the board, the precision, the engine
    design = fpgagen.Design("digits", board="zc706", precision="w8a8", pe="4x16")
    check = design.check()
    print(f"fits: {check.fits}, {check.total_bytes:,} B on chip, {check.dsp} DSP, "
          f"~{check.streaming_fps:,.0f} fps (estimated at {check.plan.board.clock_mhz:g} MHz)")

    # 2. one image through the golden model and the float reference
    test = digits("test")
    pred = design.predict(test.images[0])
    print(f"image 0 (a {test.labels[0]}): fixed point says {pred.top5_fixed[0]}, float says "
          f"{pred.top5_float[0]}; logits SQNR {pred.sqnr_db[design.graph.output]} dB")

    # 3. accuracy on the digits test split
    ev = fpgagen.evaluate(design, "digits", limit=100)
    print(f"top-1 on {ev.n} test images: float {100 * ev.top1_float:.1f} %, fixed point "
          f"{100 * ev.top1_fixed:.1f} %")

    # 4. the build folder, proven bit-exact by C-simulation (and RTL with --rtl)
    build = design.build(out / "build", force=True)
    ver = build.verify(csim=True, rtl=args.rtl)
    print(f"built {build.out}; C-simulation bit-exact: {ver.csim['bit_exact']}"
          + (f", RTL {ver.rtl['cycles']:,} cycles" if args.rtl else ""))
    assert ver.ok, ver.to_json()

    # 5. a sweep: two precisions x two engines on two boards, the Pareto front
    sweep = fpgagen.explore("digits", boards=["zc706", "pynq-z2"], precisions=["8", "w4a8"],
                            engines=["auto", "4x16"], accuracy="digits", limit=100,
                            max_drop=1.0, out=out / "explore")
    for p in sweep.points:
        print(f"  {p['board']:8} {p['precision']:5} {p['pe']:6} {p['streaming_fps']:>9,.0f} fps "
              f"{p['energy_mj_estimated']:.4f} mJ (est.) top-1 {100 * p['top1_fixed']:.1f} %"
              f"{'  Pareto' if p['pareto'] else ''}{'' if p['feasible'] else '  (infeasible)'}")
    print(f"{len(sweep.pareto)} points on the Pareto front; files in {sweep.out}: "
          f"{', '.join(sweep.files)}")


if __name__ == "__main__":
    main()
