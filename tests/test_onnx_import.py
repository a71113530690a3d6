"""The ONNX frontend on models built with onnx.helper: structure equals the zoo at every opset,
weights land in HWIO, BN folds, ReLUs fuse, and the float result matches onnxruntime."""

from __future__ import annotations

import json
import logging
import re

import numpy as np
import onnx  # noqa: F401  (a missing tool must fail the suite, not skip it)
import pytest
from onnx_models import (
    Builder,
    numpy_forward,
    run_ort,
    save,
    squeezenet1_1_zoo_layout,
    structure,
    with_output,
)

from fpgagen.frontend import zoo
from fpgagen.frontend.onnx_import import load_onnx

ORT_RTOL = 1e-4  # relative to the largest |logit|


def _rel_err(ours: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(ours.reshape(-1) - ref.reshape(-1)).max() / np.abs(ref).max())


def _image(shape_nchw: tuple[int, ...], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape_nchw).astype(np.float32)


def _hwc(x_nchw: np.ndarray) -> np.ndarray:
    return x_nchw[0].transpose(1, 2, 0)


@pytest.fixture(scope="module")
def zoo_layout_64(tmp_path_factory):
    """The zoo-layout SqueezeNet 1.1 at 64x64 (opset 13) and its imported graph and weights."""
    model = squeezenet1_1_zoo_layout(64, 13)
    path = save(model, tmp_path_factory.mktemp("onnx") / "sq11.onnx")
    return model, path, *load_onnx(path)


def test_zoo_layout_full_size_equals_zoo(tmp_path):
    """The one full-size structural check: the model zoo's layout at 224x224, opset 12."""
    path = save(squeezenet1_1_zoo_layout(224, 12), tmp_path / "squeezenet1.1.onnx")
    graph, weights = load_onnx(path)
    assert structure(graph) == structure(zoo.squeezenet1_1(224))
    assert (graph.total_params, graph.total_macs) == (1_235_496, 349_151_936)
    assert graph.input_shape == (224, 224, 3)
    assert graph.name == "squeezenet1_1"
    assert len(weights) == 2 * 26


@pytest.mark.parametrize(("opset", "tail"), [(7, "reshape"), (9, "flatten"), (11, "reshape"),
                                             (12, "flatten"), (13, "reshape"), (17, "flatten"),
                                             (21, "reshape")])
def test_zoo_layout_every_opset(tmp_path, opset, tail):
    """Attribute-vs-input differences: Dropout ratio (attr < 12, input >= 12), MaxPool ceil
    (extra end pad < 10, ceil_mode >= 10), BN spatial, Reshape shape input, IR 3 initializers
    listed as graph inputs (opset 7)."""
    path = save(squeezenet1_1_zoo_layout(64, opset, tail=tail), tmp_path / "m.onnx")
    graph, _ = load_onnx(path)
    assert structure(graph) == structure(zoo.squeezenet1_1(64))


def test_weights_are_hwio_with_biases(zoo_layout_64):
    model, _, graph, weights = zoo_layout_64
    convs = [lay for lay in graph.layers if lay.op == "conv"]
    assert set(weights) == {f"{lay.name}.{k}" for lay in convs for k in ("weight", "bias")}
    inits = {t.name: t for t in model.graph.initializer}
    from onnx import numpy_helper

    for lay in convs:
        w, b = weights[f"{lay.name}.weight"], weights[f"{lay.name}.bias"]
        assert w.shape == graph.weight_shape(lay) and b.shape == (lay.out_channels,)
        assert w.dtype == b.dtype == np.float32 and w.flags.c_contiguous
        oihw = numpy_helper.to_array(inits[f"{lay.name}_weight"])
        np.testing.assert_array_equal(w, oihw.transpose(2, 3, 1, 0))
        np.testing.assert_array_equal(b, numpy_helper.to_array(inits[f"{lay.name}_bias"]))


def test_layer_names_are_file_names(zoo_layout_64):
    graph = zoo_layout_64[2]
    names = [lay.name for lay in graph.layers]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", n) for n in names)
    assert names[:3] == ["squeezenet0_conv0_fwd", "squeezenet0_pool0_fwd",
                         "squeezenet0_conv1_fwd"]


def test_float_matches_onnxruntime(zoo_layout_64):
    """Our own float64 forward pass (independent of fpgagen.quant.reference) vs onnxruntime."""
    model, _, graph, weights = zoo_layout_64
    x = _image((1, 3, 64, 64))
    ort_logits = run_ort(with_output(model, "logits"), x, "logits")
    ours = numpy_forward(graph, weights, _hwc(x))[graph.output]
    assert ours.shape == (1, 1, 1000) and np.abs(ort_logits).max() > 0
    assert _rel_err(ours, ort_logits) <= ORT_RTOL


