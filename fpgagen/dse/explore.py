"""`explore`: a design-space sweep over models x boards x precisions x engines, with
constraints, a Pareto front, pictures, parallel or distributed workers, and resume.

Per point (fpgagen/dse/tasks.py): the fit, BRAM36 / URAM / DSP, the estimated latency and
streaming fps, the estimated energy per frame (fpgagen/plan/energy.py), the logits SQNR and,
with ``accuracy``, top-1 on the digits (``train`` trains each family architecture first). With
``rtl_sample`` N, the N feasible points with the smallest estimated latency are built and run
through the RTL simulation, and the estimate's error is reported.

Everything a point reports is a pure function of its parameters, so the order of the points is
the sweep's (models, then boards, precisions, engines) and the results are the same on any
backend. ``out`` gets ``results.json``, ``results.csv`` and the pictures (fpgagen/dse/plots.py)
when the sweep ends, and ``results.jsonl`` as it goes: one finished task a line (trained
weights under ``weights/``). A sweep run again into the same folder takes every finished task
from there instead of redoing it; ``fresh`` ignores them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.api.records import Record, _attach
from fpgagen.dse import tasks
from fpgagen.dse.backends import LOCAL, Backend, make_backend
from fpgagen.dse.pareto import objectives, pareto_front
from fpgagen.dse.space import AUTO, DEFAULT_EPOCHS, Sweep, make_sweep
from fpgagen.errors import FpgagenError
from fpgagen.plan.energy import COEFFICIENTS, LOGIC_SHARE, SOURCE, STATIC_W
from fpgagen.util.locking import write_text_atomic

RESULTS_JSON, RESULTS_CSV, JOURNAL = "results.json", "results.csv", "results.jsonl"
WEIGHTS_DIR = "weights"

# the columns of results.csv, in order (results.json's points hold the same keys)
COLUMNS = (
    "index", "model", "board", "precision", "engine", "pe", "packed", "params", "macs",
    "fits", "error", "failed_checks", "onchip_bytes", "budget_bytes", "weights_bytes",
    "activations_bytes", "bram36", "bram36_available", "uram", "uram_available", "dsp",
    "dsp_available", "clock_mhz", "latency_cycles", "fps", "streaming_cycles",
    "streaming_fps", "mac_utilization", "power_w_estimated", "energy_mj_estimated",
    "logits_sqnr_db", "quality_error", "trained", "top1_float", "top1_fixed", "drop_top1",
    "accuracy_images",
    "feasible", "violations", "pareto", "rtl_bit_exact", "rtl_latency_cycles",
    "rtl_streaming_cycles", "estimate_error_pct", "streaming_estimate_error_pct")

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class Exploration(Record):
    """``explore --json`` (results.json): ``settings``, ``objectives``, ``points`` (one object
    per point, the keys of results.csv), ``pareto`` (the indices of the front),
    ``energy_model``, ``rtl_sample``, ``files``. ``.run`` says how it ran (backend, workers,
    tasks run and reused, seconds); ``.out`` is the folder (or None)."""

    __slots__ = ("out", "run")


def _journal_load(path: Path) -> dict[str, Any]:
    done: dict[str, Any] = {}
    if not path.is_file():
        return done
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
            done[entry["key"]] = entry["result"]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by an interruption: that task runs again
    return done


class _Journal:
    """The finished tasks of a sweep folder (none without a folder)."""

    def __init__(self, out: Path | None, fresh: bool) -> None:
        self.out = out
        self.done = {} if out is None or fresh else _journal_load(out / JOURNAL)
        self.reused = 0
        self.ran = 0
        if out is not None and fresh:
            (out / JOURNAL).unlink(missing_ok=True)

    def get(self, key: str) -> Any:
        return self.done.get(key)

    def add(self, key: str, result: Any) -> None:
        self.done[key] = result
        self.ran += 1
        if self.out is not None:
            with (self.out / JOURNAL).open("a") as f:
                f.write(json.dumps({"key": key, "result": result}, sort_keys=True) + "\n")


def _weights_file(key: str) -> str:
    return f"{WEIGHTS_DIR}/{hashlib.sha256(key.encode()).hexdigest()[:20]}.npz"


def _run_phase(backend: Backend, journal: _Journal, phase: str, fn: Callable[..., Any],
               jobs: Sequence[tuple[str, tuple[Any, ...]]], progress: Progress | None,
               store: Callable[[str, Any], Any] = lambda _k, r: r) -> dict[str, Any]:
    """Run the jobs (key, args) not in the journal; every job's result by key."""
    todo = [(k, a) for k, a in jobs if journal.get(k) is None]
    journal.reused += len(jobs) - len(todo)
    if progress is not None and todo:
        progress(phase, 0, len(todo))
    for n, (i, result) in enumerate(backend.map(fn, [a for _, a in todo]), 1):
        journal.add(todo[i][0], store(todo[i][0], result))
        if progress is not None:
            progress(phase, n, len(todo))
    return {k: journal.get(k) for k, _ in jobs}


