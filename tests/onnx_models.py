"""Test helpers for the ONNX frontend: ONNX files built in-process, never downloaded.

- `Builder`: a few lines per layer on top of ``onnx.helper``, for small and broken models.
- `squeezenet1_1_zoo_layout`: SqueezeNet 1.1 laid out like the ONNX model zoo's file (Conv,
  Relu, MaxPool ceil, Concat, ..., Dropout, Conv, Relu, GlobalAveragePool, Flatten, Softmax) at
  any opset from 7 to 21, so attribute-vs-input differences between opsets are exercised.
- `torch_squeezenet`: torchvision's SqueezeNet 1.0/1.1 re-declared here (no torchvision), and
  `export_torch` to write it with the TorchScript exporter.
- `numpy_forward`: an independent float64 forward pass over a fpgagen `Graph`, used to check the
  imported weights (HWIO layout, BN folding) against onnxruntime.
- `structure`: a graph's layers as comparable tuples (names differ between sources).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fpgagen.frontend.graph import INPUT, Graph


class Builder:
    """Accumulates nodes and initializers; each method returns the output tensor name."""

    def __init__(self, input_shape: tuple[int, ...] | list[Any] = (1, 3, 32, 32),
                 input_name: str = "data", seed: int = 0) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.input_name = input_name
        self.input_shape = list(input_shape)
        self.rng = np.random.default_rng(seed)
        self.channels = {input_name: int(input_shape[1]) if isinstance(input_shape[1], int) else 3}

    def init(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, outputs: list[str] | None = None,
             **attrs: Any) -> str:
        outs = outputs or [name]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0]

    def conv(self, src: str, name: str, cout: int, k: int, stride: int = 1, pad: int = 0,
             bias: bool = True, **attrs: Any) -> str:
        cin = self.channels[src] // attrs.get("group", 1)
        scale = np.sqrt(2.0 / (cin * k * k))
        w = self.init(f"{name}_weight",
                      (self.rng.standard_normal((cout, cin, k, k)) * scale).astype(np.float32))
        ins = [src, w]
        if bias:
            ins.append(self.init(f"{name}_bias",
                                 (self.rng.standard_normal(cout) * 0.1).astype(np.float32)))
        attrs.setdefault("kernel_shape", [k, k])
        attrs.setdefault("strides", [stride, stride])
        if "auto_pad" not in attrs:
            attrs.setdefault("pads", [pad] * 4)
        out = self.node("Conv", ins, name, **attrs)
        self.channels[out] = cout
        return out

    def unary(self, op: str, src: str, name: str, inputs: list[str] | None = None,
              **attrs: Any) -> str:
        """A node whose activation input is ``src`` (``inputs`` when it takes constants too)."""
        out = self.node(op, inputs or [src], name, **attrs)
        self.channels[out] = self.channels.get(src, 0)
        return out

    def maxpool(self, src: str, name: str, opset: int, k: int = 3, stride: int = 2) -> str:
        """A Caffe-style ceil-mode pool; before opset 10 (no ceil_mode) as an extra end pad."""
        if opset >= 10:
            return self.unary("MaxPool", src, name, kernel_shape=[k, k], strides=[stride] * 2,
                              ceil_mode=1)
        return self.unary("MaxPool", src, name, kernel_shape=[k, k], strides=[stride] * 2,
                          pads=[0, 0, 1, 1])

    def concat(self, srcs: list[str], name: str, axis: int = 1) -> str:
        out = self.node("Concat", srcs, name, axis=axis)
        self.channels[out] = sum(self.channels[s] for s in srcs)
        return out

    def batchnorm(self, src: str, name: str, opset: int) -> str:
        c = self.channels[src]
        params = [self.init(f"{name}_{p}", v.astype(np.float32)) for p, v in (
            ("gamma", self.rng.uniform(0.5, 1.5, c)), ("beta", self.rng.normal(0, 0.1, c)),
            ("mean", self.rng.normal(0, 0.1, c)), ("var", self.rng.uniform(0.5, 2.0, c)))]
        attrs: dict[str, Any] = {"epsilon": 1e-3}
        if opset < 9:
            attrs["spatial"] = 1
        return self.unary("BatchNormalization", src, name, inputs=[src, *params], **attrs)

    def model(self, output: str, opset: int = 13, out_shape: list[Any] | None = None,
              name: str = "test") -> Any:
        ir = 3 if opset < 8 else 4 if opset < 10 else 7 if opset < 15 else 8
        inputs = [helper.make_tensor_value_info(self.input_name, TensorProto.FLOAT,
                                                self.input_shape)]
        if ir < 4:  # IR 3 lists every initializer as a graph input too
            inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                       for t in self.inits]
        graph = helper.make_graph(
            self.nodes, name, inputs,
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, out_shape or [None] * 4)],
            self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                 ir_version=ir, producer_name="fpgagen-tests")


def fire(b: Builder, src: str, index: int, squeeze: int, expand: int) -> str:
    """A fire module named like the MXNet-converted model-zoo file (squeezenet0_convN_fwd)."""
    n = index * 3 + 1
    s = b.unary("Relu", b.conv(src, f"squeezenet0_conv{n}_fwd", squeeze, 1),
                f"squeezenet0_relu{n}_fwd")
    e1 = b.unary("Relu", b.conv(s, f"squeezenet0_conv{n + 1}_fwd", expand, 1),
                 f"squeezenet0_relu{n + 1}_fwd")
    e3 = b.unary("Relu", b.conv(s, f"squeezenet0_conv{n + 2}_fwd", expand, 3, pad=1),
                 f"squeezenet0_relu{n + 2}_fwd")
    return b.concat([e1, e3], f"squeezenet0_concat{index}")


def squeezenet1_1_zoo_layout(size: int = 224, opset: int = 13, classes: int = 1000,
                             seed: int = 0, tail: str = "flatten") -> Any:
    """SqueezeNet 1.1 as the ONNX model zoo lays it out, with seeded random weights.

    ``tail`` is ``"flatten"`` (Flatten, Softmax) or ``"reshape"`` (Reshape to [1, -1], Softmax);
    the tensor ``"logits"`` is the flattened pre-softmax output, for onnxruntime comparisons.
    Before opset 12 Dropout's ratio is an attribute, from 12 on an input.
    """
    b = Builder((1, 3, size, size), seed=seed)
    x = b.unary("Relu", b.conv("data", "squeezenet0_conv0_fwd", 64, 3, 2),
                "squeezenet0_relu0_fwd")
    x = b.maxpool(x, "squeezenet0_pool0_fwd", opset)
    fires = [(16, 64), (16, 64), None, (32, 128), (32, 128), None,
             (48, 192), (48, 192), (64, 256), (64, 256)]
    index, pool = 0, 1
    for spec in fires:
        if spec is None:
            x = b.maxpool(x, f"squeezenet0_pool{pool}_fwd", opset)
            pool += 1
        else:
            x = fire(b, x, index, *spec)
            index += 1
    if opset >= 12:
        ratio = b.init("dropout_ratio", np.array(0.5, dtype=np.float32))
        x = b.unary("Dropout", x, "squeezenet0_dropout0_fwd", inputs=[x, ratio])
    else:
        x = b.unary("Dropout", x, "squeezenet0_dropout0_fwd", ratio=0.5)
    x = b.unary("Relu", b.conv(x, "squeezenet0_conv25_fwd", classes, 1),
                "squeezenet0_relu25_fwd")
    x = b.unary("GlobalAveragePool", x, "squeezenet0_pool3_fwd")
    if tail == "reshape":
        shape = b.init("flatten_shape", np.array([1, -1], dtype=np.int64))
        x = b.node("Reshape", [x, shape], "squeezenet0_flatten0_reshape0", outputs=["logits"])
    else:
        x = b.node("Flatten", [x], "squeezenet0_flatten0_flatten0", outputs=["logits"])
    out = b.node("Softmax", [x], "squeezenet0_softmax0", outputs=["probabilities"], axis=1)
    return b.model(out, opset, [1, classes], name="squeezenet1_1_zoo")


def with_output(model: Any, tensor: str) -> Any:
    """A copy of a model that also outputs an inner tensor (e.g. the logits before Softmax)."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    copy.graph.output.append(helper.make_tensor_value_info(tensor, TensorProto.FLOAT, None))
    return copy


