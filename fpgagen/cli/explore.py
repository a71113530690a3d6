"""``fpgagen explore``: a design-space sweep over models x boards x precisions x engines, with
constraints and a Pareto front (fpgagen/dse/explore.py does the work).

Exit 0 when at least one point is feasible (fits and meets every constraint), 1 when none is,
2 on bad input (unknown metaparameters, an empty sweep, contradictory constraints, an
unreachable Ray cluster), before anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from fpgagen.cli.common import _positive_int, add_json_arg, console, print_json, table
from fpgagen.dse.backends import BACKENDS, LOCAL
from fpgagen.dse.explore import Exploration, Progress, explore
from fpgagen.dse.space import DEFAULT_EPOCHS
from fpgagen.util.progress import PipeConsole

DEFAULT_OUT = "explore"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explore", help="design-space sweep: models x boards x precisions x engines, "
                        "constraints, Pareto front",
        description="Sweep every combination of --model, --board, --precision and --pe; per "
                    "point the fit, BRAM36/URAM/DSP, estimated latency, fps and energy, the "
                    "logits SQNR and (--accuracy digits) the accuracy; mark the Pareto front "
                    "of the feasible points; write results.csv, results.json and pictures to "
                    "--out, resuming a sweep that was interrupted.")
    p.add_argument("--model", "-m", action="append", required=True, metavar="MODEL",
                   help="zoo model, .onnx file or SqueezeNet family spec "
                        "(squeezenet:sr=0.25,pct3x3=0.5,base_e=128,incr_e=128,freq=2; "
                        "alternatives with |: sr=0.25|0.5); repeat or comma-separate")
    p.add_argument("--board", "-b", action="append", default=None, metavar="BOARD",
                   help="board; repeat or comma-separate, or 'all' (default: zc706)")
    p.add_argument("--precision", "-p", action="append", default=None, metavar="P",
                   help="precision (8, 16, w8a16, ap_fixed<16,6>, a .toml file); repeat or "
                        "comma-separate (default: 8)")
    p.add_argument("--pe", "--engine", dest="pe", action="append", default=None,
                   metavar="auto|PINxPOUT",
                   help="engine: auto (the board's) or e.g. 16x32; repeat or comma-separate "
                        "(default: auto)")
    p.add_argument("--budget", metavar="SIZE",
                   help="byte budget (8192KB, 8MB): only bytes and DSPs judge the fit then")
    p.add_argument("--min-fps", type=float, default=None, metavar="FPS",
                   help="constraint: estimated streaming fps at least FPS")
    p.add_argument("--max-energy", default=None, metavar="J",
                   help="constraint: estimated energy per frame at most J (2, 2J, 500mJ)")
    p.add_argument("--max-drop", default=None, metavar="PCT",
                   help="constraint: top-1 drop from float to fixed point at most PCT "
                        "percentage points (needs --accuracy)")
    p.add_argument("--min-accuracy", default=None, metavar="PCT",
                   help="constraint: fixed-point top-1 at least PCT %% (needs --accuracy)")
    p.add_argument("--accuracy", default=None, metavar="digits",
                   help="measure top-1 on the digits test split (models taking 32x32x1)")
    p.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="--accuracy on the first N test images only (default: all 359)")
    p.add_argument("--train", default=None, metavar="digits",
                   help="train every family architecture on the digits first (torch, CPU, "
                        "seeded); implies --accuracy digits")
    p.add_argument("--epochs", type=_positive_int, default=DEFAULT_EPOCHS, metavar="N",
                   help=f"--train: epochs (default {DEFAULT_EPOCHS})")
    p.add_argument("--train-limit", type=_positive_int, default=None, metavar="N",
                   help="--train: the first N training images only (default: all 1,438)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of random weights, training and synthetic images (default 0)")
    p.add_argument("--rtl-sample", type=int, default=0, metavar="N",
                   help="build and simulate the N feasible points with the smallest "
                        "estimated latency in RTL; report the estimate's error (needs the "
                        "sim extra)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="parallel workers: local processes, or Ray CPUs for a local Ray "
                        "(default 1: in this process)")
    p.add_argument("--backend", default=LOCAL, choices=BACKENDS,
                   help="local (default) or ray (pip install 'fpgagen[cluster]')")
    p.add_argument("--address", default=None, metavar="ADDR",
                   help="--backend ray: an existing cluster (HOST:PORT, ray://HOST:PORT or "
                        "auto); default: start a local Ray with --workers CPUs")
    p.add_argument("--out", "-o", default=DEFAULT_OUT, metavar="DIR",
                   help=f"results folder, resumed when it holds a sweep (default {DEFAULT_OUT})")
    p.add_argument("--fresh", action="store_true",
                   help="ignore the finished tasks in --out and redo every point")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    add_json_arg(p)
    p.set_defaults(func=run)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Progress | None]:
    con = PipeConsole(stderr=True)
    if quiet or not con.is_terminal:
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(console=con, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def run(args: argparse.Namespace) -> int:
    with _progress(args.quiet or args.json) as update:
        res = explore(args.model, args.board or ["zc706"], args.precision or ["8"],
                      args.pe or ["auto"], budget=args.budget, min_fps=args.min_fps,
                      max_energy=args.max_energy, max_drop=args.max_drop,
                      min_accuracy=args.min_accuracy, accuracy=args.accuracy,
                      limit=args.limit, train=args.train, epochs=args.epochs,
                      train_limit=args.train_limit, seed=args.seed,
                      rtl_sample=args.rtl_sample, workers=args.workers,
                      backend=args.backend, address=args.address, out=args.out,
                      fresh=args.fresh, progress=update)
    if args.json:
        print_json({**res.to_json(), "run": res.run})
    else:
        print_exploration(res)
    return 0 if res.feasible else 1


def _num(v: Any, fmt: str = "{:,}") -> str:
    return "-" if v is None else fmt.format(v)


def print_exploration(res: Exploration) -> None:
    con = console()
    acc = res.settings["accuracy"] is not None
    rtl = bool(res.rtl_sample["points"])
    cols = ["#", "model", "board", "precision", "engine", "fits", "on-chip KiB", "BRAM36",
            "URAM", "DSP", "fps", "mJ/frame (est.)", "SQNR dB",
            *(["top-1 %", "drop"] if acc else []), *(["RTL err %"] if rtl else []),
            "Pareto", "verdict"]
    rows = []
    for p in res.points:
        rows.append((
            p["index"], p["model"], p["board"], p["precision"], p["pe"] or p["engine"],
            "yes" if p["fits"] else "no",
            _num(None if p["onchip_bytes"] is None else p["onchip_bytes"] / 1024, "{:,.1f}"),
            _num(p["bram36"]), _num(p["uram"]), _num(p["dsp"]),
            _num(p["streaming_fps"], "{:,.1f}"), _num(p["energy_mj_estimated"], "{:.4g}"),
            _num(p["logits_sqnr_db"], "{:.1f}"),
            *([_num(None if p["top1_fixed"] is None else 100 * p["top1_fixed"], "{:.2f}"),
               _num(None if p["drop_top1"] is None else 100 * p["drop_top1"], "{:+.2f}")]
              if acc else []),
            *([_num(p["estimate_error_pct"], "{:+.2f}")] if rtl else []),
            "*" if p["pareto"] else "",
            "ok" if p["feasible"] else "; ".join(p["violations"])))
    con.print(table(f"Sweep: {len(res.points)} points, {res.feasible} feasible, "
                    f"{len(res.pareto)} on the Pareto front (*)", cols, rows,
                    right=("#", "on-chip KiB", "BRAM36", "URAM", "DSP", "fps",
                           "mJ/frame (est.)", "SQNR dB", "top-1 %", "drop", "RTL err %")))
    goals = ", ".join(f"{o['goal']} {o['field']}" for o in res.objectives)
    con.print(f"Pareto front over the feasible points: {goals}. fps is the estimated streaming "
              "fps at the board's nominal clock; energy is estimated (docs/reference.md"
              "#energy-model), not measured.")
    s = res.rtl_sample
    if s["points"]:
        con.print(f"RTL sample ({s['rule']}): points {', '.join(map(str, s['points']))}; the "
                  f"estimate's mean absolute error {s['mean_abs_error_pct']:.2f} % (latency), "
                  f"{_num(s['mean_abs_streaming_error_pct'], '{:.2f}')} % (streaming)")
    run = res.run
    where = f"{run['backend']}, {run['workers']} worker(s)"
    con.print(f"{run['tasks_run']} tasks run, {run['tasks_reused']} reused ({where}) in "
              f"{run['seconds']:.1f} s" + (f"; wrote {res.out}/: {', '.join(res.files)}"
                                           if res.out is not None else ""))
