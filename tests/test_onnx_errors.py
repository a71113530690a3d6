"""Every refusal of the ONNX frontend is one line naming the node, its op and what is supported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import pytest
from onnx_models import Builder, save

from fpgagen.errors import FpgagenError
from fpgagen.frontend.onnx_import import load_onnx


def _load_error(model: Any, tmp_path) -> str:
    with pytest.raises(FpgagenError) as info:
        load_onnx(save(model, tmp_path / "m.onnx"))
    message = str(info.value)
    assert "\n" not in message
    return message


def _net(shape=(1, 3, 16, 16)) -> tuple[Builder, str]:
    b = Builder(shape)
    return b, b.unary("Relu", b.conv("data", "c1", 8, 3, pad=1), "r1")


def _unsupported_op() -> Any:
    b, x = _net()
    return b.model(b.unary("LeakyRelu", x, "leaky", alpha=0.1), 13)


def _grouped_conv() -> Any:
    b, x = _net()
    return b.model(b.conv(x, "dw", 8, 3, pad=1, group=8), 13)


def _asymmetric_pads() -> Any:
    b, _ = _net()
    return b.model(b.conv("data", "asym", 4, 3, pads=[0, 0, 1, 1]), 13)


def _same_upper_unmappable() -> Any:
    b = Builder((1, 3, 16, 16))  # SAME_UPPER, stride 2, even size: pads 0 top/left, 1 bottom
    return b.model(b.conv("data", "same", 4, 3, stride=2, auto_pad="SAME_UPPER"), 13)


def _non_square_kernel() -> Any:
    b = Builder((1, 3, 16, 16))
    b.init("w", np.ones((4, 3, 3, 1), np.float32))
    return b.model(b.node("Conv", ["data", "w"], "rect", kernel_shape=[3, 1]), 13)


def _dilation() -> Any:
    b = Builder((1, 3, 16, 16))
    return b.model(b.conv("data", "dil", 4, 3, dilations=[2, 2]), 13)


def _dynamic_input() -> Any:
    b = Builder(["N", 3, 16, 16])
    return b.model(b.conv("data", "c1", 4, 3), 13)


def _batched_input() -> Any:
    b = Builder((2, 3, 16, 16))
    return b.model(b.conv("data", "c1", 4, 3), 13)


def _bn_not_after_conv() -> Any:
    b, x = _net()
    return b.model(b.batchnorm(x, "bn", 13), 13)


def _relu_on_shared_conv() -> Any:
    b = Builder((1, 3, 16, 16))
    c = b.conv("data", "c1", 8, 3, pad=1)
    r = b.unary("Relu", c, "r1")
    out = b.node("Add", [c, r], "sum")
    return b.model(out, 13)


def _flatten_mid_network() -> Any:
    """A Softmax mid-network (a Flatten of the 1x1 map before it is removed, not a tail op)."""
    b, x = _net()
    f = b.unary("Flatten", b.unary("GlobalAveragePool", x, "gap"), "flat")
    return b.model(b.unary("Relu", b.unary("Softmax", f, "soft"), "after"), 13,
                   out_shape=[1, None])


def _flatten_spatial_map() -> Any:
    b, x = _net()
    return b.model(b.unary("Flatten", x, "flat"), 13, out_shape=[1, None])


def _concat_axis() -> Any:
    b, x = _net()
    return b.model(b.concat([x, x], "cat", axis=2), 13)


def _partial_avgpool() -> Any:
    b, x = _net()
    return b.model(b.unary("AveragePool", x, "avg", kernel_shape=[2, 2], strides=[2, 2]), 13)


def _add_constant() -> Any:
    b, x = _net()
    bias = b.init("shift", np.ones((1, 8, 1, 1), np.float32))
    return b.model(b.node("Add", [x, bias], "plus"), 13)


def _dropout_training() -> Any:
    b, x = _net()
    ratio = b.init("ratio", np.array(0.5, np.float32))
    mode = b.init("mode", np.array(True))
    d = b.unary("Dropout", x, "drop", inputs=[x, ratio, mode])
    return b.model(b.conv(d, "c2", 4, 1), 13)


def _opset_too_old() -> Any:
    b = Builder((1, 3, 16, 16))
    return b.model(b.conv("data", "c1", 4, 3), 6)


def _opset_too_new() -> Any:
    b = Builder((1, 3, 16, 16))
    return b.model(b.conv("data", "c1", 4, 3), 22)


def _two_inputs() -> Any:
    b, x = _net()
    model = b.model(x, 13)
    model.graph.input.append(onnx.helper.make_tensor_value_info(
        "extra", onnx.TensorProto.FLOAT, [1, 3, 16, 16]))
    return model


def _custom_domain() -> Any:
    b, x = _net()
    b.nodes.append(onnx.helper.make_node("FusedConv", [x], ["y"], name="fused",
                                         domain="com.microsoft"))
    model = b.model("y", 13)
    model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    return model


CASES: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    "unsupported op": (_unsupported_op, ("'leaky' (LeakyRelu) is not supported",
                                         "supports Conv (group 1), Relu, MaxPool")),
    "grouped conv": (_grouped_conv, ("'dw' (Conv)", "group=8", "group=1")),
    "asymmetric pads": (_asymmetric_pads, ("'asym' (Conv)", "pads [0, 0, 1, 1]", "symmetric")),
    "SAME_UPPER unmappable": (_same_upper_unmappable, (
        "'same' (Conv)", "auto_pad SAME_UPPER gives pads [0, 0, 1, 1]")),
    "non-square kernel": (_non_square_kernel, ("'rect' (Conv)", "kernel_shape [3, 1]",
                                               "square")),
    "dilation": (_dilation, ("'dil' (Conv)", "dilations [2, 2]", "dilation 1")),
    "dynamic input": (_dynamic_input, ("input 'data'", "dynamic shape Nx3x16x16",
                                       "fixed 1xCxHxW")),
    "batched input": (_batched_input, ("input 'data'", "batched (2x3x16x16)", "batch 1")),
    "BN not after conv": (_bn_not_after_conv, ("'bn' (BatchNormalization)",
                                               "only directly after a Conv")),
    "ReLU on shared conv": (_relu_on_shared_conv, ("'r1' (Relu)", "sole consumer")),
    "Flatten mid-network": (_flatten_mid_network, ("'after' (Relu)", "tail")),
    "Flatten of a map": (_flatten_spatial_map, ("'flat' (Flatten)", "8x16x16",
                                                "only 1x1 maps")),
    "concat axis": (_concat_axis, ("'cat' (Concat)", "axis 2", "channels")),
    "partial AveragePool": (_partial_avgpool, ("'avg' (AveragePool)", "whole map")),
    "add a constant": (_add_constant, ("'plus' (Add)", "'shift' is a constant")),
    "dropout training": (_dropout_training, ("'drop' (Dropout)", "training_mode",
                                             "inference only")),
    "opset 6": (_opset_too_old, ("opset 6", "opsets 7 to 21")),
    "opset 22": (_opset_too_new, ("opset 22", "opsets 7 to 21")),
    "two inputs": (_two_inputs, ("exactly one input", "'extra'")),
    "custom domain": (_custom_domain, ("'fused' (com.microsoft::FusedConv) is not supported",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_refusals_name_node_op_and_support(tmp_path, case):
    build, fragments = CASES[case]
    message = _load_error(build(), tmp_path)
    for fragment in fragments:
        assert fragment in message, message


def test_missing_file(tmp_path):
    with pytest.raises(FpgagenError, match=r"'.*nope\.onnx' does not exist"):
        load_onnx(tmp_path / "nope.onnx")


@pytest.mark.parametrize("content", [b"this is not protobuf \xff\xfe" * 10, b""])
def test_not_onnx(tmp_path, content):
    path = tmp_path / "junk.onnx"
    path.write_bytes(content)
    with pytest.raises(FpgagenError, match="is not an ONNX model"):
        load_onnx(path)


def test_external_data(tmp_path):
    """Weights in a side file load when it is there, and name the file when it is missing."""
    b, x = _net()
    model = b.model(x, 13)
    path = tmp_path / "ext.onnx"
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.weights", size_threshold=0)
    _, weights = load_onnx(path)
    assert weights["c1.weight"].shape == (3, 3, 3, 8)
    (tmp_path / "ext.weights").unlink()
    with pytest.raises(FpgagenError, match=r"external data file 'ext.weights', which is missing"):
        load_onnx(path)


def test_invalid_model_fails_checker(tmp_path):
    b, _ = _net()
    b.nodes.append(onnx.helper.make_node("Relu", ["nowhere"], ["y"], name="dangling"))
    message = _load_error(b.model("y", 13), tmp_path)
    assert "is invalid" in message


def test_cli_missing_file(cli, tmp_path):
    code, _, err = cli("info", "--model", str(tmp_path / "missing.onnx"))
    assert code == 2 and err.startswith("fpgagen: error: ONNX model") and "does not exist" in err
