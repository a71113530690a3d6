"""The golden model: the quantized network in integers only, every layer's output kept.

This is the oracle that the HLS C++ (C-simulation) and the Verilog (cocotb) must match bit for
bit, so it implements docs/design.md §2 literally, with `QLayer`'s per-layer constants; it has no
freedom of its own. Tensors are int64 HWC arrays holding each type's integers q (value
q * 2**-frac).

Speed: a conv is im2col plus one matrix product. float64 BLAS is exact as long as every partial
sum stays below 2**53, which `float_exact` checks per layer from the input type's range and the
largest integer weight; layers that could exceed it fall back to an int64 product (exact, but
slower).
"""

from __future__ import annotations

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT
from fpgagen.quant.fixed import (
    MAX_WIDTH,
    FixedType,
    clip_bounds,
    out_of_range,
    requantize,
    requantize_clipped,
)
from fpgagen.quant.quantize import QGraph, QLayer
from fpgagen.quant.reference import conv_matmul, pool_max

FLOAT64_EXACT = 2 ** 53


def float_exact(ql: QLayer) -> bool:
    """Whether a conv's products and partial sums are exact in float64, in any summation
    order: N * max|x| * max|w| < 2**53 (the bias is added afterwards, in int64)."""
    assert ql.weights is not None
    tx = ql.in_type
    kh, kw, cin_g, _ = ql.weights.shape
    x_max = max(-tx.qmin, tx.qmax)
    w_max = int(np.max(np.abs(ql.weights))) if ql.weights.size else 0
    return kh * kw * cin_g * x_max * w_max < FLOAT64_EXACT


def conv_acc(ql: QLayer, x: np.ndarray) -> np.ndarray:
    """A conv's exact accumulator: sum(x_q * w_q) + (bias << bias_shift), int64 (Ho, Wo, Co)."""
    assert ql.weights is not None and ql.bias is not None
    lay = ql.layer
    if float_exact(ql):
        acc = np.rint(conv_matmul(x, ql.weights, lay.stride, lay.pad, lay.groups, np.float64)
                      ).astype(np.int64)
    else:
        acc = conv_matmul(x, ql.weights, lay.stride, lay.pad, lay.groups, np.int64)
    acc += ql.bias << np.int64(ql.bias_shift)
    return acc


def layer_acc(ql: QLayer, ins: list[np.ndarray]) -> np.ndarray:
    """The exact accumulator (ReLU applied) of a layer that requantizes: conv, avgpool, add."""
    lay = ql.layer
    if lay.op == "conv":
        acc = conv_acc(ql, ins[0])
    elif lay.op == "avgpool":
        acc = ins[0].sum(axis=(0, 1), keepdims=True, dtype=np.int64) * np.int64(ql.avg_mult)
    elif lay.op == "add":
        acc = sum((v << np.int64(s) for v, s in zip(ins, ql.align_shifts, strict=True)),
                  np.zeros_like(ins[0]))
    else:
        raise AssertionError(lay.op)
    return np.maximum(acc, 0) if lay.relu else acc


def _layer(ql: QLayer, ins: list[np.ndarray], out_hw: tuple[int, int]
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """A layer's integer output and, when it requantizes, its accumulator."""
    lay = ql.layer
    if lay.op == "maxpool":
        return pool_max(ins[0], lay.kernel, lay.stride, lay.pad, out_hw), None
    if lay.op == "concat":
        return np.concatenate(ins, axis=2), None
    acc = layer_acc(ql, ins)
    if ql.clip is not None:
        return requantize_clipped(acc, ql.shift, ql.out_type, ql.clip, ql.rounding), acc
    return requantize(acc, ql.shift, ql.out_type, ql.rounding, ql.saturation), acc


def overflows(ql: QLayer, acc: np.ndarray) -> np.ndarray:
    """Which outputs the cast to the output type saturated or wrapped. With a clamp, only the
    values the clamp kept beyond the type's range (a bound the type cannot hold): a value the
    clamp moves to its bound is the Clip's doing, not an overflow."""
    t = ql.out_type
    if ql.clip is None:
        return out_of_range(acc, ql.shift, t, ql.rounding)
    lay = ql.layer
    wide = FixedType(MAX_WIDTH - 1, t.frac, True)  # rounds as t does, saturates only at 2**62
    bounds = clip_bounds(lay.clip_lo, lay.clip_hi, wide, ql.rounding)
    y = requantize_clipped(acc, ql.shift, wide, bounds, ql.rounding)
    return (y < t.qmin) | (y > t.qmax)


def layer_output(ql: QLayer, ins: list[np.ndarray], out_hw: tuple[int, int]) -> np.ndarray:
    """One layer's integer output from its integer inputs (docs/design.md §2; see QLayer)."""
    return _layer(ql, ins, out_hw)[0]


def check_input_int(qgraph: QGraph, x_int: np.ndarray) -> np.ndarray:
    """The input integers as int64 HWC, refusing a wrong shape or values outside the type."""
    a = np.asarray(x_int)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    want = tuple(qgraph.graph.input_shape)
    if a.shape != want:
        raise FpgagenError(f"integer input has shape {'x'.join(map(str, a.shape))}, expected "
                           f"{'x'.join(map(str, want))} (HxWxC)")
    if not np.issubdtype(a.dtype, np.integer):
        raise FpgagenError(f"integer input has dtype {a.dtype}; quantize it first "
                           "(QGraph.quantize_input)")
    t = qgraph.input_type
    if a.size and (a.min() < t.qmin or a.max() > t.qmax):
        raise FpgagenError(f"integer input outside the range of {t} ({t.qmin}..{t.qmax})")
    return a.astype(np.int64)


def run(qgraph: QGraph, x_int: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer's int64 HWC output by layer name, plus ``"input"``."""
    graph = qgraph.graph
    vals: dict[str, np.ndarray] = {INPUT: check_input_int(qgraph, x_int)}
    for lay in graph.layers:
        vals[lay.name] = layer_output(qgraph.qlayer(lay.name), [vals[t] for t in lay.inputs],
                                      graph.shape(lay.name)[:2])
    return vals


def run_counted(qgraph: QGraph, x_int: np.ndarray
                ) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """`run`, plus per layer how many output elements were out of the output type's range
    before the cast, so saturated (AP_SAT) or wrapped (AP_WRAP): 0 for max-pools and concats,
    which only move integers. A type sized from calibration images shows here when an image
    goes beyond them (``fpgagen run`` prints these)."""
    graph = qgraph.graph
    vals: dict[str, np.ndarray] = {INPUT: check_input_int(qgraph, x_int)}
    counts: dict[str, int] = {}
    for lay in graph.layers:
        ql = qgraph.qlayer(lay.name)
        vals[lay.name], acc = _layer(ql, [vals[t] for t in lay.inputs],
                                     graph.shape(lay.name)[:2])
        counts[lay.name] = 0 if acc is None else int(np.count_nonzero(overflows(ql, acc)))
    return vals, counts
