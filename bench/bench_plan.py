"""Plan figures for every zoo model: arena fused/unfused vs its lower bound, totals, BRAM36.

Run: ``python bench/bench_plan.py [BOARD]`` (default zynq). Prints numbers, asserts nothing.
"""

from __future__ import annotations

import sys
import time

from fpgagen.frontend.zoo import ZOO, load_model
from fpgagen.plan.boards import load_board
from fpgagen.plan.budget import judge
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision


def main(board_name: str = "zynq") -> None:
    board = load_board(board_name)
    print(f"board {board.name}: {board.bram36} BRAM36, {board.uram} URAM, "
          f"{board.onchip_bytes:,} B on chip")
    print(f"{'model':22} {'prec':6} {'arena fused':>12} {'bound':>12} {'arena unfused':>14} "
          f"{'weights':>11} {'total':>11} {'BRAM36':>7} {'URAM':>5} {'fits':>5} {'ms':>6}")
    for name in ZOO:
        graph = load_model(name)
        for prec in ("w8a8", "w16a16"):
            t0 = time.perf_counter()
            plan = make_plan(graph, board, parse_precision(prec))
            ms = 1000 * (time.perf_counter() - t0)
            print(f"{name:22} {prec:6} {plan.arena_bytes:>12,} "
                  f"{plan.arena_lower_bound_bytes:>12,} {plan.arena_unfused_bytes:>14,} "
                  f"{plan.weights_bytes:>11,} {plan.total_bytes:>11,} {plan.bram36:>7} "
                  f"{plan.uram:>5} {'yes' if judge(plan).fits else 'no':>5} {ms:>6.0f}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
