"""How good a precision is: the logits SQNR of the golden model against the float reference.

A suggestion such as "would fit: --precision w4a8" is worth nothing when w4a8 turns the logits
into noise (1 dB on SqueezeNet 1.1), so `fpgagen check` rates every precision it would suggest
with one quick golden run, the figure ``fpgagen run`` prints for the same image, and skips those
below `MIN_USEFUL_SQNR_DB`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import Graph
from fpgagen.quant import golden, reference
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import DEFAULT_CALIB_HEADROOM, QGraph, calibrate, quantize_calibrated

# Below this logits SQNR a precision is not suggested: the noise is within 10x (in power) of
# the signal, and top-1 agreement with the float network is then a matter of luck.
MIN_USEFUL_SQNR_DB = 20.0


def sqnr_db(ref: np.ndarray, test: np.ndarray) -> float:
    """10 log10(signal power / noise power); inf when the two are identical."""
    ref64 = np.asarray(ref, dtype=np.float64)
    noise = float(np.sum((np.asarray(test, dtype=np.float64) - ref64) ** 2))
    signal = float(np.sum(ref64 ** 2))
    if noise == 0.0:
        return math.inf
    return 10.0 * math.log10(signal / noise) if signal > 0 else -math.inf


def db_json(v: float | None) -> float | None:
    """dB for JSON: rounded; None when not measured (or exact: no noise at all)."""
    return None if v is None or math.isinf(v) else round(v, 2)


def layer_sqnr(qgraph: QGraph, ref: Mapping[str, np.ndarray], fixed: Mapping[str, np.ndarray],
               names: Iterable[str]) -> dict[str, float]:
    """The SQNR in dB of every tensor in ``names``: the golden model's integers (``fixed``),
    dequantized, against the float reference's values (``ref``) of the same image. One
    definition for ``fpgagen run`` (its table) and ``fpgagen build`` (the report's figure)."""
    return {n: sqnr_db(ref[n], qgraph.dequantize(n, fixed[n])) for n in names}


@dataclass
class QualityProbe:
    """The logits SQNR of one network at any precision, on one image.

    The costly parts are shared by every precision tried and computed on first use: the
    calibration peaks (the float reference over ``calib``) and the float logits of ``image``.
    Then each precision costs one quantization and one golden run, remembered by its text.
    """

    graph: Graph
    weights: Mapping[str, np.ndarray]
    calib: np.ndarray
    image: np.ndarray
    headroom: int = DEFAULT_CALIB_HEADROOM
    _peaks: Mapping[str, float] | None = field(default=None, repr=False)
    _ref_logits: np.ndarray | None = field(default=None, repr=False)
    _sqnr: dict[str, float] = field(default_factory=dict, repr=False)

    def logits_sqnr(self, precision: str) -> float:
        """The logits SQNR in dB at ``precision`` (a ``--precision`` text such as ``w4a8``);
        -inf when the quantizer refuses that precision for this network (an accumulator too
        wide, say): what cannot be built is no suggestion. A bad calibration set or weights
        still raise: those are the user's to fix."""
        if precision not in self._sqnr:
            if self._peaks is None:
                self._peaks = calibrate(self.graph, self.weights, self.calib)
                ref = reference.run(self.graph, self.weights, self.image)
                self._ref_logits = ref[self.graph.output]
            self._sqnr[precision] = self._measure(precision, self._peaks)
        return self._sqnr[precision]

    def _measure(self, precision: str, peaks: Mapping[str, float]) -> float:
        try:
            q = quantize_calibrated(self.graph, self.weights, parse_precision(precision), peaks,
                                    self.headroom)
        except FpgagenError:
            return -math.inf
        out = self.graph.output
        fixed = golden.run(q, q.quantize_input(self.image))[out]
        return sqnr_db(self._ref_logits, q.dequantize(out, fixed))