def _violations(p: dict[str, Any], s: Sweep) -> list[str]:
    if p["error"]:
        return [f"not supported: {p['error']}"]
    out = []
    if not p["fits"]:
        out.append("does not fit (" + ", ".join(p["failed_checks"]) + ")")
    if s.min_fps is not None and p["streaming_fps"] < s.min_fps:
        out.append(f"streaming fps {p['streaming_fps']:g} < {s.min_fps:g}")
    if s.max_energy_j is not None and p["energy_mj_estimated"] > 1e3 * s.max_energy_j:
        out.append(f"energy {p['energy_mj_estimated'] / 1e3:.4g} J > {s.max_energy_j:g} J "
                   "(estimated)")
    if s.max_drop is not None:
        if p.get("drop_top1") is None:
            out.append("accuracy not measured")
        elif 100 * p["drop_top1"] > s.max_drop + 1e-9:
            out.append(f"top-1 drop {100 * p['drop_top1']:.2f} > {s.max_drop:g} points")
    if s.min_accuracy is not None:
        if p.get("top1_fixed") is None:
            out.append("accuracy not measured")
        elif 100 * p["top1_fixed"] < s.min_accuracy - 1e-9:
            out.append(f"top-1 {100 * p['top1_fixed']:.2f} % < {s.min_accuracy:g} %")
    return out


def energy_model() -> dict[str, Any]:
    """The energy model's figures and their source (results.json)."""
    return {"source": SOURCE, "logic_share": LOGIC_SHARE,
            "uw_per_mhz": {fam: {"dsp": c[0], "bram36": c[1], "uram": c[2]}
                           for fam, c in COEFFICIENTS.items()},
            "static_w": dict(STATIC_W)}


