"""The layer-graph IR: shape inference, params/MACs, topological order and validation errors."""

from __future__ import annotations

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g


def tiny(*extra: g.Layer, output: str | None = None) -> g.Graph:
    layers = [g.conv("c1", g.INPUT, 8, 3, 2, 1), g.maxpool("p1", "c1"), *extra]
    return g.make_graph("tiny", (17, 17, 3), layers, output)


def test_shapes_params_macs():
    gr = tiny()
    assert gr.shape("c1") == (9, 9, 8)  # (17 + 2 - 3) // 2 + 1
    assert gr.shape("p1") == (4, 4, 8)  # ceil((9 - 3) / 2) + 1
    c1 = gr.layer("c1")
    assert gr.weight_shape(c1) == (3, 3, 3, 8)
    assert gr.params(c1) == 3 * 3 * 3 * 8 + 8
    assert gr.macs(c1) == 9 * 9 * 8 * 27
    assert gr.params(gr.layer("p1")) == gr.macs(gr.layer("p1")) == 0


@pytest.mark.parametrize(("size", "k", "s", "p", "ceil", "expected"), [
    (111, 3, 2, 0, True, 55), (55, 3, 2, 0, True, 27), (27, 3, 2, 0, True, 13),
    (113, 3, 2, 0, True, 56), (6, 3, 2, 0, True, 3), (6, 3, 2, 0, False, 2),
    (5, 2, 2, 0, True, 3), (4, 2, 2, 1, True, 3), (3, 3, 2, 1, True, 2),
])
def test_pool_out_size_matches_caffe_and_pytorch(size, k, s, p, ceil, expected):
    assert g.pool_out_size(size, k, s, p, ceil) == expected


def test_toposort_orders_consumers_after_producers():
    layers = [g.concat("cat", "a", "b"), g.conv("b", "c1", 4, 1), g.conv("a", "c1", 4, 1),
              g.conv("c1", g.INPUT, 4, 1)]
    gr = g.make_graph("t", (4, 4, 3), layers, output="cat")
    order = [lay.name for lay in gr.layers]
    assert order == ["c1", "b", "a", "cat"]
    assert gr.shape("cat") == (4, 4, 8)


def test_consumers():
    gr = tiny(g.conv("x", "p1", 4, 1), g.conv("y", "p1", 4, 1), g.concat("cat", "x", "y"))
    assert [c.name for c in gr.consumers("p1")] == ["x", "y"]


@pytest.mark.parametrize(("layers", "message"), [
    ([g.conv("c", "nope", 4, 1)], "reads tensor 'nope'"),
    ([g.conv("c", g.INPUT, 4, 1), g.conv("d", g.INPUT, 4, 1)], "dangling"),
    ([g.conv("c", g.INPUT, 4, 3, 2), g.conv("d", g.INPUT, 4, 1),
      g.concat("cat", "c", "d")], "shape mismatch"),
    ([g.conv("c", g.INPUT, 4, 1), g.conv("d", g.INPUT, 8, 1), g.add("s", "c", "d")],
     "shape mismatch"),
    ([g.conv("c", g.INPUT, 4, 11)], "kernel 11 larger than padded input"),
    ([g.Layer("c", "softmax", (g.INPUT,))], "unknown op 'softmax'"),
    ([g.conv("c", g.INPUT, 4, 1), g.conv("c", "c", 4, 1)], "used twice"),
    ([g.conv("a", g.INPUT, 4, 1), g.conv("b", "c", 4, 1), g.add("c", "a", "b")], "cycle"),
    ([g.conv("c", g.INPUT, 4, 1, groups=3)], "groups=3"),
    ([g.concat("c", g.INPUT)], "at least two inputs"),
    ([g.conv("c", g.INPUT, 0, 1)], "out_channels"),
])
def test_validation_errors(layers, message):
    with pytest.raises(FpgagenError, match=message):
        g.make_graph("bad", (8, 8, 3), layers)


def test_unknown_output_and_bad_input_shape():
    with pytest.raises(FpgagenError, match="output tensor"):
        g.make_graph("bad", (8, 8, 3), [g.conv("c", g.INPUT, 4, 1)], output="zz")
    with pytest.raises(FpgagenError, match="input shape"):
        g.make_graph("bad", (8, 8), [g.conv("c", g.INPUT, 4, 1)])


def test_graph_is_immutable():
    gr = tiny()
    with pytest.raises(AttributeError):
        gr.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        gr.shapes["c1"] = (1, 1, 1)  # type: ignore[index]


@pytest.mark.parametrize(("layer", "message"), [
    (g.conv("c", g.INPUT, 4, 3, clip_lo=2.0, clip_hi=1.0), "are empty"),
    (g.conv("c", g.INPUT, 4, 3, clip_hi=float("inf")), "not finite"),
    (g.Layer("c", "maxpool", (g.INPUT,), kernel=2, stride=2, clip_hi=6.0),
     "only a conv or an add may clamp"),
])
def test_clamp_bounds_are_checked(layer, message):
    with pytest.raises(FpgagenError, match=message):
        g.make_graph("m", (8, 8, 3), [layer])


def test_clamp_round_trips_and_old_records_stay_the_same():
    clipped = g.make_graph("m", (8, 8, 3), [g.conv("c", g.INPUT, 4, 3, clip_lo=0.0,
                                                   clip_hi=6.0)])
    assert g.graph_from_dict(g.graph_to_dict(clipped)) == clipped
    plain = g.make_graph("m", (8, 8, 3), [g.conv("c", g.INPUT, 4, 3)])
    record = g.graph_to_dict(plain)
    assert "clip_lo" not in record["layers"][0]  # a graph without clamps: the record as before
    assert g.graph_from_dict(record) == plain
