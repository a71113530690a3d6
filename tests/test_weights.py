"""Random and file weights: shapes, determinism, and one-line errors naming the culprits."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend.weights import expected_shapes, load_weights, random_weights
from fpgagen.frontend.zoo import load_model


@pytest.fixture(scope="module")
def graph():
    return load_model("squeezenet1_1", 64)


def test_random_weights_shapes_and_determinism(graph):
    w = random_weights(graph, 5)
    assert {k: v.shape for k, v in w.items()} == expected_shapes(graph)
    assert all(v.dtype == np.float32 for v in w.values())
    again, other = random_weights(graph, 5), random_weights(graph, 6)
    assert all(np.array_equal(w[k], again[k]) for k in w)
    assert not np.array_equal(w["conv1.weight"], other["conv1.weight"])
    fan_in = 3 * 3 * 3
    assert abs(w["conv1.weight"].std() - np.sqrt(2 / fan_in)) < 0.1 * np.sqrt(2 / fan_in)
    assert np.abs(w["conv1.bias"]).max() < 0.1


def test_npz_roundtrip(graph, tmp_path):
    w = random_weights(graph, 1)
    f = tmp_path / "w.npz"
    np.savez(f, **{k: v.astype(np.float64) for k, v in w.items()})
    back = load_weights(f, graph)
    assert all(back[k].dtype == np.float32 and np.array_equal(back[k], w[k]) for k in w)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda w: w.pop("fire2_squeeze1x1.bias"), "missing fire2_squeeze1x1.bias"),
    (lambda w: w.update({"bogus.weight": np.zeros(3)}), "unexpected bogus.weight"),
    (lambda w: w.update({"conv1.weight": np.zeros((3, 3, 64, 3))}),
     "conv1.weight is 3x3x64x3, expected 3x3x3x64"),
    (lambda w: w["conv10.bias"].__setitem__(0, np.nan), "NaN"),
])
def test_bad_files_are_named(graph, tmp_path, edit, message):
    w = random_weights(graph, 1)
    edit(w)
    f = tmp_path / "w.npz"
    np.savez(f, **w)
    with pytest.raises(FpgagenError, match=message) as info:
        load_weights(f, graph)
    assert "\n" not in str(info.value)


def test_unreadable_files(graph, tmp_path):
    with pytest.raises(FpgagenError, match="does not exist"):
        load_weights(tmp_path / "nope.npz", graph)
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(FpgagenError, match="cannot read"):
        load_weights(tmp_path / "junk.npz", graph)
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(FpgagenError, match="single array"):
        load_weights(tmp_path / "one.npy", graph)