def save(model: Any, path: Path) -> Path:
    onnx.save(model, str(path))
    return path


def run_ort(model_or_path: Any, x_nchw: np.ndarray, output: str | None = None) -> np.ndarray:
    """Run onnxruntime on one input; returns the named output (default: the first)."""
    import onnxruntime as ort

    data = (model_or_path.SerializeToString() if isinstance(model_or_path, onnx.ModelProto)
            else str(model_or_path))
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    names = [output] if output else None
    return sess.run(names, {sess.get_inputs()[0].name: x_nchw.astype(np.float32)})[0]


# --- an independent float forward pass ---------------------------------------------------------


def _windows(x: np.ndarray, k: int, stride: int, out_h: int, out_w: int):
    for i in range(k):
        for j in range(k):
            yield i, j, x[i:i + stride * (out_h - 1) + 1:stride,
                          j:j + stride * (out_w - 1) + 1:stride, :]


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    k = w.shape[0]
    xp = np.pad(x, ((pad, pad), (pad, pad), (0, 0)))
    oh, ow = (xp.shape[0] - k) // stride + 1, (xp.shape[1] - k) // stride + 1
    out = np.zeros((oh, ow, w.shape[3]))
    for i, j, patch in _windows(xp, k, stride, oh, ow):
        out += patch @ w[i, j].astype(np.float64)
    return out + b


