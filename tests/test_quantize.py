"""The quantizer's interface: calibration data, pinned types, the QGraph accessors."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.weights import random_weights
from fpgagen.quant.fixed import FixedType
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, load_calibration, quantize


@pytest.fixture(scope="module")
def tiny():
    graph = g.make_graph("tiny", (9, 9, 3), [
        g.conv("c1", g.INPUT, 4, 3, 2), g.conv("e1", "c1", 4, 1), g.conv("e3", "c1", 4, 3, pad=1),
        g.concat("cat", "e1", "e3"), g.conv("c2", "cat", 6, 1, relu=False),
        g.avgpool("gap", "c2")])
    return graph, random_weights(graph, 1)


def test_calibration_inputs_are_seeded(tiny):
    graph, _ = tiny
    a, b = calibration_inputs(graph, 3, 2), calibration_inputs(graph, 3, 2)
    assert a.shape == (2, 9, 9, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, calibration_inputs(graph, 4, 2))
    assert a.min() > -2.2 and a.max() < 2.7  # ImageNet-normalized range


def test_load_calibration(tiny, tmp_path):
    graph, _ = tiny
    np.save(tmp_path / "one.npy", np.zeros((9, 9, 3)))
    assert load_calibration(tmp_path / "one.npy", graph).shape == (1, 9, 9, 3)
    np.save(tmp_path / "bad.npy", np.zeros((2, 9, 9, 1)))
    with pytest.raises(FpgagenError, match="expected N x 9x9x3"):
        load_calibration(tmp_path / "bad.npy", graph)
    inf = np.zeros((1, 9, 9, 3))
    inf[0, 0, 0, 0] = np.inf
    np.save(tmp_path / "inf.npy", inf)
    with pytest.raises(FpgagenError, match="1 NaN or infinite"):
        load_calibration(tmp_path / "inf.npy", graph)
    with pytest.raises(FpgagenError, match="does not exist"):
        load_calibration(tmp_path / "none.npy", graph)


def test_pinned_types_keep_their_binary_point(tiny):
    graph, weights = tiny
    qg = quantize(graph, weights, parse_precision("ap_fixed<16,6>"),
                  calibration_inputs(graph, 0, 1))
    assert qg.input_type == FixedType(16, 10, True)
    assert qg.type("c1") == FixedType(16, 10, False)  # ReLU output: unsigned, same point
    assert qg.type("c2") == FixedType(16, 10, True)
    ql = qg.qlayer("c2")
    assert ql.weight_type == ql.bias_type == FixedType(16, 10, True)
    assert ql.shift == 10 and ql.bias_shift == 10


def test_qgraph_covers_every_tensor(tiny):
    graph, weights = tiny
    qg = quantize(graph, weights, parse_precision("w8a16"), calibration_inputs(graph, 0, 2))
    assert set(qg.types) == {"input", *(lay.name for lay in graph.layers)}
    assert list(qg.qlayers) == [lay.name for lay in graph.layers]
    assert qg.output_type == qg.type("gap") and qg.qlayer("e1").name == "e1"
    gap = qg.qlayer("gap")
    assert gap.avg_mult > 0 and gap.shift == gap.avg_shift + qg.type("c2").frac - gap.out_type.frac
    assert qg.qlayer("c1").weight_type.width == 8 and qg.type("c1").width == 16
    assert qg.qlayer("c1").bias_type.width == 24
    with pytest.raises(FpgagenError, match="NaN"):
        qg.quantize_input(np.full((9, 9, 3), np.nan))


def test_unknown_layer_and_bad_weights(tiny, tmp_path):
    graph, weights = tiny
    f = tmp_path / "p.toml"
    f.write_text('[layers.c9]\nweight = "4"\n')
    with pytest.raises(FpgagenError, match="unknown layer"):
        quantize(graph, weights, parse_precision(str(f)), calibration_inputs(graph, 0, 1))
    with pytest.raises(FpgagenError, match=r"missing c1\.bias"):
        quantize(graph, {k: v for k, v in weights.items() if k != "c1.bias"},
                 parse_precision("8"), calibration_inputs(graph, 0, 1))


def test_inline_modes_and_bad_modes(tmp_path):
    lp = parse_precision("ap_fixed<8,3,AP_TRN,AP_WRAP>").default
    assert (lp.rounding, lp.saturation) == ("AP_TRN", "AP_WRAP")
    f = tmp_path / "p.toml"
    f.write_text('[model]\nrounding = "AP_RND_ZERO"\n')
    with pytest.raises(FpgagenError, match="unknown rounding mode"):
        parse_precision(str(f))
