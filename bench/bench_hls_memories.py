"""The HLS core's memories, counted from its code, against the Plan, on every board's default.

For each board: SqueezeNet 1.1 at w8a8 (`fpgagen build --board B`'s design), the HLS core
generated, its synthesis branch through the HLS gates (fpgagen/hls/gates.py: the -O0 compile
with every initializer, the memory count under the one-array rule, the instances, the loop
state). Prints the Verilog core's BRAM36/URAM (the Plan's `memories`), the HLS core's (the
Plan's `hls_memories`), the count from the code, whether the count equals the Plan's array by
array, whether the part holds it, and the compile's time and memory.

Run: ``python bench/bench_hls_memories.py [BOARD ...]`` (default: every board). Prints
numbers, asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from fpgagen.frontend.weights import random_weights
from fpgagen.frontend.zoo import load_model
from fpgagen.hls.emit import emit_hls
from fpgagen.hls.gates import run_gates
from fpgagen.hls.memories import plan_arrays
from fpgagen.machine.context import lower
from fpgagen.plan.boards import all_boards, load_board
from fpgagen.plan.budget import judge
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, quantize


def main(names: list[str]) -> None:
    graph = load_model("squeezenet")
    prec = parse_precision(None)
    qg = quantize(graph, random_weights(graph, 1), prec, calibration_inputs(graph, 1))
    print(f"{'board':10} {'engine':8} {'Verilog BRAM36/URAM':>20} {'HLS Plan':>10} "
          f"{'HLS code':>10} {'= Plan':>7} {'part':>9} {'fits':>5} {'loops':>6} "
          f"{'compile':>8} {'MB':>5}")
    for name in names or sorted(all_boards()):
        board = load_board(name)
        plan = make_plan(graph, board, prec)
        with tempfile.TemporaryDirectory() as tmp:
            emit_hls(Path(tmp) / "hls", lower(plan, qg))
            g = run_gates(Path(tmp) / "hls", plan_arrays(plan.hls_memories))
        m = g.memories
        print(f"{board.name:10} {plan.engine!s:8} {plan.bram36:>12}/{plan.uram:<7} "
              f"{plan.hls_bram36:>5}/{plan.hls_uram:<4} {m.bram36:>5}/{m.uram:<4} "
              f"{'yes' if m.ok else 'NO':>7} {board.bram36:>5}/{board.uram:<3} "
              f"{'yes' if judge(plan).fits else 'no':>5} {'ok' if g.loops.ok else 'NO':>6} "
              f"{g.compile.seconds:>7.1f}s {g.compile.max_rss_mb:>5.0f}")
        for line in m.mismatches:
            print(f"    MISMATCH {line}")


if __name__ == "__main__":
    main(sys.argv[1:])