def _csv(points: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in points:
        row = []
        for c in COLUMNS:
            v = p.get(c)
            row.append("" if v is None else "; ".join(map(str, v)) if isinstance(v, list)
                       else str(v).lower() if isinstance(v, bool) else v)
        writer.writerow(row)
    return buf.getvalue()


def _check_out(out: Path) -> None:
    """The sweep folder can be made (before any work); an existing one is resumed."""
    if out.exists() and not out.is_dir():
        raise FpgagenError(f"{out} exists and is not a folder")
    base = out.absolute()
    while not base.exists():
        base = base.parent
    if not base.is_dir():
        raise FpgagenError(f"cannot create {out}: {base} is not a folder")


def explore(models: Any, boards: Any = "zc706", precisions: Any = "8", engines: Any = AUTO,
            *, budget: str | int | None = None, min_fps: float | None = None,
            max_energy: str | float | None = None, max_drop: str | float | None = None,
            min_accuracy: str | float | None = None, accuracy: str | None = None,
            limit: int | None = None, train: str | None = None, epochs: int = DEFAULT_EPOCHS,
            train_limit: int | None = None, seed: int = 0, rtl_sample: int = 0,
            workers: int = 1, backend: str = LOCAL, address: str | None = None,
            out: str | Path | None = None, fresh: bool = False,
            progress: Progress | None = None) -> Exploration:
    """Sweep models x boards x precisions x engines (lists or comma-separated text) and judge
    every point: ``explore --json`` (docs/reference.md#explore). ``out`` None writes nothing
    (and resumes nothing)."""
    t0 = time.perf_counter()
    sweep = make_sweep(models, boards, precisions, engines, budget=budget, min_fps=min_fps,
                       max_energy=max_energy, max_drop=max_drop, min_accuracy=min_accuracy,
                       accuracy=accuracy, accuracy_limit=limit, train=train, epochs=epochs,
                       train_limit=train_limit, seed=seed, rtl_sample=rtl_sample)
    folder = Path(out) if out is not None else None
    if folder is not None:
        _check_out(folder)
    if rtl_sample:
        from fpgagen.verify.verilator import require_simulator

        require_simulator()
    runner = make_backend(backend, workers, address)  # an unreachable cluster fails here
    try:
        if folder is not None:
            try:
                (folder / WEIGHTS_DIR).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise FpgagenError(f"cannot create {folder}: {exc.strerror or exc}") from None
        journal = _Journal(folder, fresh)
        result = _sweep(sweep, runner, journal, folder, progress)
    finally:
        runner.close()
    files = []
    if folder is not None:
        from fpgagen.dse.plots import draw_sweep

        files = [RESULTS_JSON, RESULTS_CSV, *draw_sweep(folder, result["points"])]
        result["files"] = files
        write_text_atomic(folder / RESULTS_CSV, _csv(result["points"]))
        write_text_atomic(folder / RESULTS_JSON, json.dumps(result, indent=1) + "\n")
    else:
        result["files"] = []
    rec = Exploration(result)
    _attach(rec, out=folder, run={
        "backend": runner.name, "workers": workers, "address": address,
        "tasks_run": journal.ran, "tasks_reused": journal.reused,
        "seconds": round(time.perf_counter() - t0, 2)})
    return rec


def _sweep(s: Sweep, runner: Backend, journal: _Journal, folder: Path | None,
           progress: Progress | None) -> dict[str, Any]:
    # 1. train each architecture (its weights stored beside the journal)
    trained: dict[str, dict[str, np.ndarray] | None] = dict.fromkeys(s.models)
    if s.train:
        jobs = [(tasks.task_key("train", model=m, epochs=s.epochs, seed=s.seed,
                                limit=s.train_limit), (m, s.epochs, s.seed, s.train_limit))
                for m in s.models]

        def store(key: str, weights: dict[str, np.ndarray]) -> Any:
            if folder is None:
                return {"arrays": {k: v.tolist() for k, v in weights.items()}}
            name = _weights_file(key)
            np.savez(folder / name, **weights)
            return {"file": name}

        results = _run_phase(runner, journal, "train", tasks.train_task, jobs, progress, store)
        for m, (key, _) in zip(s.models, jobs, strict=True):
            entry = results[key]
            if "file" in entry and folder is not None and (folder / entry["file"]).is_file():
                with np.load(folder / entry["file"]) as npz:
                    trained[m] = {k: npz[k] for k in npz.files}
            elif "arrays" in entry:
                trained[m] = {k: np.asarray(v, dtype=np.float32)
                              for k, v in entry["arrays"].items()}
            else:  # the weights file went missing: train again
                journal.done.pop(key, None)
                return _sweep(s, runner, journal, folder, progress)

    def wkey(m: str) -> str | None:
        return None if not s.train else tasks.task_key(
            "train", model=m, epochs=s.epochs, seed=s.seed, limit=s.train_limit)

    # 2. quality per (model, precision), hardware per point
    qjobs = {(m, p): (tasks.task_key("quality", model=m, precision=p, seed=s.seed,
                                     accuracy=s.accuracy, limit=s.accuracy_limit,
                                     weights=wkey(m)),
                      (m, p, s.seed, s.accuracy, s.accuracy_limit, trained[m]))
             for m in s.models for p in s.precisions}
    quality = _run_phase(runner, journal, "quality", tasks.quality_task,
                         list(qjobs.values()), progress)
    coords = [(m, b, p, e) for m in s.models for b in s.boards for p in s.precisions
              for e in s.engines]
    hjobs = [(tasks.task_key("hardware", model=m, board=b, precision=p, engine=e,
                             budget=s.budget, seed=s.seed), (m, b, p, e, s.budget, s.seed))
             for m, b, p, e in coords]
    hardware = _run_phase(runner, journal, "hardware", tasks.hardware_task, hjobs, progress)
    points = []
    for i, ((m, b, p, e), (hkey, _)) in enumerate(zip(coords, hjobs, strict=True)):
        point: dict[str, Any] = dict.fromkeys(COLUMNS)
        point |= {"index": i, "model": m, "board": b, "precision": p, "engine": e,
                  "trained": bool(s.train)}
        point |= hardware[hkey]
        point |= quality[qjobs[(m, p)][0]]
        if point.get("params") is None:
            point["params"] = s.params.get(m)
        points.append(point)
    for point in points:
        point["violations"] = _violations(point, s)
        point["feasible"] = not point["violations"]
    with_accuracy = s.accuracy is not None
    for point, on in zip(points, pareto_front(points, with_accuracy), strict=True):
        point["pareto"] = on
    # 3. the RTL sample: the feasible points with the smallest estimated latency
    sample_info: dict[str, Any] = {"requested": s.rtl_sample, "points": [],
                                   "mean_abs_error_pct": None,
                                   "mean_abs_streaming_error_pct": None}
    if s.rtl_sample:
        chosen = sorted((pt for pt in points if pt["feasible"]),
                        key=lambda pt: (pt["latency_cycles"], pt["index"]))[:s.rtl_sample]
        chosen.sort(key=lambda pt: pt["index"])
        rjobs = [(tasks.task_key("rtl", model=pt["model"], board=pt["board"],
                                 precision=pt["precision"], engine=pt["engine"],
                                 budget=s.budget, seed=s.seed, weights=wkey(pt["model"])),
                  (pt["model"], pt["board"], pt["precision"], pt["engine"], s.budget, s.seed,
                   trained[pt["model"]]))
                 for pt in chosen]
        rtl = _run_phase(runner, journal, "rtl", tasks.rtl_task, rjobs, progress)
        for pt, (rkey, _) in zip(chosen, rjobs, strict=True):
            pt |= rtl[rkey]
        errs = [abs(pt["estimate_error_pct"]) for pt in chosen
                if pt.get("estimate_error_pct") is not None]
        serrs = [abs(pt["streaming_estimate_error_pct"]) for pt in chosen
                 if pt.get("streaming_estimate_error_pct") is not None]
        sample_info |= {
            "points": [pt["index"] for pt in chosen],
            "mean_abs_error_pct": round(float(np.mean(errs)), 3) if errs else None,
            "mean_abs_streaming_error_pct": round(float(np.mean(serrs)), 3) if serrs else None,
            "rule": "the feasible points with the smallest estimated latency"}
    return {
        "fpgagen_explore": 1,
        "settings": s.settings(),
        "objectives": [{"field": k, "goal": "max" if sign > 0 else "min"}
                       for k, sign in objectives(with_accuracy)],
        "points": points,
        "pareto": [pt["index"] for pt in points if pt["pareto"]],
        "feasible": sum(pt["feasible"] for pt in points),
        "energy_model": energy_model(),
        "rtl_sample": sample_info,
    }
