"""The work of a sweep, as pure functions of JSON-able parameters: the same parameters give the
same result in any process, on any worker (a local process or a Ray worker), so a sweep's
results do not depend on where it ran, and a finished task never needs to run again (resume).

- `train_task`: one architecture trained on the digits (its weights);
- `quality_task`: one (model, precision): the logits SQNR and, where asked, the accuracy;
- `hardware_task`: one point (model, board, precision, engine): fit, memories, DSPs, the
  estimated latency and fps, the estimated energy;
- `rtl_task`: one point built and run through the RTL simulation: the measured cycles.

Every result is a JSON object (floats rounded); a point the engine cannot run gets ``error``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from fpgagen import __version__
from fpgagen.errors import FpgagenError

Weights = Mapping[str, np.ndarray] | None


def task_key(kind: str, **params: Any) -> str:
    """A task's identity: its kind, parameters and the fpgagen version, as canonical JSON."""
    return json.dumps({"kind": kind, "fpgagen": __version__, **params}, sort_keys=True)


def _design(model: str, board: str, precision: str, engine: str, budget: int | None,
            seed: int, weights: Weights):
    from fpgagen.api.design import Design

    return Design(model, board, precision, engine, budget=budget,
                  weights=weights if weights is not None else "random", seed=seed)


def _db(v: float | None) -> float | None:
    import math

    return None if v is None or math.isinf(v) or math.isnan(v) else round(float(v), 3)


def train_task(model: str, epochs: int, seed: int, limit: int | None
               ) -> dict[str, np.ndarray]:
    """The weights of family spec ``model`` trained on the digits."""
    from fpgagen.api.models import load_graph
    from fpgagen.dse.train import train_digits

    return train_digits(load_graph(model), epochs, seed, limit)


def quality_task(model: str, precision: str, seed: int, accuracy: str | None,
                 limit: int | None, weights: Weights) -> dict[str, Any]:
    """Logits SQNR on ``fpgagen run``'s default image (golden against float) and, with
    ``accuracy``, top-1 of float and fixed point on its test split."""
    try:
        design = _design(model, "zc706", precision, "auto", None, seed, weights)
        pred = design.predict()
        out: dict[str, Any] = {"logits_sqnr_db": _db(pred.sqnr_db[design.graph.output])}
        if accuracy:
            from fpgagen.api.evaluation import evaluate

            ev = evaluate(design, accuracy, limit=limit)
            out |= {"top1_float": ev.top1_float, "top1_fixed": ev.top1_fixed,
                    "drop_top1": ev.drop_top1, "accuracy_images": ev.n}
        return out
    except FpgagenError as exc:
        return {"quality_error": str(exc)}


def hardware_task(model: str, board: str, precision: str, engine: str, budget: int | None,
                  seed: int) -> dict[str, Any]:
    """The fit, memories, DSPs, estimated latency, fps and energy of one point."""
    from fpgagen.api.checking import Result, result_json
    from fpgagen.api.records import Record
    from fpgagen.machine.rules import check_widths, supported_plan
    from fpgagen.plan.budget import judge
    from fpgagen.plan.energy import estimate_energy

    try:
        d = _design(model, board, precision, engine, budget, seed, None)
        # check_design without the suggestions: a sweep lists the alternatives itself
        p = supported_plan(d.graph, d.board, d.precision, d.engine, d.fuse)
        verdict = judge(p, d.budget)
        if verdict.fits:
            check_widths(p)
    except FpgagenError as exc:
        return {"fits": False, "error": str(exc)}
    rec = Record(result_json(Result(p, verdict, (), None)))
    energy = estimate_energy(p)
    return {
        "fits": rec.fits, "error": None,
        "failed_checks": [c["name"] for c in rec.checks if c["judged"] and not c["ok"]],
        "pe": f"{p.engine.p_in}x{p.engine.p_out}", "packed": p.engine.pack,
        "params": p.graph.total_params, "macs": p.graph.total_macs,
        "onchip_bytes": rec.total_bytes, "budget_bytes": rec.budget_bytes,
        "weights_bytes": rec.weights_bytes, "activations_bytes": rec.activations_bytes,
        "bram36": rec.bram36, "bram36_available": rec.bram36_available,
        "uram": rec.uram, "uram_available": rec.uram_available,
        "dsp": rec.dsp, "dsp_available": rec.dsp_available,
        "clock_mhz": p.board.clock_mhz,
        "latency_cycles": rec.cycles, "fps": rec.fps,
        "streaming_cycles": rec.streaming_cycles, "streaming_fps": rec.streaming_fps,
        "mac_utilization": round(energy.mac_utilization, 4),
        "power_w_estimated": round(energy.power_w, 4),
        "energy_mj_estimated": round(1e3 * energy.energy_j, 6),
    }


def rtl_task(model: str, board: str, precision: str, engine: str, budget: int | None,
             seed: int, weights: Weights) -> dict[str, Any]:
    """Build one point into a temporary folder and run it through the RTL simulation (two
    images streamed): the measured latency and streaming cycles against the estimate."""
    import tempfile
    from pathlib import Path

    design = _design(model, board, precision, engine, budget, seed, weights)
    with tempfile.TemporaryDirectory(prefix="fpgagen-explore-rtl-") as tmp:
        build = design.build(Path(tmp) / "build")
        if not build.built:
            return {"rtl_error": "does not fit"}
        est = build.report["estimate"]
        ver = build.verify(csim=False, rtl=True, stream=2)
    rtl = ver.rtl
    measured, streaming = rtl["latency_cycles"], rtl.get("streaming_cycles")
    return {
        "rtl_bit_exact": rtl["bit_exact"], "rtl_latency_cycles": measured,
        "rtl_streaming_cycles": streaming,
        "estimate_error_pct": round(100 * (est["cycles"] - measured) / measured, 3),
        "streaming_estimate_error_pct": (
            None if not streaming else
            round(100 * (est["streaming_cycles"] - streaming) / streaming, 3)),
    }