def _maxpool(x: np.ndarray, k: int, stride: int, pad: int, out_hw: tuple[int, ...]) -> np.ndarray:
    oh, ow = out_hw
    extra_h = max((oh - 1) * stride + k - x.shape[0] - pad, 0)
    extra_w = max((ow - 1) * stride + k - x.shape[1] - pad, 0)
    xp = np.pad(x, ((pad, extra_h), (pad, extra_w), (0, 0)), constant_values=-np.inf)
    out = np.full((oh, ow, x.shape[2]), -np.inf)
    for _, _, patch in _windows(xp, k, stride, oh, ow):
        out = np.maximum(out, patch)
    return out


def numpy_forward(graph: Graph, weights: dict[str, np.ndarray], x_hwc: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """Every layer's float64 output (HWC) for one image, straight from the definitions."""
    acts: dict[str, np.ndarray] = {INPUT: x_hwc.astype(np.float64)}
    for lay in graph.layers:
        ins = [acts[t] for t in lay.inputs]
        if lay.op == "conv":
            y = _conv(ins[0], weights[f"{lay.name}.weight"], weights[f"{lay.name}.bias"],
                      lay.stride, lay.pad)
        elif lay.op == "maxpool":
            y = _maxpool(ins[0], lay.kernel, lay.stride, lay.pad, graph.shape(lay.name)[:2])
        elif lay.op == "avgpool":
            y = ins[0].mean(axis=(0, 1), keepdims=True)
        elif lay.op == "concat":
            y = np.concatenate(ins, axis=2)
        else:
            y = ins[0] + ins[1]
        acts[lay.name] = np.maximum(y, 0) if lay.relu else y
    return acts


def structure(graph: Graph) -> list[tuple[Any, ...]]:
    """Layers as (op, kernel, stride, pad, out_channels, groups, relu, ceil, shape, inputs),
    with inputs as topological indices (-1 = the network input), so names do not matter."""
    index = {INPUT: -1} | {lay.name: i for i, lay in enumerate(graph.layers)}
    return [(lay.op, lay.kernel, lay.stride, lay.pad, lay.out_channels, lay.groups, lay.relu,
             lay.ceil_mode, graph.shape(lay.name), tuple(index[t] for t in lay.inputs))
            for lay in graph.layers]


# --- PyTorch SqueezeNet (torchvision's definition, re-declared) ---------------------------------


def torch_squeezenet(version: str, num_classes: int = 1000, seed: int = 0) -> Any:
    """torchvision's SqueezeNet ``"1_0"`` or ``"1_1"`` with torchvision's init, biases made
    non-zero (so the bias path is exercised), in eval mode."""
    import torch
    from torch import nn

    class Fire(nn.Module):
        def __init__(self, inplanes: int, squeeze: int, e1: int, e3: int) -> None:
            super().__init__()
            self.squeeze = nn.Conv2d(inplanes, squeeze, kernel_size=1)
            self.squeeze_activation = nn.ReLU(inplace=True)
            self.expand1x1 = nn.Conv2d(squeeze, e1, kernel_size=1)
            self.expand1x1_activation = nn.ReLU(inplace=True)
            self.expand3x3 = nn.Conv2d(squeeze, e3, kernel_size=3, padding=1)
            self.expand3x3_activation = nn.ReLU(inplace=True)

        def forward(self, x: Any) -> Any:
            x = self.squeeze_activation(self.squeeze(x))
            return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                              self.expand3x3_activation(self.expand3x3(x))], 1)

    class SqueezeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)  # noqa: E731
            if version == "1_0":
                self.features = nn.Sequential(
                    nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
                    Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128),
                    pool(), Fire(256, 32, 128, 128), Fire(256, 48, 192, 192),
                    Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), pool(),
                    Fire(512, 64, 256, 256))
            else:
                self.features = nn.Sequential(
                    nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), pool(),
                    Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                    Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                    Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                    Fire(384, 64, 256, 256), Fire(512, 64, 256, 256))
            final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
            self.classifier = nn.Sequential(nn.Dropout(p=0.5), final_conv, nn.ReLU(inplace=True),
                                            nn.AdaptiveAvgPool2d((1, 1)))
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    if m is final_conv:
                        nn.init.normal_(m.weight, mean=0.0, std=0.01)
                    else:
                        nn.init.kaiming_uniform_(m.weight)
                    nn.init.uniform_(m.bias, -0.1, 0.1)

        def forward(self, x: Any) -> Any:
            return torch.flatten(self.classifier(self.features(x)), 1)

    torch.manual_seed(seed)
    return SqueezeNet().eval()


def export_torch(module: Any, path: Path, size: int, opset: int | None = None) -> Path:
    """Export with the TorchScript exporter (``dynamo=False``), a fixed 1x3xSxS input."""
    import warnings

    import torch

    kwargs = {} if opset is None else {"opset_version": opset}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(module, (torch.zeros(1, 3, size, size),), str(path), dynamo=False,
                          input_names=["input"], output_names=["logits"], **kwargs)
    return path
