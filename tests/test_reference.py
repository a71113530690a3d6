"""The float reference against direct loops (conv with pad/stride/groups, Caffe ceil-mode pool)."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.weights import random_weights
from fpgagen.quant import reference


def loop_conv(x, w, b, stride, pad, groups):
    h, wd, _ = x.shape
    k, _, cin_g, co = w.shape
    ho, wo = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    co_g = co // groups
    out = np.zeros((ho, wo, co), dtype=np.float64)
    for oy in range(ho):
        for ox in range(wo):
            for o in range(co):
                grp = o // co_g
                acc = float(b[o])
                for ky in range(k):
                    for kx in range(k):
                        iy, ix = oy * stride + ky - pad, ox * stride + kx - pad
                        if 0 <= iy < h and 0 <= ix < wd:
                            acc += float(np.dot(x[iy, ix, grp * cin_g:(grp + 1) * cin_g],
                                                w[ky, kx, :, o]))
                out[oy, ox, o] = acc
    return out


@pytest.mark.parametrize(("size", "k", "stride", "pad", "groups", "cin"), [
    ((7, 9), 3, 2, 0, 1, 3), ((7, 9), 3, 2, 1, 1, 3), ((5, 5), 1, 1, 0, 1, 8),
    ((6, 5), 3, 1, 1, 2, 4), ((9, 9), 7, 2, 0, 1, 3), ((4, 4), 1, 2, 0, 1, 2)])
def test_conv_matches_loop(size, k, stride, pad, groups, cin):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((*size, cin)).astype(np.float32)
    w = rng.standard_normal((k, k, cin // groups, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    got = reference.conv_matmul(x, w, stride, pad, groups, np.float32) + b
    np.testing.assert_allclose(got, loop_conv(x, w, b, stride, pad, groups), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize(("size", "k", "stride", "pad"), [
    ((6, 5), 3, 2, 0), ((7, 7), 3, 2, 0), ((55, 55), 3, 2, 0), ((5, 6), 2, 1, 1),
    ((8, 3), 3, 2, 1)])
def test_ceil_mode_pool_ignores_overhang(size, k, stride, pad):
    rng = np.random.default_rng(1)
    x = -np.abs(rng.standard_normal((*size, 2))).astype(np.float32)  # all negative: a zero
    ho = g.pool_out_size(size[0], k, stride, pad, True)                # fill would show
    wo = g.pool_out_size(size[1], k, stride, pad, True)
    got = reference.pool_max(x, k, stride, pad, (ho, wo))
    for oy in range(ho):
        for ox in range(wo):
            y0, x0 = oy * stride - pad, ox * stride - pad
            win = x[max(y0, 0):y0 + k, max(x0, 0):x0 + k]
            np.testing.assert_array_equal(got[oy, ox], win.max(axis=(0, 1)))


def test_run_keeps_every_layer_and_means_are_true_means():
    graph = g.make_graph("t", (7, 7, 3), [
        g.conv("c", g.INPUT, 4, 3, 2), g.maxpool("p", "c"), g.conv("d", "p", 4, 1),
        g.conv("e", "p", 4, 1), g.concat("cat", "d", "e"), g.conv("f", "cat", 8, 1),
        g.add("a", "cat", "f", relu=True), g.avgpool("gap", "a")])
    w = random_weights(graph, 3)
    x = np.random.default_rng(2).standard_normal((7, 7, 3)).astype(np.float32)
    out = reference.run(graph, w, x)
    assert set(out) == {"input", *(lay.name for lay in graph.layers)}
    assert all(v.dtype == np.float32 for v in out.values())
    assert all(out[n].shape == graph.shape(n) for n in out)
    np.testing.assert_allclose(out["gap"][0, 0], out["a"].mean(axis=(0, 1)), rtol=1e-6)
    np.testing.assert_array_equal(out["cat"], np.concatenate([out["d"], out["e"]], axis=2))
    np.testing.assert_allclose(out["a"], np.maximum(out["cat"] + out["f"], 0))
    assert (out["c"] >= 0).all()


def test_wrong_input_shape():
    graph = g.make_graph("t", (7, 7, 3), [g.conv("c", g.INPUT, 4, 3), g.avgpool("gap", "c")])
    with pytest.raises(FpgagenError, match="expected 7x7x3"):
        reference.run(graph, random_weights(graph), np.zeros((7, 7, 1), np.float32))
