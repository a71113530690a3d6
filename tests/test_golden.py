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
                    out[oy, ox, o] = slow_requant(acc, ql.shift, ql.out_type, ql.rounding,
                                                  ql.saturation)
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
                    out[iy, ix, ch] = slow_requant(acc, ql.shift, ql.out_type, ql.rounding,
                                                   ql.saturation)
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
