"""The integer golden model vs a slow pure-Python-int model of docs/design.md §2, layer by layer,
on small graphs that hit the edge cases (stride 2 on odd sizes, pad 1, ceil-mode overhang,
Cin = 3, groups, saturation), plus the zoo-wide SQNR gate at w16a16."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.weights import random_weights
from fpgagen.frontend.zoo import ZOO, load_model
from fpgagen.quant import golden, reference
from fpgagen.quant.fixed import FixedType
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import QGraph, QLayer, calibration_inputs, quantize


def slow_requant(v: int, s: int, t: FixedType, q: str, o: str) -> int:
    if s <= 0:
        r = v * 2 ** -s
    else:
        fr = Fraction(v, 2 ** s)
        fl = math.floor(fr)
        r = {"AP_TRN": fl, "AP_RND": fl + (fr - fl >= Fraction(1, 2)), "AP_RND_CONV": round(fr)}[q]
    if o == "AP_SAT":
        return min(max(r, t.qmin), t.qmax)
    m = r % 2 ** t.width
    return m - 2 ** t.width if t.signed and m >= 2 ** (t.width - 1) else m


def slow_round(fr: Fraction, q: str) -> int:
    fl = math.floor(fr)
    return {"AP_TRN": fl, "AP_RND": fl + (fr - fl >= Fraction(1, 2)), "AP_RND_CONV": round(fr)}[q]


def slow_output(acc: int, ql: QLayer) -> int:
    """The requantized output; with a clamp (Clip/ReLU6), the rounded value clamped to the float
    bounds rounded the same way and kept inside the output type (docs/design.md §2)."""
    t = ql.out_type
    if not ql.layer.clipped:
        return slow_requant(acc, ql.shift, t, ql.rounding, ql.saturation)
    r = slow_round(Fraction(acc) / Fraction(2) ** ql.shift, ql.rounding)
    bounds = []
    for v, rail in ((ql.layer.clip_lo, t.qmin), (ql.layer.clip_hi, t.qmax)):
        b = rail if v is None else slow_round(Fraction(v) * 2 ** t.frac, ql.rounding)
        bounds.append(min(max(b, t.qmin), t.qmax))
    return min(max(r, bounds[0]), bounds[1])


def slow_layer(ql: QLayer, ins: list[np.ndarray], out_shape: tuple[int, int, int]) -> np.ndarray:
    """One layer in Python ints with explicit loops: the independent model."""
    lay, (ho, wo, co) = ql.layer, out_shape
    out = np.zeros(out_shape, dtype=object)
    x = ins[0].tolist()
    h, w, c = ins[0].shape
    if lay.op == "conv":
        wt, b = ql.weights.tolist(), ql.bias.tolist()
        cin_g, co_g = c // lay.groups, co // lay.groups
        for oy in range(ho):
            for ox in range(wo):
                for o in range(co):
                    grp = o // co_g
                    acc = b[o] * 2 ** ql.bias_shift
                    for ky in range(lay.kernel):
                        for kx in range(lay.kernel):
                            iy, ix = oy * lay.stride + ky - lay.pad, ox * lay.stride + kx - lay.pad
                            if 0 <= iy < h and 0 <= ix < w:
                                for ci in range(cin_g):
                                    acc += x[iy][ix][grp * cin_g + ci] * wt[ky][kx][ci][o]
                    assert abs(acc) < 2 ** (ql.acc_width - 1)  # the stated width suffices
                    if lay.relu:
                        acc = max(acc, 0)
                    out[oy, ox, o] = slow_output(acc, ql)
    elif lay.op == "maxpool":
        for oy in range(ho):
            for ox in range(wo):
                for ch in range(c):
                    vals = [x[iy][ix][ch]
                            for iy in range(oy * lay.stride - lay.pad,
                                            oy * lay.stride - lay.pad + lay.kernel)
                            for ix in range(ox * lay.stride - lay.pad,
                                            ox * lay.stride - lay.pad + lay.kernel)
                            if 0 <= iy < h and 0 <= ix < w]
                    out[oy, ox, ch] = max(vals)
    elif lay.op == "avgpool":
        assert ql.avg_mult == round(Fraction(2 ** ql.avg_shift, h * w))
        for ch in range(c):
            total = sum(x[iy][ix][ch] for iy in range(h) for ix in range(w))
            out[0, 0, ch] = slow_requant(total * ql.avg_mult, ql.shift, ql.out_type, ql.rounding,
                                         ql.saturation)
    elif lay.op == "concat":
        return np.concatenate(ins, axis=2).astype(object)
    elif lay.op == "add":
        a, bb = ins[0].tolist(), ins[1].tolist()
        fa, fb = (t.frac for t in ql.in_types)
        fine = max(fa, fb)
        for iy in range(h):
            for ix in range(w):
                for ch in range(c):
                    acc = a[iy][ix][ch] * 2 ** (fine - fa) + bb[iy][ix][ch] * 2 ** (fine - fb)
                    if lay.relu:
                        acc = max(acc, 0)
                    out[iy, ix, ch] = slow_output(acc, ql)
    return out


def check_every_layer(qg: QGraph, x_int: np.ndarray) -> dict[str, np.ndarray]:
    vals = golden.run(qg, x_int)
    for lay in qg.graph.layers:
        assert vals[lay.name].dtype == np.int64
        want = slow_layer(qg.qlayer(lay.name), [vals[t] for t in lay.inputs],
                          qg.graph.shape(lay.name))
        got = vals[lay.name]
        assert got.shape == want.shape, lay.name
        diff = np.argwhere(got != want)
        assert diff.size == 0, f"{lay.name}: first mismatch at {tuple(diff[0])}"
        t = qg.type(lay.name)
        assert got.min() >= t.qmin and got.max() <= t.qmax
    return vals


def edge_graph() -> g.Graph:
    """Odd sizes, stride 2, pad 1, Cin = 3, a ceil-mode pool that overhangs, groups, a padded
    pool, concat, bypass add, a signed conv without ReLU and a global average pool."""
    return g.make_graph("edge", (11, 9, 3), [
        g.conv("c1", g.INPUT, 6, 3, stride=2, pad=1),           # 11x9 -> 6x5
        g.maxpool("p1", "c1", 3, 2),                              # ceil: 6x5 -> 3x2, overhang
        g.conv("sq", "p1", 4, 1),
        g.conv("e1", "sq", 4, 1),
        g.conv("e3", "sq", 4, 3, pad=1, groups=2),
        g.concat("cat", "e1", "e3"),
        g.conv("c2", "cat", 8, 1),
        g.add("byp", "cat", "c2"),
        g.maxpool("p2", "byp", 2, 1, pad=1),                      # padded pool
        g.conv("c3", "p2", 5, 3, stride=2, relu=False),           # signed output
        g.avgpool("gap", "c3"),
    ])


@pytest.fixture(scope="module")
def edge():
    graph = edge_graph()
    return graph, random_weights(graph, 7)


@pytest.mark.parametrize("spec", ["8", "w4a6", "16", "w8a16"])
def test_edge_graph_matches_slow_model(edge, spec):
    graph, weights = edge
    qg = quantize(graph, weights, parse_precision(spec), calibration_inputs(graph, 1, 3))
    for seed in (5, 6):
        x = calibration_inputs(graph, seed, 1)[0]
        check_every_layer(qg, qg.quantize_input(x))


@pytest.mark.parametrize(("rounding", "saturation"), [
    ("AP_TRN", "AP_SAT"), ("AP_RND_CONV", "AP_WRAP"), ("AP_RND", "AP_WRAP")])
def test_modes_from_toml(edge, tmp_path, rounding, saturation):
    graph, weights = edge
    f = tmp_path / "p.toml"
    f.write_text(f'[model]\nprecision = "w6a6"\nrounding = "{rounding}"\n'
                 f'saturation = "{saturation}"\n[layers.c2]\nrounding = "AP_RND"\n')
    qg = quantize(graph, weights, parse_precision(str(f)), calibration_inputs(graph, 1, 2))
    assert (qg.qlayer("c1").rounding, qg.qlayer("c1").saturation) == (rounding, saturation)
    assert qg.qlayer("c2").rounding == "AP_RND"
    x = calibration_inputs(graph, 9, 1)[0] * 3  # beyond calibration: some outputs overflow
    check_every_layer(qg, qg.quantize_input(x))


@pytest.mark.parametrize("extreme", ["max", "min", "alternate"])
def test_all_saturating_inputs(edge, extreme):
    graph, weights = edge
    qg = quantize(graph, weights, parse_precision("8"), calibration_inputs(graph, 1, 2))
    t = qg.input_type
    shape = graph.input_shape
    if extreme == "max":
        x = np.full(shape, t.qmax)
    elif extreme == "min":
        x = np.full(shape, t.qmin)
    else:
        x = np.where(np.indices(shape).sum(axis=0) % 2 == 0, t.qmax, t.qmin)
    vals = check_every_layer(qg, x.astype(np.int64))
    c1 = qg.type("c1")
    assert (vals["c1"] == c1.qmax).any() or extreme == "min"


def clip_graph() -> g.Graph:
    """Clamps on convs and an add: ReLU6, a signed Clip(-1, 1), a one-sided Clip and bounds
    that are not powers of two (0.3: not representable at most scales)."""
    return g.make_graph("clips", (9, 9, 3), [
        g.conv("c1", g.INPUT, 6, 3, pad=1, clip_lo=0.0, clip_hi=6.0),           # ReLU6
        g.conv("c2", "c1", 6, 3, pad=1, relu=False, clip_lo=-1.0, clip_hi=1.0),  # hardtanh
        g.conv("c3", "c2", 6, 1, relu=False, clip_hi=0.3),                      # max only
        g.add("byp", "c3", "c2", relu=True),
        g.Layer("a2", "add", ("byp", "c2"), clip_lo=-0.3, clip_hi=0.7),
        g.conv("c4", "a2", 4, 3, stride=2, relu=False),
        g.avgpool("gap", "c4"),
    ])


@pytest.mark.parametrize("spec", ["8", "w4a6", "16"])
@pytest.mark.parametrize(("rounding", "saturation"), [("AP_RND", "AP_SAT"),
                                                      ("AP_TRN", "AP_WRAP"),
                                                      ("AP_RND_CONV", "AP_SAT")])
def test_clamps_match_slow_model(tmp_path, spec, rounding, saturation):
    """Every clamp binds on some element (inputs scaled beyond calibration), and every layer
    equals the slow model; under AP_WRAP a clamped layer never wraps."""
    graph = clip_graph()
    weights = {k: v * 3 for k, v in random_weights(graph, 11).items()}
    f = tmp_path / "p.toml"
    f.write_text(f'[model]\nprecision = "{spec}"\nrounding = "{rounding}"\n'
                 f'saturation = "{saturation}"\n')
    qg = quantize(graph, weights, parse_precision(str(f)), calibration_inputs(graph, 1, 2))
    hit = set()
    for seed in (4, 5):
        x = calibration_inputs(graph, seed, 1)[0] * 2
        vals = check_every_layer(qg, qg.quantize_input(x))
        for name in ("c1", "c2", "c3", "a2"):
            lo, hi = qg.qlayer(name).clip
            hit |= {(name, "hi")} if (vals[name] == hi).any() else set()
            hit |= {(name, "lo")} if (vals[name] == lo).any() else set()
    assert {("c1", "hi"), ("c2", "lo"), ("c2", "hi"), ("c3", "hi"), ("a2", "hi")} <= hit
    assert not qg.type("c1").signed and qg.type("c2").signed


def test_clamp_bounds_follow_the_float_reference():
    """quantize(clip(x)) == clip(quantize(x), quantize(lo), quantize(hi)): the integer bounds
    of a clamp are the float bounds rounded as the data, saturated into the type."""
    from fpgagen.quant.fixed import clip_bounds, quantize_float, requantize_clipped
    t = FixedType(8, 5, False)  # ufixed<8,3>: 0 .. 7.97 in steps of 1/32
    assert clip_bounds(0.0, 6.0, t) == (0, 192)
    assert clip_bounds(None, 0.3, t, "AP_RND") == (0, 10)    # 9.6 rounds up
    assert clip_bounds(None, 0.3, t, "AP_TRN") == (0, 9)
    assert clip_bounds(-1.0, 100.0, t) == (0, 255)           # beyond the type: its rails
    s = FixedType(8, 6, True)
    assert clip_bounds(-1.0, 1.0, s) == (-64, 64)
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 1000)
    for q in ("AP_RND", "AP_TRN", "AP_RND_CONV"):
        acc = quantize_float(x, FixedType(40, 20, True), q, "AP_SAT")
        got = requantize_clipped(acc, 14, s, clip_bounds(-0.7, 0.45, s, q), q)
        want = quantize_float(np.clip(acc / 2.0 ** 20, -0.7, 0.45), s, q, "AP_SAT")
        assert (got == want).all(), q


def test_int64_fallback_path_is_exact():
    """Wide types push N * max|x| * max|w| past 2**53: the conv falls back to int64."""
    graph = g.make_graph("wide", (5, 5, 64), [g.conv("c", g.INPUT, 3, 3, pad=1)])
    qg = quantize(graph, random_weights(graph, 2), parse_precision("w24a24"),
                  calibration_inputs(graph, 0, 1))
    assert not golden.float_exact(qg.qlayer("c"))
    check_every_layer(qg, qg.quantize_input(calibration_inputs(graph, 3, 1)[0]))


def test_types_follow_the_signedness_rules():
    graph = load_model("zynqnet", 64)
    qg = quantize(graph, random_weights(graph), parse_precision("8"),
                  calibration_inputs(graph, 0, 1))
    assert qg.input_type.signed
    assert not qg.type("c1").signed and qg.type("conv10").signed and qg.type("pool10").signed
    assert qg.type("fire2_expand1x1") == qg.type("fire2_expand3x3") == qg.type("fire2_concat")
    for ql in qg.qlayers.values():
        assert ql.out_type.width == 8
        if ql.layer.op == "conv":
            tx, tw, tb = ql.in_type, ql.weight_type, ql.bias_type
            assert ql.bias_shift == tx.frac + tw.frac - tb.frac >= 0
            assert ql.shift == tx.frac + tw.frac - ql.out_type.frac
            n = ql.weights.shape[0] * ql.weights.shape[1] * ql.weights.shape[2]
            assert ql.acc_width >= tx.width + tw.width + math.ceil(math.log2(n)) + 1
            assert ql.weights.dtype == np.int64 and not ql.weights.flags.writeable


def test_maxpool_keeps_type_and_bypass_stays_unsigned():
    graph = load_model("squeezenet1_0_bypass", 64)
    qg = quantize(graph, random_weights(graph), parse_precision("8"),
                  calibration_inputs(graph, 0, 1))
    assert qg.type("pool1") == qg.type("conv1") and qg.type("pool4") == qg.type("fire4_concat")
    assert not qg.type("fire3_bypass").signed
    ql = qg.qlayer("fire3_bypass")
    assert len(ql.align_shifts) == 2 and min(ql.align_shifts) == 0


def test_refuses_accumulators_beyond_int64():
    graph = load_model("squeezenet1_1", 32)
    with pytest.raises(FpgagenError, match=r"accumulator needs \d+ bits"):
        quantize(graph, random_weights(graph), parse_precision("ap_fixed<32,16>"),
                 calibration_inputs(graph, 0, 1))


def test_concat_overrides_must_agree(tmp_path):
    graph = load_model("squeezenet1_1", 32)
    f = tmp_path / "p.toml"
    f.write_text('[layers.fire2_expand1x1]\nresult = "16"\n')
    with pytest.raises(FpgagenError, match="must share one type"):
        quantize(graph, random_weights(graph), parse_precision(str(f)),
                 calibration_inputs(graph, 0, 1))


def test_golden_input_checks(edge):
    graph, weights = edge
    qg = quantize(graph, weights, parse_precision("8"), calibration_inputs(graph, 1, 1))
    with pytest.raises(FpgagenError, match="shape"):
        golden.run(qg, np.zeros((3, 3, 3), dtype=np.int64))
    with pytest.raises(FpgagenError, match="outside the range"):
        golden.run(qg, np.full(graph.input_shape, 1000, dtype=np.int64))


def sqnr_db(ref: np.ndarray, test: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    noise = np.sum((test - ref) ** 2)
    return float(10 * np.log10(np.sum(ref ** 2) / noise)) if noise else math.inf


@pytest.mark.slow
@pytest.mark.parametrize("model", list(ZOO))
def test_zoo_w16a16_logits_sqnr(model):
    graph = load_model(model)
    weights = random_weights(graph, 0)
    qg = quantize(graph, weights, parse_precision("16"), calibration_inputs(graph, 0))
    x = calibration_inputs(graph, 1234, 1)[0]  # a different seed than calibration
    ref = reference.run(graph, weights, x)[graph.output]
    out = golden.run(qg, qg.quantize_input(x))[graph.output]
    assert sqnr_db(ref, qg.dequantize(graph.output, out)) >= 30.0
