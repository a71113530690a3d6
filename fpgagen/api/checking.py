"""The fit check of one design: plan, verdict, largest consumers and, when it does not fit,
the alternatives; and its JSON (the ``check --json`` schema, docs/reference.md#check)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fpgagen.api.inputs import load_input
from fpgagen.api.models import Weights, load_network
from fpgagen.frontend.graph import Graph
from fpgagen.machine.columns import written_arrays
from fpgagen.machine.rules import check_widths, supported_plan
from fpgagen.plan.boards import Board
from fpgagen.plan.bram import BlockMapping
from fpgagen.plan.budget import Consumer, Suggestions, Verdict, consumers, judge, suggest
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import AUTO, INPUT_STAGING, PixelChoice, Plan, layer_rows, weight_note
from fpgagen.quant.precision import Precision
from fpgagen.quant.quality import MIN_USEFUL_SQNR_DB, QualityProbe, db_json
from fpgagen.quant.quantize import calibration_inputs


@dataclass(frozen=True)
class Result:
    """One checked design: its plan, the verdict and, when it does not fit, the alternatives."""

    plan: Plan
    verdict: Verdict
    largest: tuple[Consumer, ...]
    suggestions: Suggestions | None
    # the fastest engine of several pixels a beat (`pixel_engine`), for `check` without --pe
    pixel: PixelChoice | None = None


def quality_probe(model: str, graph: Graph, input_size: int | None, weights: Weights,
                  seed: int) -> Callable[[], QualityProbe]:
    """A probe of ``model``'s quality at other precisions, made on first use (only a design
    that does not fit needs one): its weights, the default seeded calibration images and the
    image ``fpgagen run`` uses by default, so that ``fpgagen run -p P`` shows the same logits
    SQNR as the suggestion. A weights file is read at once: a bad one must fail before any
    report, not only when a suggestion is needed."""
    @functools.cache
    def make() -> QualityProbe:
        _, arrays = load_network(model, input_size, weights, seed)
        assert arrays is not None
        return QualityProbe(graph, arrays, calibration_inputs(graph, seed),
                            load_input(None, graph, seed))

    if not (isinstance(weights, str) and weights == "random"):
        make()
    return make


def check_design(graph: Graph, board: Board, precision: Precision, engine: EngineConfig | None,
                 fuse: bool, budget: int | None,
                 probe: Callable[[], QualityProbe] | None = None,
                 weight_source: str = AUTO) -> Result:
    """Plan and judge one design; what ``check`` prints and ``build`` runs first. When it does
    not fit, the alternatives, each precision rated by ``probe`` (its logits SQNR) when given.

    Every rule of the engine (the build's too) is applied here, so a design the build would
    refuse fails here, with the same message, before any work (`fpgagen.machine.rules`): the
    rules no board or precision can fix first (exit 2), then the fit (exit 1), then, for a
    design that fits, the width rules.
    """
    plan = supported_plan(graph, board, precision, engine, fuse, weight_source)
    verdict = judge(plan, budget)
    if verdict.fits:
        check_widths(plan)
    rate = None if probe is None else (lambda text: probe().logits_sqnr(text))
    sugg = (None if verdict.fits else
            suggest(graph, board, precision, engine, fuse, budget, rate,
                    weight_source=weight_source))
    return Result(plan, verdict, tuple(consumers(plan)), sugg)


def _blocks_json(m: BlockMapping) -> dict[str, int]:
    return {"width": m.width, "depth": m.depth, "bram36": m.bram36, "bram18": m.bram18,
            "uram": m.uram}


def result_json(r: Result) -> dict[str, Any]:
    """The ``check --json`` schema for one design."""
    p, v = r.plan, r.verdict
    arrays = written_arrays(p.hls_memories)
    return {
        "fits": v.fits, "model": p.graph.name, "board": p.board.name, "part": p.board.part,
        "precision": p.precision.text,
        "engine": {"p_in": p.engine.p_in, "p_out": p.engine.p_out, "p_pix": p.engine.p_pix,
                   "macs_per_cycle": p.engine.macs},
        "engine_note": p.engine_note, "dsp": p.engine.dsp, "dsp_available": p.board.dsp,
        **({"pixel_engine": {
            "pe": str(r.pixel.plan.engine), "binding": r.pixel.binding, "note": r.pixel.note,
            "dsp": r.pixel.plan.engine.dsp, "streaming_cycles": r.pixel.plan.streaming_cycles,
            "cycles": r.pixel.plan.total_cycles}} if r.pixel is not None else {}),
        # where the weights come from at power-up: "bitstream" or "runtime" (loaded through
        # in_stream, weights.bin); what was asked for; why
        "weight_source": p.weight_source, "weight_source_asked": p.weight_policy,
        "weight_note": weight_note(p),
        "dsp_packed": p.engine.pack,
        "fuse": p.fuse,
        "fusions": [{"conv": f.conv, "pool": f.pool, "ring_rows": f.ring_rows}
                    for f in p.fusions],
        "budget_bytes": v.budget_bytes,
        "budget_source": "board" if v.from_board else "--budget",
        "weights_bytes": p.weights_bytes, "weights_logical_bytes": p.weights_logical_bytes,
        "activations_bytes": p.arena_bytes,
        "activation_lower_bound_bytes": p.arena_lower_bound_bytes,
        "activations_unfused_bytes": p.arena_unfused_bytes,
        "activation_logical_peak_bytes": p.activations.logical_peak_bytes,
        "staging_bytes": p.staging_bytes,
        "input_staging_bytes": p.memories[INPUT_STAGING].bytes,
        "total_bytes": p.total_bytes, "over_bytes": v.over_bytes,
        "headroom_pct": round(v.headroom_pct, 2),
        "bram36": p.bram36, "bram36_available": p.board.bram36, "bram18": p.bram18,
        "uram": p.uram, "uram_available": p.board.uram,
        "checks": [{"name": c.name, "used": c.used, "limit": c.limit, "judged": c.judged,
                    "ok": c.ok} for c in v.checks],
        "memories": [{"name": m.name, "width": m.width, "depth": m.depth, "bytes": m.bytes,
                      "bram36": m.mapping.bram36, "bram18": m.mapping.bram18,
                      "uram": m.mapping.uram, "mapping": str(m.mapping),
                      # weights and biases: "bitstream" (initial contents) or "stream"
                      # (loaded at run time); null for the arena and the staging memory
                      "init": m.init or None,
                      # the separately built memories (staging banks, arena lane groups)
                      "parts": [_blocks_json(q) for q in (m.parts or (m.mapping,))]}
                     for m in p.memories.values()],
        # the HLS core's memories (one staging slot: Plan.hls_memories), each with the arrays
        # it is written as: what the HLS memory gate compares the code with (verify)
        "hls_bram36": p.hls_bram36, "hls_uram": p.hls_uram,
        "hls_total_bytes": p.hls_total_bytes,
        "hls_memories": [{"name": name, "width": m.width, "depth": m.depth, "bytes": m.bytes,
                          "bram36": m.mapping.bram36, "bram18": m.mapping.bram18,
                          "uram": m.mapping.uram, "mapping": str(m.mapping),
                          "arrays": [_blocks_json(a) for a in arrays[name]]}
                         for name, m in p.hls_memories.items()],
        "largest": [{"name": c.name, "kind": c.kind, "bytes": c.bytes} for c in r.largest],
        "suggestions": None if r.suggestions is None else {
            "precision": r.suggestions.precision,
            "precision_total_bytes": r.suggestions.precision_total_bytes,
            "precision_logits_sqnr_db": db_json(r.suggestions.precision_sqnr_db),
            "rejected": [{"precision": x.precision, "total_bytes": x.total_bytes,
                          "logits_sqnr_db": db_json(x.sqnr_db)}
                         for x in r.suggestions.rejected],
            "min_logits_sqnr_db": MIN_USEFUL_SQNR_DB,
            "boards": list(r.suggestions.boards), "fusion_fits": r.suggestions.fusion_fits,
            "engine": r.suggestions.engine,
            "runtime_weights_fit": r.suggestions.runtime_fits},
        "cycles": p.total_cycles, "fps": round(p.fps, 2),
        "streaming_cycles": p.streaming_cycles, "streaming_fps": round(p.streaming_fps, 2),
        "layers": layer_rows(p),
    }
