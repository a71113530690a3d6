"""The zoo's trained ``digits`` model: the shipped ONNX file is what examples/digits/train.py
exports (same layers, shapes and names), and carries its class names and preprocessing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from fpgagen.frontend.labels import onnx_info
from fpgagen.frontend.onnx_import import load_onnx, read_metadata
from fpgagen.frontend.zoo import MODELS_DIR, load_model

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = MODELS_DIR / "digits.onnx"


def test_shipped_model_metadata():
    meta = read_metadata(SHIPPED)
    assert json.loads(meta["labels"]) == [str(d) for d in range(10)]
    assert meta["preprocess"] == "digits" and meta["dataset"] == "digits"
    info = onnx_info(SHIPPED, 10)
    assert info.labels == tuple("0123456789") and not info.random_weights
    assert SHIPPED.stat().st_size < 100_000  # small enough to ship in the wheel


def _structure(graph):
    return [(lay.name, lay.op, lay.kernel, lay.stride, lay.pad, lay.relu, graph.shape(lay.name))
            for lay in graph.layers]


def test_train_script_exports_the_shipped_structure(tmp_path):
    """An untrained export of the script's network has the shipped model's layers: the file
    in the package came from this script."""
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("digits_train",
                                                  ROOT / "examples" / "digits" / "train.py")
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    out = tmp_path / "digits.onnx"
    train.export(train.DigitsNet().eval(), out)
    fresh, _ = load_onnx(out)
    shipped = load_model("digits")
    assert fresh.input_shape == shipped.input_shape == (32, 32, 1)
    assert _structure(fresh) == _structure(shipped)
    assert read_metadata(out) == read_metadata(SHIPPED)
    assert [lay.name for lay in shipped.layers][:2] == ["conv1", "pool1"]


@pytest.mark.slow
def test_one_channel_image_csim_bit_exact(cli, tmp_path):
    """The digits model reads a 1-channel image (the conv on it packs kernel columns into the
    lanes one channel leaves idle); the C++ computes it as the golden model does (~10 s)."""
    out = tmp_path / "b"
    code, _, err = cli("build", "-m", "digits", "--pe", "4x4", "-o", str(out), "-q")
    assert code == 0, err
    code, out_text, err = cli("verify", str(out), "--csim", "-q", "--json")
    res = json.loads(out_text)["csim"]
    assert code == 0 and res["bit_exact"], err
    assert res["tensors_compared"] == res["tensors_expected"] == 17
