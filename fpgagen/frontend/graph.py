"""The layer-graph IR: immutable layers, named tensors, HWC shapes, params and MACs.

Every layer produces exactly one tensor, named after the layer; the network input is the tensor
``"input"``. `make_graph` is the only way to build a `Graph`: it checks the layers, sorts them
topologically and infers every shape, so a `Graph` that exists is a valid one and later stages
(quantizer, planner, code generators) never re-check structure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fpgagen.errors import FpgagenError
from fpgagen.util.arith import ceil_div

Shape = tuple[int, int, int]  # (H, W, C)

INPUT = "input"
OPS = ("conv", "maxpool", "avgpool", "concat", "add")


@dataclass(frozen=True)
class Layer:
    """One layer. Fields that do not apply to an op keep their defaults.

    conv: ``kernel``, ``stride``, ``pad`` (symmetric), ``out_channels``, ``groups``, ``relu``
    (ReLU fused into the conv's output). maxpool: ``kernel``, ``stride``, ``pad``, ``ceil_mode``
    (Caffe semantics: windows may overhang the bottom/right edge). avgpool: global average over
    H x W. concat: channel concatenation in input order. add: element-wise sum (bypass), with
    optional ``relu``.

    ``clip_lo``/``clip_hi`` (conv, add): a clamp of the output to [clip_lo, clip_hi] after the
    ReLU (ONNX Clip, PyTorch ReLU6 = ``relu`` with ``clip_hi`` 6); None is an open side. The
    quantizer turns the bounds into integers at the output's scale (`fpgagen.quant.fixed`).
    """

    name: str
    op: str
    inputs: tuple[str, ...]
    kernel: int = 1
    stride: int = 1
    pad: int = 0
    out_channels: int = 0
    groups: int = 1
    relu: bool = False
    ceil_mode: bool = False
    clip_lo: float | None = None
    clip_hi: float | None = None

    @property
    def clipped(self) -> bool:
        """Whether the output is clamped to constant bounds (a fused Clip / ReLU6)."""
        return self.clip_lo is not None or self.clip_hi is not None


def conv(name: str, src: str, out_channels: int, kernel: int, stride: int = 1, pad: int = 0,
         relu: bool = True, groups: int = 1, clip_lo: float | None = None,
         clip_hi: float | None = None) -> Layer:
    """A convolution layer (ReLU fused by default, as in every zoo model; ReLU6 is
    ``clip_hi=6``)."""
    return Layer(name, "conv", (src,), kernel=kernel, stride=stride, pad=pad,
                 out_channels=out_channels, groups=groups, relu=relu, clip_lo=clip_lo,
                 clip_hi=clip_hi)


def maxpool(name: str, src: str, kernel: int = 3, stride: int = 2, pad: int = 0,
            ceil_mode: bool = True) -> Layer:
    """A max-pool layer; SqueezeNet's pools are 3x3 stride 2 in ceil mode."""
    return Layer(name, "maxpool", (src,), kernel=kernel, stride=stride, pad=pad,
                 ceil_mode=ceil_mode)


def avgpool(name: str, src: str) -> Layer:
    """A global average pool over the whole feature map."""
    return Layer(name, "avgpool", (src,))


def concat(name: str, *srcs: str) -> Layer:
    """A channel concatenation."""
    return Layer(name, "concat", tuple(srcs))


def add(name: str, a: str, b: str, relu: bool = False) -> Layer:
    """An element-wise add (the SqueezeNet simple bypass)."""
    return Layer(name, "add", (a, b), relu=relu)


def conv_out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """Output length of a convolution along one axis (floor mode)."""
    return (size + 2 * pad - kernel) // stride + 1


def pool_out_size(size: int, kernel: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """Output length of a pool along one axis, Caffe/PyTorch rules.

    In ceil mode the last window may overhang the edge, but it must start inside the input
    (or its left padding); otherwise it is dropped, as both Caffe and PyTorch do.
    """
    span = size + 2 * pad - kernel
    out = (ceil_div(span, stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@dataclass(frozen=True)
class Graph:
    """A validated, topologically sorted network with every tensor's HWC shape."""

    name: str
    input_shape: Shape
    layers: tuple[Layer, ...]
    shapes: Mapping[str, Shape] = field(repr=False)
    output: str

    def layer(self, name: str) -> Layer:
        for lay in self.layers:
            if lay.name == name:
                return lay
        raise KeyError(name)

    def shape(self, tensor: str) -> Shape:
        return self.shapes[tensor]

    def in_shape(self, layer: Layer) -> Shape:
        """Shape of a layer's first input (the only one for conv and pools)."""
        return self.shapes[layer.inputs[0]]

    def consumers(self, tensor: str) -> tuple[Layer, ...]:
        return tuple(lay for lay in self.layers if tensor in lay.inputs)

    def weight_shape(self, layer: Layer) -> tuple[int, int, int, int] | None:
        """Conv weight shape in HWIO (kh, kw, cin/groups, cout); None for other ops."""
        if layer.op != "conv":
            return None
        cin = self.in_shape(layer)[2]
        return (layer.kernel, layer.kernel, cin // layer.groups, layer.out_channels)

    def params(self, layer: Layer) -> int:
        """Weights plus biases of a layer (only convs have any)."""
        ws = self.weight_shape(layer)
        return 0 if ws is None else math.prod(ws) + layer.out_channels

    def macs(self, layer: Layer) -> int:
        """Multiply-accumulates of a layer; only convs count (pools and adds are not MACs)."""
        ws = self.weight_shape(layer)
        if ws is None:
            return 0
        h, w, _ = self.shapes[layer.name]
        return h * w * math.prod(ws)

    @property
    def total_params(self) -> int:
        return sum(self.params(lay) for lay in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(self.macs(lay) for lay in self.layers)


def _infer_shape(layer: Layer, shapes: Mapping[str, Shape]) -> Shape:
    ins = [shapes[t] for t in layer.inputs]
    where = f"layer {layer.name!r} ({layer.op})"
    _check_clip(layer, where)
    if layer.op in ("conv", "maxpool", "avgpool") and len(ins) != 1:
        raise FpgagenError(f"{where} takes one input, got {len(ins)}")
    if layer.op in ("conv", "maxpool"):
        h, w, c = ins[0]
        if layer.kernel < 1 or layer.stride < 1 or layer.pad < 0:
            raise FpgagenError(f"{where}: kernel and stride must be >= 1 and pad >= 0")
        if layer.kernel > min(h, w) + 2 * layer.pad:
            raise FpgagenError(f"{where}: kernel {layer.kernel} larger than padded input "
                               f"{h + 2 * layer.pad}x{w + 2 * layer.pad}")
        if layer.op == "conv":
            if layer.out_channels < 1:
                raise FpgagenError(f"{where}: out_channels must be >= 1")
            if layer.groups < 1 or c % layer.groups or layer.out_channels % layer.groups:
                raise FpgagenError(f"{where}: groups={layer.groups} must divide input channels "
                                   f"{c} and output channels {layer.out_channels}")
            return (conv_out_size(h, layer.kernel, layer.stride, layer.pad),
                    conv_out_size(w, layer.kernel, layer.stride, layer.pad), layer.out_channels)
        if layer.pad >= layer.kernel:
            raise FpgagenError(f"{where}: pad {layer.pad} must be smaller than kernel")
        return (pool_out_size(h, layer.kernel, layer.stride, layer.pad, layer.ceil_mode),
                pool_out_size(w, layer.kernel, layer.stride, layer.pad, layer.ceil_mode), c)
    if layer.op == "avgpool":
        return (1, 1, ins[0][2])
    if layer.op == "concat":
        if len(ins) < 2:
            raise FpgagenError(f"{where} needs at least two inputs")
        if len({s[:2] for s in ins}) != 1:
            got = ", ".join(f"{t}={h}x{w}" for t, (h, w, _) in zip(layer.inputs, ins, strict=True))
            raise FpgagenError(f"{where}: shape mismatch, inputs must share HxW ({got})")
        return (ins[0][0], ins[0][1], sum(s[2] for s in ins))
    if layer.op == "add":
        if len(ins) != 2:
            raise FpgagenError(f"{where} takes two inputs, got {len(ins)}")
        if ins[0] != ins[1]:
            raise FpgagenError(f"{where}: shape mismatch, {layer.inputs[0]}="
                               f"{'x'.join(map(str, ins[0]))} vs {layer.inputs[1]}="
                               f"{'x'.join(map(str, ins[1]))}")
        return ins[0]
    raise AssertionError(layer.op)  # unreachable: ops are checked before inference


def _check_clip(layer: Layer, where: str) -> None:
    """Only convs and adds clamp (the units that requantize a computed sum); bounds must be
    finite and ordered (an empty interval has no meaning to clamp to)."""
    if layer.clipped and layer.op not in ("conv", "add"):
        raise FpgagenError(f"{where}: only a conv or an add may clamp its output (clip_lo, "
                           "clip_hi)")
    lo, hi = layer.clip_lo, layer.clip_hi
    for v in (lo, hi):
        if v is not None and not math.isfinite(v):
            raise FpgagenError(f"{where}: clip bound {v} is not finite (use None for an open "
                               "side)")
    if lo is not None and hi is not None and lo > hi:
        raise FpgagenError(f"{where}: clip bounds [{lo}, {hi}] are empty (min > max)")


def _toposort(layers: list[Layer]) -> list[Layer]:
    """Kahn's algorithm, stable: among ready layers, the one listed first goes first."""
    producers = {lay.name for lay in layers}
    pending = {lay.name: {t for t in lay.inputs if t in producers} for lay in layers}
    order: list[Layer] = []
    done: set[str] = set()
    while len(order) < len(layers):
        ready = [lay for lay in layers if lay.name not in done and pending[lay.name] <= done]
        if not ready:
            stuck = sorted(n for n in pending if n not in done)
            raise FpgagenError(f"graph has a cycle through layers {', '.join(stuck)}")
        order.append(ready[0])
        done.add(ready[0].name)
    return order


def make_graph(name: str, input_shape: Iterable[int], layers: Iterable[Layer],
               output: str | None = None) -> Graph:
    """Validate layers, sort them topologically and infer shapes; the one constructor of Graph.

    ``output`` defaults to the last layer listed. Errors name the layer and the problem:
    duplicate names, unknown ops, dangling tensors (read but never produced, or produced but
    never read), shape mismatches at concat/add, kernels larger than the padded input, cycles.
    """
    shape_in = tuple(int(v) for v in input_shape)
    if len(shape_in) != 3 or min(shape_in) < 1:
        raise FpgagenError(f"input shape must be three positive sizes HxWxC, got {shape_in}")
    layer_list = list(layers)
    if not layer_list:
        raise FpgagenError(f"model {name!r} has no layers")
    seen: set[str] = set()
    for lay in layer_list:
        if lay.op not in OPS:
            raise FpgagenError(f"layer {lay.name!r}: unknown op {lay.op!r} "
                               f"(supported: {', '.join(OPS)})")
        if lay.name == INPUT or lay.name in seen:
            raise FpgagenError(f"layer name {lay.name!r} is used twice")
        seen.add(lay.name)
    for lay in layer_list:
        for t in lay.inputs:
            if t != INPUT and t not in seen:
                raise FpgagenError(f"layer {lay.name!r} reads tensor {t!r}, "
                                   "which no layer produces")
    out = output if output is not None else layer_list[-1].name
    if out not in seen:
        raise FpgagenError(f"output tensor {out!r} is not produced by any layer")
    read = {t for lay in layer_list for t in lay.inputs}
    if INPUT not in read:
        raise FpgagenError("no layer reads the input tensor")
    for lay in layer_list:
        if lay.name != out and lay.name not in read:
            raise FpgagenError(f"tensor {lay.name!r} is dangling: produced but never read "
                               f"(the output is {out!r})")
    ordered = _toposort(layer_list)
    shapes: dict[str, Shape] = {INPUT: shape_in}  # type: ignore[dict-item]
    for lay in ordered:
        shapes[lay.name] = _infer_shape(lay, shapes)
    return Graph(name, shape_in, tuple(ordered), MappingProxyType(shapes), out)  # type: ignore[arg-type]


def graph_to_dict(graph: Graph) -> dict[str, object]:
    """A graph as plain JSON values: its name, input shape, output and every layer's fields
    (`graph_from_dict` makes the same graph again)."""
    return {"name": graph.name, "input_shape": list(graph.input_shape), "output": graph.output,
            "layers": [{f: (list(v) if isinstance(v, tuple) else v)
                        for f, v in vars(lay).items()
                        if not (f in _OPTIONAL and v is None)} for lay in graph.layers]}


# fields a record leaves out when unset, so graphs without them keep their old records
_OPTIONAL = ("clip_lo", "clip_hi")


def graph_from_dict(d: Mapping[str, object]) -> Graph:
    """The graph `graph_to_dict` wrote (validated again by `make_graph`)."""
    try:
        layers = [Layer(**{**lay, "inputs": tuple(lay["inputs"])})  # type: ignore[arg-type]
                  for lay in d["layers"]]  # type: ignore[union-attr]
        return make_graph(str(d["name"]), d["input_shape"], layers,  # type: ignore[arg-type]
                          str(d["output"]))
    except (KeyError, TypeError) as exc:
        raise FpgagenError(f"a graph record with a bad field: {exc!r}") from None