def test_reference_matches_onnxruntime(zoo_layout_64):
    """fpgagen's float reference on the imported weights vs onnxruntime, on the logits."""
    from fpgagen.quant import reference
    model, _, graph, weights = zoo_layout_64
    x = _image((1, 3, 64, 64))
    ort_logits = run_ort(with_output(model, "logits"), x, "logits")
    ours = reference.run(graph, weights, _hwc(x))[graph.output]
    assert _rel_err(ours, ort_logits) <= ORT_RTOL


def test_tail_ops_are_dropped_and_logged(tmp_path, caplog):
    path = save(squeezenet1_1_zoo_layout(64, 13), tmp_path / "m.onnx")
    with caplog.at_level(logging.INFO, logger="fpgagen.frontend.onnx_import"):
        graph, _ = load_onnx(path)
    assert graph.layer(graph.output).op == "avgpool"
    assert "Flatten" in caplog.text and "Softmax" in caplog.text and "logits" in caplog.text


# --- small models: BN folding, ReLU placement, pads ---------------------------------------------


def _check_against_ort(tmp_path, model, shape_nchw):
    """Import, then compare the float forward pass with onnxruntime on the graph output."""
    graph, weights = load_onnx(save(model, tmp_path / "m.onnx"))
    x = _image(shape_nchw)
    ours = numpy_forward(graph, weights, _hwc(x))[graph.output]
    ort_out = run_ort(model, x)[0].transpose(1, 2, 0)
    assert ours.shape == ort_out.shape
    assert _rel_err(ours, ort_out) <= ORT_RTOL
    return graph, weights


@pytest.mark.parametrize("opset", [7, 9, 15, 21])
def test_batchnorm_folds_into_conv(tmp_path, opset):
    b = Builder((1, 3, 16, 16))
    x = b.batchnorm(b.conv("data", "conv1", 8, 3, pad=1), "bn1", opset)
    x = b.unary("Relu", x, "relu1")
    x = b.batchnorm(b.conv(x, "conv2", 4, 1, bias=False), "bn2", opset)
    graph, weights = _check_against_ort(tmp_path, b.model(x, opset), (1, 3, 16, 16))
    assert [(lay.name, lay.op, lay.relu) for lay in graph.layers] == [
        ("conv1", "conv", True), ("conv2", "conv", False)]
    assert np.abs(weights["conv2.bias"]).max() > 0  # BN beta/mean land in the missing bias


def test_relu_after_add_sets_add_relu(tmp_path):
    """A bypass: conv, fire-like pair, add, relu -> add.relu; float result as onnxruntime."""
    b = Builder((1, 4, 12, 12))
    x = b.unary("Relu", b.conv("data", "c1", 8, 3, pad=1), "r1")
    y = b.conv(x, "c2", 8, 3, pad=1)
    s = b.unary("Relu", b.node("Add", [x, y], "bypass"), "r2")
    b.channels[s] = 8
    out = b.unary("GlobalAveragePool", b.unary("Relu", b.conv(s, "c3", 5, 1), "r3"), "gap")
    graph, _ = _check_against_ort(tmp_path, b.model(out, 13), (1, 4, 12, 12))
    assert [(lay.op, lay.relu) for lay in graph.layers] == [
        ("conv", True), ("conv", False), ("add", True), ("conv", True), ("avgpool", False)]


def test_identity_redundant_relu_and_whole_map_avgpool(tmp_path):
    b = Builder((1, 3, 9, 9))
    x = b.unary("Relu", b.conv("data", "c1", 6, 3), "r1")  # 7x7
    x = b.unary("Identity", x, "id")
    x = b.unary("MaxPool", x, "pool", kernel_shape=[3, 3], strides=[2, 2])  # 3x3
    x = b.unary("Relu", x, "redundant")  # a max of ReLU outputs is already >= 0
    x = b.unary("AveragePool", x, "avg", kernel_shape=[3, 3])
    graph, _ = _check_against_ort(tmp_path, b.model(x, 11), (1, 3, 9, 9))
    assert [lay.op for lay in graph.layers] == ["conv", "maxpool", "avgpool"]


