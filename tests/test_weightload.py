"""New weights for a build: weights.bin's format (fpgagen/machine/weightload.py), the network
record (graph and types as JSON) and requantization into a build's types (quant/freeze.py)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.weights import random_weights
from fpgagen.frontend.zoo import load_model
from fpgagen.machine.context import lower
from fpgagen.machine.engine_table import table_words
from fpgagen.machine.weightload import WeightLoad, crc32, load_bytes, pack_lane_words
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import make_plan
from fpgagen.quant.freeze import frozen_precision, requantize, types_record, weight_fit
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, quantize


def _words(lanes: np.ndarray, bits: int) -> list[int]:
    return [sum((int(v) & ((1 << bits) - 1)) << (j * bits) for j, v in enumerate(row))
            for row in lanes.reshape(lanes.shape[0], -1)]


@pytest.mark.parametrize(("lanes", "bits", "tdata"), [(8, 5, 32), (3, 8, 32), (16, 16, 64),
                                                      (5, 13, 64), (1, 1, 32)])
def test_a_word_is_its_lanes_little_end_first_in_whole_beats(lanes, bits, tdata):
    rng = np.random.default_rng(lanes * bits)
    a = rng.integers(-(1 << (bits - 1)) if bits > 1 else 0, 1 << max(bits - 1, 1), (7, lanes))
    data = pack_lane_words(a, bits, 9, tdata)  # two zero words after the seven
    nbytes = -(-lanes * bits // tdata) * tdata // 8
    assert len(data) == 9 * nbytes
    want = b"".join(w.to_bytes(nbytes, "little") for w in _words(a, bits)) + bytes(2 * nbytes)
    assert data == want


def test_load_bytes_is_weights_then_biases():
    g_ = WeightLoad(32, 4 * 8 * 8, 3, 8 * 16, 2)
    assert (g_.beats_per_weight_word, g_.beats_per_bias_word) == (8, 4)
    assert (g_.beats, g_.bytes, g_.shift_register_bits) == (3 * 8 + 2 * 4, 128, 256)
    w = np.arange(3 * 8 * 4).reshape(3, 8, 4) - 40
    b = np.arange(2 * 8).reshape(2, 8) * 1000 - 7000
    data = load_bytes(g_, w, 8, b, 16)
    assert data[:96] == pack_lane_words(w, 8, 3, 32)
    assert data[96:] == pack_lane_words(b, 16, 2, 32)
    assert crc32(data) == zlib.crc32(data)
    with pytest.raises(ValueError, match="weight words of 32 x 4 bits"):
        load_bytes(g_, w, 4, b, 16)


def edge_graph() -> g.Graph:
    return g.make_graph("edge", (13, 11, 3), [
        g.conv("c1", g.INPUT, 8, 3, 2, 1), g.maxpool("p1", "c1"),
        g.conv("sq", "p1", 4, 1), g.conv("e1", "sq", 8, 1), g.conv("e3", "sq", 8, 3, pad=1),
        g.concat("cat", "e1", "e3"), g.conv("side", "p1", 16, 1, relu=False),
        g.add("byp", "cat", "side"), g.conv("c10", "byp", 10, 1, relu=False),
        g.avgpool("gap", "c10")])


def test_graph_record_round_trips():
    for graph in (edge_graph(), load_model("squeezenet")):
        again = g.graph_from_dict(g.graph_to_dict(graph))
        assert again == graph or (again.layers, again.shapes, again.output) == (
            graph.layers, graph.shapes, graph.output)
    with pytest.raises(FpgagenError, match="bad field"):
        g.graph_from_dict({"name": "x", "layers": []})


TOML = """[model]
precision = "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
[layers.byp]
result = "ap_fixed<8,-1,AP_TRN,AP_WRAP>"
[layers.e3]
weight = "6"
"""


@pytest.mark.parametrize("precision", ["8", "16", "w8a16", "toml"])
def test_requantize_with_the_same_weights_is_the_same_network(precision, tmp_path):
    """The record's types pinned: the quantizer gives back every type, shift and integer."""
    graph = edge_graph()
    if precision == "toml":
        (tmp_path / "p.toml").write_text(TOML)
        precision = str(tmp_path / "p.toml")
    w = random_weights(graph, 5)
    qa = quantize(graph, w, parse_precision(precision), calibration_inputs(graph, 2))
    qb = requantize(graph, w, types_record(qa))
    assert dict(qb.types) == dict(qa.types)
    assert (qb.input_rounding, qb.input_saturation) == (qa.input_rounding, qa.input_saturation)
    for name, a in qa.qlayers.items():
        b = qb.qlayers[name]
        for f in ("out_type", "rounding", "saturation", "shift", "acc_width", "weight_type",
                  "bias_type", "bias_shift", "avg_mult", "avg_shift", "align_shifts"):
            assert getattr(a, f) == getattr(b, f), (name, f)
        if a.weights is not None:
            assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
    assert all(f.weights_saturated == 0 for f in weight_fit(qb, w))


def test_new_weights_keep_the_table_and_report_saturation():
    graph = edge_graph()
    prec = parse_precision("8")
    qa = quantize(graph, random_weights(graph, 5), prec, calibration_inputs(graph, 2))
    big = {k: v * 4.0 for k, v in random_weights(graph, 6).items()}
    qb = requantize(graph, big, types_record(qa))
    plan = make_plan(graph, load_board("zynq"), prec, EngineConfig(4, 8))
    plan_b = make_plan(graph, load_board("zynq"), frozen_precision(types_record(qa), graph),
                       EngineConfig(4, 8))
    ma, mb = lower(plan, qa), lower(plan_b, qb)
    assert table_words(ma.rows) == table_words(mb.rows)
    assert ma.weight_load == mb.weight_load and ma.weights_bin != mb.weights_bin
    fits = {f.layer: f for f in weight_fit(qb, big)}
    assert set(fits) == {"c1", "sq", "e1", "e3", "side", "c10"}
    assert sum(f.weights_saturated for f in fits.values()) > 0
    assert all(f.weight_sqnr_db < 60 for f in fits.values())


def test_a_record_of_another_network_is_refused():
    graph = edge_graph()
    qa = quantize(graph, random_weights(graph, 5), parse_precision("8"),
                  calibration_inputs(graph, 2))
    rec = types_record(qa)
    del rec["layers"]["e3"]
    with pytest.raises(FpgagenError, match="no entry 'e3'"):
        requantize(graph, random_weights(graph, 5), rec)
