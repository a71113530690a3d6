"""The quantizer: float Graph + weights + calibration inputs -> QGraph, the fixed-point network.

Decisions made here and nowhere else (the planner and both generators only read them):

- every tensor's `FixedType`: widths from ``--precision``, the binary point from the largest
  magnitude seen on the calibration inputs (power-of-two scales; docs/design.md §2) unless the spec
  pins the type, plus ``headroom`` integer bits (default `DEFAULT_CALIB_HEADROOM`) on every
  tensor a layer computes: a few calibration images do not show the largest values the
  network meets. Sized to them exactly, SqueezeNet 1.0 at w16a16 clamps a brighter image
  (logits SQNR 22-25 dB instead of 76); one bit keeps it at 74-75 dB and costs 0-4 dB on
  ordinary images at w16a16, 0-5.5 dB at w8a8 (zoo models, ``bench/bench_golden.py --sqnr``).
  The input image gets none: its range is set by the preprocessing, which the calibration
  images share, not by its content;
- signedness: a ReLU output (fused in a conv or an add) is unsigned, which buys one bit of
  resolution; the input image and an un-ReLU'd conv (ZynqNet's conv10) are signed; max-pool and
  concat keep their inputs' type, an add of two unsigned tensors stays unsigned, avgpool keeps
  its input's signedness;
- a clamped tensor (a fused Clip/ReLU6 with both bounds, a ReLU counting as the lower bound
  0) never exceeds its bounds, so its headroom stops at them: the integer bits are those of
  the calibration peak plus the headroom, but at most those of max(|lo|, |hi|) (ReLU6 at w8a8:
  ``ap_ufixed<8,3>``, not ``<8,4>``, so 6 is 192 steps of 1/32);
- type sharing: a max-pool's output has its input's type and a concat's inputs all have the
  concat's type (the producers write straight into channel slices of one buffer), so these
  tensors are calibrated jointly as one group;
- per layer: weight and bias types and their integer values, the accumulator width, the
  requantization shift and the rounding/saturation modes (see `QLayer`).

A configuration whose accumulator could exceed int64 (with room for rounding) is refused here,
with one line naming the layer: the golden model computes in int64.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend.arrays import check_real
from fpgagen.frontend.graph import INPUT, Graph, Layer
from fpgagen.frontend.images import synthetic_images
from fpgagen.frontend.weights import check_weights
from fpgagen.quant import reference
from fpgagen.quant.fixed import (
    MAX_ACC_BITS,
    FixedType,
    avg_reciprocal,
    calibrated_type,
    clip_bounds,
    clog2,
    dequantize,
    float_out_of_range,
    int_bits_for,
    quantize_float,
)
from fpgagen.quant.precision import Precision, TypeSpec

DEFAULT_CALIB_IMAGES = 4
DEFAULT_CALIB_HEADROOM = 1  # integer bits above the calibration peak (see the module docstring)
MAX_CALIB_HEADROOM = 16
AVG_MULT_BITS = 16  # width of the unsigned avgpool multiplier M
WEIGHT_ROUNDING = ("AP_RND_CONV", "AP_SAT")  # weights and biases: nearest, ties to even


@dataclass(frozen=True, eq=False)
class QLayer:
    """One layer in fixed point: everything the golden model, the planner and the generators
    need to compute it. Integers are int64 numpy arrays (read-only).

    Per op (F_* are fractional bits, W_* widths, x the input, y the output):

    - conv: ``acc = sum(x_q * w_q) + (bias << bias_shift)`` exactly, in ``acc_width`` bits;
      if ``layer.relu``: ``acc = max(acc, 0)``; then ``y = sat(round_shift(acc, shift))``.
      ``shift = F_x + F_w - F_y``, ``bias_shift = F_x + F_w - F_b >= 0``,
      ``acc_width = max(W_x + W_w + ceil(log2(K*K*Cin/groups)), W_b + bias_shift) + 1``.
      (ReLU before the requantization equals "requantize, then ReLU" under AP_SAT and is the
      only meaningful order under AP_WRAP into an unsigned output type.)
    - maxpool: integer max; ``out_type == in_types[0]``, no requantization (``shift == 0``).
    - avgpool over N = H*W: ``y = sat(round_shift(sum * avg_mult, shift))`` with
      ``avg_mult = round(2**avg_shift / N)`` and ``shift = avg_shift + F_x - F_y``
      (``shift == avg_shift`` when the output keeps the input's binary point).
    - concat: a channel-sliced view; every input type equals ``out_type``.
    - add: ``acc = (a << align_shifts[0]) + (b << align_shifts[1])`` at the finer binary point,
      ReLU if fused, then ``y = sat(round_shift(acc, shift))``.

    ``rounding`` is AP_RND (default), AP_TRN or AP_RND_CONV; ``saturation`` AP_SAT (default) or
    AP_WRAP: the modes of the cast to ``out_type``.

    A conv or add with a clamp (``layer.clipped``: Clip, ReLU6) computes instead
    ``y = clip(round_shift(acc, shift), lo, hi)`` with ``(lo, hi) = clip`` (`clip_bounds`: the
    float bounds rounded like the data and saturated into ``out_type``); the bounds lie inside
    the type's range, so the cast never saturates or wraps.
    """

    layer: Layer
    in_types: tuple[FixedType, ...]
    out_type: FixedType
    rounding: str
    saturation: str
    shift: int = 0
    acc_width: int = 0
    weight_type: FixedType | None = None
    bias_type: FixedType | None = None
    weights: np.ndarray | None = None
    bias: np.ndarray | None = None
    bias_shift: int = 0
    avg_mult: int = 0
    avg_shift: int = 0
    align_shifts: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def in_type(self) -> FixedType:
        return self.in_types[0]

    @property
    def clip(self) -> tuple[int, int] | None:
        """The integer clamp bounds of a fused Clip/ReLU6 at the output's scale, or None."""
        lay = self.layer
        if not lay.clipped:
            return None
        return clip_bounds(lay.clip_lo, lay.clip_hi, self.out_type, self.rounding)


@dataclass(frozen=True, eq=False)
class QGraph:
    """A Graph in fixed point: a `FixedType` for every tensor and a `QLayer` per layer.

    ``types`` maps every tensor name (``"input"`` and each layer) to its type; the hardware
    stores each activation at exactly that width. ``qlayers`` is in the graph's (topological)
    order. ``input_rounding``/``input_saturation`` say how the host quantizes the float image;
    ``calib_max`` keeps the largest magnitude per tensor seen during calibration, and
    ``headroom`` the integer bits added above it (see the module docstring).
    """

    graph: Graph
    precision: Precision
    types: Mapping[str, FixedType]
    qlayers: Mapping[str, QLayer]
    calib_max: Mapping[str, float]
    input_rounding: str = "AP_RND"
    input_saturation: str = "AP_SAT"
    headroom: int = DEFAULT_CALIB_HEADROOM

    def qlayer(self, name: str) -> QLayer:
        return self.qlayers[name]

    def type(self, tensor: str) -> FixedType:
        return self.types[tensor]

    @property
    def input_type(self) -> FixedType:
        return self.types[INPUT]

    @property
    def output_type(self) -> FixedType:
        return self.types[self.graph.output]

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """The float HWC image as int64 integers of the input type."""
        x = reference.check_input(self.graph, x)
        if not np.all(np.isfinite(x)):
            raise FpgagenError("input contains NaN or infinity")
        return quantize_float(x, self.input_type, self.input_rounding, self.input_saturation)

    def input_out_of_range(self, x: np.ndarray) -> int:
        """How many elements of the float image `quantize_input` saturates."""
        x = reference.check_input(self.graph, x)
        return int(np.count_nonzero(float_out_of_range(x, self.input_type,
                                                       self.input_rounding)))

    def dequantize(self, tensor: str, q: np.ndarray) -> np.ndarray:
        """Integers of a tensor back to float64 values."""
        return dequantize(q, self.types[tensor])


def calibration_inputs(graph: Graph, seed: int = 0, n: int = DEFAULT_CALIB_IMAGES
                       ) -> np.ndarray:
    """``n`` seeded synthetic images (N, H, W, C) float32, the default calibration set."""
    return synthetic_images(graph.input_shape, seed, n)


def load_calibration(path: str | Path, graph: Graph) -> np.ndarray:
    """Calibration images from an ``.npy`` of N x H x W x C (or one H x W x C) floats."""
    p = Path(path)
    try:
        a = np.load(p, allow_pickle=False)
    except FileNotFoundError:
        raise FpgagenError(f"calibration file {p} does not exist") from None
    except (OSError, ValueError) as exc:
        raise FpgagenError(f"cannot read calibration file {p} as .npy: "
                           f"{str(exc).splitlines()[0]}") from None
    return check_calibration(a, graph, f"calibration file {p}")


def check_calibration(calib: object, graph: Graph, source: str = "calibration data"
                      ) -> np.ndarray:
    a = np.asarray(calib)
    if not isinstance(calib, np.ndarray):
        raise FpgagenError(f"{source}: expected a numeric array, got {type(calib).__name__}")
    check_real(a, source)
    if a.ndim == 3:
        a = a[None]
    want = tuple(graph.input_shape)
    if a.ndim != 4 or a.shape[1:] != want or a.shape[0] < 1:
        raise FpgagenError(f"{source} has shape {'x'.join(map(str, a.shape))}, expected "
                           f"N x {'x'.join(map(str, want))} (N x H x W x C)")
    if not np.all(np.isfinite(a)):
        bad = int(np.count_nonzero(~np.isfinite(a)))
        raise FpgagenError(f"{source} contains {bad} NaN or infinite value(s)")
    return a.astype(np.float32)


def calibrate(graph: Graph, weights: Mapping[str, np.ndarray], calib: np.ndarray,
              progress: Callable[[int, int], None] | None = None) -> dict[str, float]:
    """The largest |value| of every tensor over the calibration images (float reference).

    The costly half of `quantize` and independent of the precision, so a caller that tries
    several precisions (`fpgagen.quant.quality`) computes it once for `quantize_calibrated`.
    """
    check_weights(dict(weights), graph, "given")
    calib = check_calibration(calib, graph)
    peak: dict[str, float] = {}
    for i, x in enumerate(calib):
        for name, v in reference.run(graph, weights, x).items():
            peak[name] = max(peak.get(name, 0.0), float(np.max(np.abs(v))) if v.size else 0.0)
        if progress is not None:
            progress(i + 1, len(calib))
    return peak


def _natural_signed(graph: Graph) -> dict[str, bool]:
    """Whether each tensor can be negative, from the ops alone (ReLU, or a clamp at a lower
    bound >= 0, makes it unsigned)."""
    signed = {INPUT: True}
    for lay in graph.layers:
        ins = [signed[t] for t in lay.inputs]
        floor = lay.relu or (lay.clip_lo is not None and lay.clip_lo >= 0)  # cannot be < 0
        if lay.op == "conv":
            signed[lay.name] = not floor
        elif lay.op == "add":
            signed[lay.name] = not floor and any(ins)
        else:  # maxpool, avgpool, concat
            signed[lay.name] = any(ins)
    return signed


def _shared_groups(graph: Graph) -> list[list[str]]:
    """Tensors that must share one type: a max-pool with its input, a concat with its inputs."""
    parent = {INPUT: INPUT, **{lay.name: lay.name for lay in graph.layers}}

    def find(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for lay in graph.layers:
        if lay.op in ("maxpool", "concat"):
            for t in lay.inputs:
                parent[find(t)] = find(lay.name)
    groups: dict[str, list[str]] = {}
    for t in parent:
        groups.setdefault(find(t), []).append(t)
    return list(groups.values())


def _group_spec(graph: Graph, members: list[str], precision: Precision) -> TypeSpec:
    """The one result spec of a group of tensors sharing a type.

    The producers in it (convs, adds, avgpools, the input) must ask for the same result type,
    and a max-pool or concat in it may only repeat that type: a lone override on one concat
    input would otherwise silently change its siblings.
    """
    passive = {lay.name for lay in graph.layers if lay.op in ("maxpool", "concat")}
    specs = {m: (precision.input if m == INPUT else precision.layer(m).result)
             for m in members if m not in passive or m in precision.overrides}
    if len(set(specs.values())) > 1:
        got = ", ".join(f"{m}={s}" for m, s in specs.items())
        raise FpgagenError(f"tensors {', '.join(members)} must share one type (concat inputs "
                           f"and max-pools write one buffer) but their result precisions "
                           f"differ: {got}")
    return next(iter(specs.values()))


def activation_specs(graph: Graph, precision: Precision) -> dict[str, TypeSpec]:
    """Every activation tensor's result spec (``"input"`` included), one per shared group.

    Widths only, no calibration: `fpgagen check` (fpgagen.machine.rules) refuses with the same error
    as `quantize` when a concat or max-pool group asks for two types.
    """
    specs: dict[str, TypeSpec] = {}
    for members in _shared_groups(graph):
        specs.update(dict.fromkeys(members, _group_spec(graph, members, precision)))
    return specs


def _act_type(spec: TypeSpec, peak: float, signed: bool, headroom: int,
              cap: float | None = None) -> FixedType:
    """The calibrated type; ``cap`` (the largest |value| the ops allow, a clamp's bound) limits
    the headroom: bits above the cap would never be used."""
    if spec.fixed is not None:  # pinned width and binary point; signedness is ours
        return FixedType(spec.width, spec.fixed.frac, signed)
    t = calibrated_type(spec.width, peak, signed, headroom)
    if cap is not None:
        t = max(t, calibrated_type(spec.width, max(cap, peak), signed), key=lambda u: u.frac)
    return t


def _clamp_caps(graph: Graph) -> dict[str, float | None]:
    """The largest |value| each tensor can hold by its ops alone, or None (unbounded): a conv or
    add clamped on both sides (a ReLU is the lower bound 0) by max(|lo|, |hi|); a max-pool or
    concat by its inputs' largest; everything else is unbounded."""
    caps: dict[str, float | None] = {INPUT: None}
    for lay in graph.layers:
        cap: float | None = None
        if lay.op in ("conv", "add"):
            lo = lay.clip_lo if lay.clip_lo is not None else (0.0 if lay.relu else None)
            if lo is not None and lay.clip_hi is not None:
                cap = max(abs(lo), abs(lay.clip_hi))
        elif lay.op in ("maxpool", "concat"):
            ins = [caps[t] for t in lay.inputs]
            cap = None if any(c is None for c in ins) else max(c for c in ins if c is not None)
        caps[lay.name] = cap
    return caps


def _computed(graph: Graph, members: list[str]) -> bool:
    """Whether a type group holds a tensor that a layer computes (conv, add, avgpool), whose
    range depends on the image's content; the input and max-pools or concats of it only pass
    values through."""
    ops = {lay.name: lay.op for lay in graph.layers}
    return any(ops.get(m, "input") not in ("input", "maxpool", "concat") for m in members)


def _activation_types(graph: Graph, precision: Precision, peak: Mapping[str, float],
                      headroom: int) -> dict[str, FixedType]:
    natural = _natural_signed(graph)
    caps = _clamp_caps(graph)
    types: dict[str, FixedType] = {}
    for members in _shared_groups(graph):
        spec = _group_spec(graph, members, precision)
        bounded = [caps[m] for m in members]
        cap = None if any(c is None for c in bounded) else max(c for c in bounded if c is not None)
        t = _act_type(spec, max(peak[m] for m in members), any(natural[m] for m in members),
                      headroom if _computed(graph, members) else 0, cap)
        types.update(dict.fromkeys(members, t))
    return types


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.int64)
    a.setflags(write=False)
    return a


def _refuse_wide(lay: Layer, acc_width: int, shift: int, detail: str) -> None:
    need = acc_width + max(0, -shift)
    if need > MAX_ACC_BITS:
        raise FpgagenError(f"layer {lay.name}: the accumulator needs {need} bits ({detail}), "
                           f"more than the {MAX_ACC_BITS} the int64 golden model allows; "
                           "use narrower types")


def _conv_qlayer(graph: Graph, lay: Layer, weights: Mapping[str, np.ndarray],
                 precision: Precision, types: Mapping[str, FixedType]) -> QLayer:
    lp = precision.layer(lay.name)
    tx, ty = types[lay.inputs[0]], types[lay.name]
    w = np.asarray(weights[f"{lay.name}.weight"], dtype=np.float64)
    b = np.asarray(weights[f"{lay.name}.bias"], dtype=np.float64)
    if lp.weight.fixed is not None:
        tw = FixedType(lp.weight.width, lp.weight.fixed.frac, True)
    else:
        tw = calibrated_type(lp.weight.width, float(np.max(np.abs(w))), True)
    prod_frac = tx.frac + tw.frac
    if lp.bias.fixed is not None:
        tb = FixedType(lp.bias.width, lp.bias.fixed.frac, True)
        if tb.frac > prod_frac:
            raise FpgagenError(f"layer {lay.name}: bias type {tb} is finer than input x weight "
                               f"(2^-{prod_frac}); give the bias at most {prod_frac} "
                               "fractional bits")
    else:
        peak_b = float(np.max(np.abs(b))) if b.size else 0.0
        frac_b = min(prod_frac, lp.bias.width - int_bits_for(peak_b, True))
        tb = FixedType(lp.bias.width, frac_b, True)
    n_terms = lay.kernel * lay.kernel * graph.in_shape(lay)[2] // lay.groups
    bias_shift = prod_frac - tb.frac
    acc_width = max(tx.width + tw.width + clog2(n_terms), tb.width + bias_shift) + 1
    shift = prod_frac - ty.frac
    _refuse_wide(lay, acc_width, shift, f"{tx} x {tw} over {n_terms} terms plus bias {tb}")
    return QLayer(lay, (tx,), ty, lp.rounding, lp.saturation, shift=shift, acc_width=acc_width,
                  weight_type=tw, bias_type=tb,
                  weights=_frozen(quantize_float(w, tw, *WEIGHT_ROUNDING)),
                  bias=_frozen(quantize_float(b, tb, *WEIGHT_ROUNDING)), bias_shift=bias_shift)


def _qlayer(graph: Graph, lay: Layer, weights: Mapping[str, np.ndarray], precision: Precision,
            types: Mapping[str, FixedType]) -> QLayer:
    lp = precision.layer(lay.name)
    ins = tuple(types[t] for t in lay.inputs)
    ty = types[lay.name]
    if lay.op == "conv":
        return _conv_qlayer(graph, lay, weights, precision, types)
    if lay.op in ("maxpool", "concat"):
        assert all(t == ty for t in ins), (lay.name, ins, ty)  # guaranteed by the groups
        return QLayer(lay, ins, ty, lp.rounding, lp.saturation, acc_width=ty.width)
    if lay.op == "avgpool":
        h, w, _ = graph.in_shape(lay)
        mult, s = avg_reciprocal(h * w, AVG_MULT_BITS)
        shift = s + ins[0].frac - ty.frac
        acc_width = ins[0].width + clog2(h * w) + AVG_MULT_BITS + 1
        _refuse_wide(lay, acc_width, shift, f"sum of {h * w} x {ins[0]} times a "
                     f"{AVG_MULT_BITS}-bit reciprocal")
        return QLayer(lay, ins, ty, lp.rounding, lp.saturation, shift=shift,
                      acc_width=acc_width, avg_mult=mult, avg_shift=s)
    if lay.op == "add":
        frac = max(t.frac for t in ins)
        aligns = tuple(frac - t.frac for t in ins)
        mixed = any(t.signed for t in ins)
        acc_width = max(t.width + a + (1 if mixed and not t.signed else 0)
                        for t, a in zip(ins, aligns, strict=True)) + 1
        shift = frac - ty.frac
        _refuse_wide(lay, acc_width, shift, f"{ins[0]} + {ins[1]} aligned")
        return QLayer(lay, ins, ty, lp.rounding, lp.saturation, shift=shift,
                      acc_width=acc_width, align_shifts=aligns)
    raise AssertionError(lay.op)


def check_headroom(headroom: int) -> int:
    """``--calib-headroom`` must be 0..`MAX_CALIB_HEADROOM` bits."""
    if not 0 <= headroom <= MAX_CALIB_HEADROOM:
        raise FpgagenError(f"calibration headroom must be 0..{MAX_CALIB_HEADROOM} bits, "
                           f"got {headroom}")
    return headroom


def quantize(graph: Graph, weights: Mapping[str, np.ndarray], precision: Precision,
             calib: np.ndarray, progress: Callable[[int, int], None] | None = None,
             headroom: int = DEFAULT_CALIB_HEADROOM) -> QGraph:
    """Quantize a network. ``calib`` is float32 (N, H, W, C) (see `calibration_inputs`);
    ``progress(done, total)`` is called after each calibration image; ``headroom`` integer
    bits are added above the calibration peak of every computed tensor (module docstring)."""
    precision.check_layers([lay.name for lay in graph.layers])
    check_headroom(headroom)
    return quantize_calibrated(graph, weights, precision,
                               calibrate(graph, weights, calib, progress), headroom)


def quantize_calibrated(graph: Graph, weights: Mapping[str, np.ndarray], precision: Precision,
                        peak: Mapping[str, float], headroom: int = DEFAULT_CALIB_HEADROOM
                        ) -> QGraph:
    """`quantize` from the peaks `calibrate` found (several precisions, one calibration)."""
    precision.check_layers([lay.name for lay in graph.layers])
    check_headroom(headroom)
    types = _activation_types(graph, precision, peak, headroom)
    qlayers = {lay.name: _qlayer(graph, lay, weights, precision, types) for lay in graph.layers}
    return QGraph(graph, precision, MappingProxyType(types), MappingProxyType(qlayers),
                  MappingProxyType(dict(peak)), precision.default.rounding,
                  precision.default.saturation, headroom)