@pytest.mark.parametrize("opset", [9, 13])
def test_relu_and_batchnorm_fuse_through_dropout_and_identity(tmp_path, opset):
    """Dropout/Identity are removed, so a Relu or BN behind them is still the conv's only
    reader: the consumer count is looked up under the tensor the removed node passes on."""
    b = Builder((1, 3, 10, 10))
    x = b.unary("Relu", b.unary("Dropout", b.conv("data", "c1", 6, 3, pad=1), "drop"), "r1")
    x = b.batchnorm(b.unary("Identity", b.conv(x, "c2", 8, 3), "id"), "bn2", opset)
    x = b.unary("Identity", b.unary("Dropout", x, "drop2"), "id2")  # a chain of removed nodes
    x = b.unary("Relu", x, "r2")
    graph, weights = _check_against_ort(tmp_path, b.model(x, opset), (1, 3, 10, 10))
    assert [(lay.name, lay.op, lay.relu) for lay in graph.layers] == [
        ("c1", "conv", True), ("c2", "conv", True)]
    assert np.abs(weights["c2.bias"]).max() > 0  # the BN folded into c2


def test_relu_through_dropout_on_a_shared_conv_is_still_refused(tmp_path):
    """The count is the conv's: a second reader of the conv output forbids the fusion."""
    from fpgagen.errors import FpgagenError

    b = Builder((1, 3, 8, 8))
    c = b.conv("data", "c1", 4, 3, pad=1)
    r = b.unary("Relu", b.unary("Dropout", c, "drop"), "r1")
    b.channels[r] = 4
    x = b.node("Add", [r, c], "add")
    with pytest.raises(FpgagenError, match=r"'r1' \(Relu\).*sole consumer"):
        load_onnx(save(b.model(x, 13), tmp_path / "m.onnx"))


@pytest.mark.parametrize(("attrs", "size", "pad"), [
    ({"auto_pad": "SAME_UPPER", "strides": [1, 1]}, 10, 1),
    ({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, 11, 1),
    ({"auto_pad": "VALID", "strides": [2, 2]}, 11, 0),
    ({"pads": [1, 1, 2, 2], "strides": [2, 2]}, 11, 1),  # extra end pad no window reaches
])
def test_conv_pads_mapped(tmp_path, attrs, size, pad):
    b = Builder((1, 3, size, size))
    x = b.conv("data", "c1", 4, 3, **attrs)
    graph, _ = _check_against_ort(tmp_path, b.model(x, 13), (1, 3, size, size))
    assert graph.layer("c1").pad == pad


def test_maxpool_floor_mode_and_pads(tmp_path):
    b = Builder((1, 3, 14, 14))
    x = b.unary("Relu", b.conv("data", "c1", 4, 1), "r1")
    x = b.unary("MaxPool", x, "p1", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    x = b.unary("MaxPool", x, "p2", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=0)
    graph, _ = _check_against_ort(tmp_path, b.model(x, 12), (1, 3, 14, 14))
    assert graph.shape("p1") == (7, 7, 4) and graph.shape("p2") == (3, 3, 4)
    assert not graph.layer("p2").ceil_mode and graph.layer("p1").pad == 1


def test_unnamed_and_duplicate_node_names(tmp_path):
    b = Builder((1, 3, 8, 8))
    x = b.conv("data", "c1", 4, 1)
    b.nodes[-1].name = ""  # unnamed: the output name is used
    y = b.node("Conv", [x, b.init("w2", np.ones((4, 4, 1, 1), np.float32))], "c/2",
               outputs=["t2"])
    z = b.node("Conv", [y, b.init("w3", np.ones((4, 4, 1, 1), np.float32))], "c/2",
               outputs=["t3"])
    graph, weights = load_onnx(save(b.model(z, 13), tmp_path / "m.onnx"))
    assert [lay.name for lay in graph.layers] == ["c1", "c_2", "c_2_2"]
    np.testing.assert_array_equal(weights["c_2.bias"], np.zeros(4, np.float32))


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_info_json(cli, tmp_path):
    path = save(squeezenet1_1_zoo_layout(224, 13), tmp_path / "zoo_squeezenet.onnx")
    code, out, err = cli("info", "--model", str(path), "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["model"] == "zoo_squeezenet" and info["input_shape"] == [224, 224, 3]
    assert (info["params"], info["macs"]) == (1_235_496, 349_151_936)
    assert len(info["layers"]) == len(zoo.squeezenet1_1().layers)
    assert info["layers"][-1]["op"] == "avgpool"


def test_cli_errors_are_one_line(cli, tmp_path):
    b = Builder((1, 3, 8, 8))
    x = b.unary("Sigmoid", b.conv("data", "c1", 4, 1), "sig")
    path = save(b.model(x, 13), tmp_path / "bad.onnx")
    code, out, err = cli("info", "--model", str(path))
    assert code == 2 and out == ""
    assert err.startswith("fpgagen: error: ONNX node 'sig' (Sigmoid) is not supported")
    assert err.count("\n") == 1
    code, _, err = cli("info", "--model", str(path), "--input-size", "32")
    assert code == 2 and "--input-size does not apply" in err
