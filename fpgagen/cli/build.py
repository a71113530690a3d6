"""``fpgagen build``: the main job. Checks the SRAM budget, quantizes, runs the golden model and
writes the HLS C++, run_hls.tcl, test vectors and reports into one folder, atomically."""

from __future__ import annotations

import argparse
from pathlib import Path

from fpgagen.cli.check import add_weight_source_arg, print_result
from fpgagen.cli.common import add_json_arg, add_weights_args, console, print_json
from fpgagen.cli.quantargs import (
    add_input_arg,
    add_quant_args,
    calibration_bar,
    design_from_args,
)
from fpgagen.plan.boards import load_board
from fpgagen.plan.budget import parse_size
from fpgagen.plan.engine import parse_pe
from fpgagen.quant.precision import parse_precision
from fpgagen.system.blockdesign import system_summary
from fpgagen.util.outdir import check_target
from fpgagen.util.progress import Steps


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="generate HLS C++, Verilog, vectors and reports",
                       description="Check that the model fits on chip, quantize it, run the "
                                   "golden model and write hls/, rtl/, system/, vectors/, "
                                   "report.json and report.md into --out (atomically).")
    p.add_argument("--model", "-m", default="squeezenet",
                   help="zoo model or .onnx file (default: squeezenet = squeezenet1_1)")
    p.add_argument("--input-size", type=int, default=None, metavar="N",
                   help="square input size in pixels (default: the model's own)")
    p.add_argument("--board", "-b", default="zc706", help="board (default: zc706, alias zynq)")
    add_weights_args(p)
    add_input_arg(p)
    add_quant_args(p)
    p.add_argument("--budget", metavar="SIZE",
                   help="byte budget instead of the board's on-chip capacity (8192KB, 8MB, ...)")
    p.add_argument("--pe", default=None, metavar="PINxPOUT",
                   help="engine array, e.g. 16x32 (default: chosen per board from its DSPs)")
    p.add_argument("--no-fuse", dest="fuse", action="store_false",
                   help="do not fuse conv -> max-pool (store the conv output whole)")
    add_weight_source_arg(p)
    p.add_argument("--out", "-o", default=None, metavar="DIR",
                   help="output folder (default: build/<model>-<board>)")
    p.add_argument("--force", "-f", action="store_true", help="replace an existing --out")
    p.add_argument("--synth", action="store_true",
                   help="then run Yosys synth_xilinx on the build (as fpgagen synth DIR): "
                        "DSP/BRAM/LUT/FF counts in the report")
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    steps = Steps(args.quiet or args.json)
    board = load_board(args.board)
    budget = parse_size(args.budget) if args.budget is not None else None
    precision = parse_precision(args.precision)
    engine = parse_pe(args.pe) if args.pe is not None else None
    if args.out:  # before the model is even read: a bad target must not cost a minute
        check_target(Path(args.out), args.force)
    design = design_from_args(args, board, budget, precision, engine, args.fuse)
    graph = design.graph
    built = design.build(args.out, args.force, args.input, steps,
                         calibrating=lambda: calibration_bar(args.quiet),
                         command=getattr(args, "argv", None))
    if not built.built:
        if args.json:
            print_json(built.to_json())
        else:
            print_result(built.check_result)
            console().print(f"[red]not built[/]: {graph.name} does not fit {board.name}")
        return 1
    out = built.path
    report = built.to_json()["report"]
    if args.synth:  # on the final folder: the logs it names must stay where they are
        from fpgagen.cli.synth import synthesize
        from fpgagen.errors import FpgagenError

        try:
            report |= synthesize(out, steps)
        except FpgagenError as exc:
            raise FpgagenError(f"built {out}, but {exc}") from None
    if args.json:
        print_json({"built": True, "out": str(out), "system": system_summary(board, out),
                    "report": report})
        return 0
    m = report["memory"]
    eng = report["engine"]
    pix = eng.get("p_pix", 1)
    console().print(
        f"built {graph.name} for {board.name} ({board.part}), {report['precision_label']}, "
        f"in {out}/\n"
        f"  memory {m['total_bytes']:,} of {m['budget_bytes']:,} bytes, {m['bram36']:,} BRAM36, "
        f"engine {eng['p_in']}x{eng['p_out']}" + (f"x{pix}" if pix > 1 else "")
        + (f" ({report['engine']['note']})" if report["engine"]["note"] else "") + ", "
        f"~{report['estimate']['fps']:,.1f} fps = {report['estimate']['cycles']:,} cycles (Plan "
        f"estimate) at {board.clock_mhz:g} MHz (nominal clock)\n"
        + (f"  Yosys synth_xilinx: {report['synth']['dsp']:,} DSP, "
           f"{report['synth']['bram36_equiv']:g} BRAM36, {report['synth']['lut']:,} LUT, "
           f"{report['synth']['ff']:,} FF (open estimate, not Vivado's)\n"
           if args.synth else "")
        + f"  weights: {report['weights']['note']}\n"
        + f"  {system_summary(board, out)}\n"
        + f"  next: fpgagen verify {out} --csim  (or --rtl)    |    "
        f"cd {out}/hls && vitis_hls -f run_hls.tcl")
    return 0
