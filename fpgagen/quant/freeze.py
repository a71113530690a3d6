"""New weights for a quantized network without new types: what ``fpgagen pack-weights`` needs.

A build's layer table holds every shift its types imply (docs/design.md §2), so a bitstream runs
exactly one set of types. New weights of the same network (retrained, the same shapes) are
requantized into the build's weight and bias types; every activation type stays, so the table
is unchanged and the same bitstream computes them bit-exactly against their own golden model.
Whether the old types suit the new weights is measured, not assumed: per layer the weights
and biases that saturate and the weights' SQNR (`WeightFit`); the caller adds the logits SQNR.

- `types_record` / `frozen_precision`: a QGraph's types as JSON values, and back as a
  `Precision` that pins every tensor's type (width and binary point) and mode, so quantizing
  with it reproduces the types without calibration;
- `requantize`: a network's new float weights at a frozen precision (the quantizer itself:
  no second implementation of the types' rules);
- `weight_fit`: what the requantization cost, layer by layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph
from fpgagen.quant.fixed import FixedType, dequantize, float_out_of_range
from fpgagen.quant.precision import LayerPrecision, Precision, TypeSpec
from fpgagen.quant.quality import sqnr_db
from fpgagen.quant.quantize import WEIGHT_ROUNDING, QGraph, quantize_calibrated


def _t(t: FixedType | None) -> list[int] | None:
    return None if t is None else [t.width, t.frac, int(t.signed)]


def _fixed(v: Any, what: str) -> FixedType:
    try:
        width, frac, signed = v
        return FixedType(int(width), int(frac), bool(signed))
    except (TypeError, ValueError) as exc:
        raise FpgagenError(f"a type record of {what} is not [width, frac, signed]: {v!r}"
                           ) from exc


def types_record(qgraph: QGraph) -> dict[str, Any]:
    """Every tensor's type and every layer's weight / bias types and modes, as JSON values:
    what `frozen_precision` needs (types are ``[width, frac, signed]``)."""
    return {
        "precision": qgraph.precision.text,
        "input_rounding": qgraph.input_rounding, "input_saturation": qgraph.input_saturation,
        "headroom": qgraph.headroom,
        "tensors": {name: _t(t) for name, t in qgraph.types.items()},
        "layers": {name: {"rounding": q.rounding, "saturation": q.saturation,
                          "weight": _t(q.weight_type), "bias": _t(q.bias_type)}
                   for name, q in qgraph.qlayers.items()},
    }


def frozen_precision(record: Mapping[str, Any], graph: Graph) -> Precision:
    """A `Precision` that pins every type of ``record`` (`types_record`): the default is the
    input's type and modes, each layer an override with its result, weight and bias types."""
    try:
        tensors, layers = record["tensors"], record["layers"]
        t_in = _fixed(tensors[INPUT], INPUT)
        default = LayerPrecision(TypeSpec(t_in.width, t_in), TypeSpec(t_in.width, t_in),
                                 TypeSpec(t_in.width, t_in), str(record["input_rounding"]),
                                 str(record["input_saturation"]))
        overrides = {}
        for lay in graph.layers:
            r = layers[lay.name]
            out = _fixed(tensors[lay.name], lay.name)
            w = _fixed(r["weight"], lay.name) if r["weight"] is not None else out
            b = _fixed(r["bias"], lay.name) if r["bias"] is not None else out
            overrides[lay.name] = LayerPrecision(TypeSpec(w.width, w), TypeSpec(b.width, b),
                                                 TypeSpec(out.width, out), str(r["rounding"]),
                                                 str(r["saturation"]))
    except KeyError as exc:
        raise FpgagenError(f"the type record has no entry {exc} for this network") from None
    return Precision(str(record.get("precision", "frozen")), default, overrides)


def requantize(graph: Graph, weights: Mapping[str, np.ndarray], record: Mapping[str, Any]
               ) -> QGraph:
    """``weights`` (float, checked against ``graph``) in the types of ``record``: the same
    types, shifts and modes, new integer weights and biases. Refuses (one line) a record whose
    types the quantizer would not reproduce (a record of another network)."""
    precision = frozen_precision(record, graph)
    peaks = dict.fromkeys([INPUT, *(lay.name for lay in graph.layers)], 0.0)
    qg = quantize_calibrated(graph, weights, precision, peaks, int(record.get("headroom", 0)))
    want = {name: _fixed(v, name) for name, v in record["tensors"].items()}
    if dict(qg.types) != want:
        bad = next(n for n in want if qg.types.get(n) != want[n])
        raise FpgagenError(f"tensor {bad!r}: the build's type {want[bad]} is not reproduced "
                           f"({qg.types.get(bad)}): the type record is not this network's")
    return qg


@dataclass(frozen=True)
class WeightFit:
    """How one conv's new weights fit the build's types."""

    layer: str
    weight_type: FixedType
    bias_type: FixedType
    weights_saturated: int      # weights outside the type's range, clamped
    biases_saturated: int
    weights: int
    weight_sqnr_db: float       # the quantized weights against the float ones


def weight_fit(qgraph: QGraph, weights: Mapping[str, np.ndarray]) -> list[WeightFit]:
    """Per conv, the weights and biases that `requantize` clamped and the weights' SQNR."""
    out = []
    for name, q in qgraph.qlayers.items():
        if q.weight_type is None or q.bias_type is None or q.weights is None:
            continue
        w = np.asarray(weights[f"{name}.weight"], dtype=np.float64)
        b = np.asarray(weights[f"{name}.bias"], dtype=np.float64)
        out.append(WeightFit(
            name, q.weight_type, q.bias_type,
            int(np.count_nonzero(float_out_of_range(w, q.weight_type, WEIGHT_ROUNDING[0]))),
            int(np.count_nonzero(float_out_of_range(b, q.bias_type, WEIGHT_ROUNDING[0]))),
            int(w.size), sqnr_db(w, dequantize(q.weights, q.weight_type))))
    return out
