"""The Plan's cycle estimate against the RTL, layer by layer (the goal: within 3 %).

Run: ``python bench/bench_estimate.py [--board B ...] [--model M] [--pe PxQ] [--input-size N]``.
By default: SqueezeNet 1.1 on every board whose default engine fits it (the others are named
and skipped), then the trained ``digits`` model on the ZC706. Each is built, simulated once on
Verilator (bench/bench_rtl.py's `simulate`, the `fpgagen verify --rtl` bench) and compared
with the Plan's estimate (`fpgagen.plan.cycles`): per layer-table entry RTL cycles, estimate
and error, the image load, the logits and control cycles, the total. Prints; asserts nothing
(tests/test_rtl_cycles.py asserts the bound on small builds).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rtl import simulate

from fpgagen.cli.common import model_from_args
from fpgagen.plan.boards import all_boards, load_board
from fpgagen.plan.budget import judge
from fpgagen.plan.cycles import compare
from fpgagen.plan.engine import EngineConfig, parse_pe
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision

BOUND = 0.03


def run_one(model: str, board: str, pe: str | None, input_size: int | None,
            terms: bool = False) -> float:
    """Build, simulate and print one table; returns the largest |error| over its rows."""
    sim = simulate(model, board, pe, input_size=input_size, dump=False)
    rep = sim.report
    graph = model_from_args(argparse.Namespace(model=model, input_size=input_size))
    plan = make_plan(graph, load_board(board), parse_precision(rep["precision"]),
                     EngineConfig(rep["engine"]["p_in"], rep["engine"]["p_out"]))
    rows = compare(plan.costs, plan.io_terms, sim.figs["cycles_per_layer"],
                   sim.run.host.get("load_cycles", 0), sim.run.cycles)
    print(f"\n{graph.name} on {board}, engine {plan.engine}: "
          f"{'bit-exact' if sim.bit_exact else 'NOT bit-exact'}; RTL sim {sim.sim_seconds:.0f} s")
    print(f"{'entry':22} {'RTL':>10} {'estimate':>10} {'error %':>8}")
    named = {c.layer: c.terms for c in plan.costs} | {"image load": (), "total": ()}
    for r in rows:
        flag = "" if abs(r.error) <= BOUND else "  > 3 %"
        parts = " + ".join(f"{k} {v:,}" for k, v in named.get(r.name, ()) if v)
        print(f"{r.name:22} {r.rtl:>10,} {r.estimate:>10,} {100 * r.error:>+8.2f}{flag}"
              + (f"  ({parts})" if terms and parts else ""))
    worst = max(abs(r.error) for r in rows)
    print(f"largest |error| {100 * worst:.2f} % (layers and total)")
    return worst


def default_boards(model: str) -> list[str]:
    """Boards whose default engine fits ``model`` at w8a8; the others are named and skipped."""
    graph = model_from_args(argparse.Namespace(model=model, input_size=None))
    fits = []
    for b in all_boards():
        board = load_board(b) if isinstance(b, str) else b
        plan = make_plan(graph, board, parse_precision("8"))
        if judge(plan).fits:
            fits.append(board.name)
        else:
            print(f"skip {board.name}: {model} does not fit its default engine {plan.engine} "
                  f"({plan.bram36} BRAM36 of {board.bram36}, {plan.uram} URAM of {board.uram})")
    return fits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--board", action="append", help="board (repeatable; default: every "
                    "board whose default engine fits the model)")
    ap.add_argument("--model", default=None, help="default: squeezenet, then digits")
    ap.add_argument("--pe", default=None)
    ap.add_argument("--input-size", type=int, default=None)
    ap.add_argument("--terms", action="store_true", help="print each estimate's named terms")
    args = ap.parse_args()
    if args.pe:
        parse_pe(args.pe)
    jobs = []
    if args.model:
        for b in args.board or default_boards(args.model):
            jobs.append((args.model, b))
    else:
        jobs += [("squeezenet", b) for b in args.board or default_boards("squeezenet")]
        jobs.append(("digits", (args.board or ["zc706"])[0]))
    worst = {f"{m} on {b}": run_one(m, b, args.pe, args.input_size, args.terms) for m, b in jobs}
    print("\nsummary (largest |error| per build):")
    for name, w in worst.items():
        print(f"  {name:32} {100 * w:6.2f} %{'' if w <= BOUND else '  > 3 %'}")


if __name__ == "__main__":
    main()
