"""The model zoo: SqueezeNet 1.0, 1.1, 1.0 with simple bypass, and ZynqNet, as layer graphs, and
``digits``, a trained fire-module network shipped as an ONNX file (``models/digits.onnx``, made
by ``examples/digits/train.py``).

Each model is a function of the input size. Layer names follow the Caffe release with ``/``
replaced by ``_`` (``fire2_squeeze1x1``, ``fire2_expand3x3``, ``fire2_concat``), so they are
valid file names and match what users know from the original prototxt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fpgagen.errors import FpgagenError, unknown_name
from fpgagen.frontend import graph as g
from fpgagen.frontend.graph import Graph, Layer


def _fire(name: str, src: str, squeeze: int, expand: int, squeeze_kernel: int = 1,
          squeeze_stride: int = 1) -> list[Layer]:
    """A fire module: squeeze conv, then 1x1 and 3x3 expand convs concatenated on channels."""
    sq = f"{name}_squeeze{squeeze_kernel}x{squeeze_kernel}"
    pad = squeeze_kernel // 2
    return [
        g.conv(sq, src, squeeze, squeeze_kernel, squeeze_stride, pad),
        g.conv(f"{name}_expand1x1", sq, expand, 1),
        g.conv(f"{name}_expand3x3", sq, expand, 3, pad=1),
        g.concat(f"{name}_concat", f"{name}_expand1x1", f"{name}_expand3x3"),
    ]


def _tail(src: str, classes: int = 1000, relu: bool = True) -> list[Layer]:
    return [g.conv("conv10", src, classes, 1, relu=relu), g.avgpool("pool10", "conv10")]


def _fire_stack(src: str, stages: list[tuple[str, int, int]], bypass: frozenset[str] = frozenset()
                ) -> tuple[list[Layer], str]:
    """Fire modules and max-pools in order (a stage named ``poolN`` is a pool); a fire named in
    ``bypass`` gets a parameter-free add of its input. Returns the layers and the last tensor."""
    layers: list[Layer] = []
    for name, squeeze, expand in stages:
        if name.startswith("pool"):
            layers.append(g.maxpool(name, src))
            src = name
            continue
        layers += _fire(name, src, squeeze, expand)
        out = f"{name}_concat"
        if name in bypass:
            layers.append(g.add(f"{name}_bypass", src, out))
            out = f"{name}_bypass"
        src = out
    return layers, src


def _squeezenet1_0_layers(bypass: bool) -> list[Layer]:
    fires, last = _fire_stack("pool1", [
        ("fire2", 16, 64), ("fire3", 16, 64), ("fire4", 32, 128), ("pool4", 0, 0),
        ("fire5", 32, 128), ("fire6", 48, 192), ("fire7", 48, 192), ("fire8", 64, 256),
        ("pool8", 0, 0), ("fire9", 64, 256)],
        frozenset({"fire3", "fire5", "fire7", "fire9"}) if bypass else frozenset())
    return [g.conv("conv1", g.INPUT, 96, 7, 2), g.maxpool("pool1", "conv1"), *fires,
            *_tail(last)]


def squeezenet1_0(input_size: int = 227) -> Graph:
    """SqueezeNet 1.0 (Iandola et al. 2016, Table 1): conv1 7x7/2 96ch, pools after conv1,
    fire4 and fire8."""
    return g.make_graph("squeezenet1_0", (input_size, input_size, 3),
                        _squeezenet1_0_layers(bypass=False))


def squeezenet1_0_bypass(input_size: int = 227) -> Graph:
    """SqueezeNet 1.0 with the paper's simple bypass: a parameter-free add around fire3, fire5,
    fire7 and fire9 (the fires whose input and output channel counts match)."""
    return g.make_graph("squeezenet1_0_bypass", (input_size, input_size, 3),
                        _squeezenet1_0_layers(bypass=True))


def squeezenet1_1(input_size: int = 224) -> Graph:
    """SqueezeNet 1.1: conv1 3x3/2 64ch, pools after conv1, fire3 and fire5 (2.4x fewer MACs
    than 1.0 at the same accuracy)."""
    fires, last = _fire_stack("pool1", [
        ("fire2", 16, 64), ("fire3", 16, 64), ("pool3", 0, 0), ("fire4", 32, 128),
        ("fire5", 32, 128), ("pool5", 0, 0), ("fire6", 48, 192), ("fire7", 48, 192),
        ("fire8", 64, 256), ("fire9", 64, 256)])
    layers = [g.conv("conv1", g.INPUT, 64, 3, 2), g.maxpool("pool1", "conv1"), *fires]
    return g.make_graph("squeezenet1_1", (input_size, input_size, 3), layers + _tail(last))


def zynqnet(input_size: int = 256) -> Graph:
    """ZynqNet (Gschwend 2016): all-convolutional SqueezeNet derivative, no max-pools; stride-2
    3x3 squeeze convs downsample, every 3x3 conv pads 1, conv10 has no ReLU."""
    layers = [g.conv("c1", g.INPUT, 64, 3, 2, 1)]
    fires = [("fire2", 16, 64, 3, 2), ("fire3", 16, 64, 1, 1), ("fire4", 32, 128, 3, 2),
             ("fire5", 32, 128, 1, 1), ("fire6", 64, 256, 3, 2), ("fire7", 64, 192, 1, 1),
             ("fire8", 112, 256, 3, 2), ("fire9", 112, 368, 1, 1)]
    src = "c1"
    for name, squeeze, expand, k, s in fires:
        layers += _fire(name, src, squeeze, expand, k, s)
        src = f"{name}_concat"
    return g.make_graph("zynqnet", (input_size, input_size, 3),
                        layers + _tail(src, classes=1024, relu=False))


MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def _trained(file: str, size: int) -> Callable[[int], Graph]:
    """The builder of a trained model shipped as ONNX: its graph, at the size it was trained."""
    def build(input_size: int) -> Graph:
        if input_size != size:
            raise FpgagenError(f"the trained model takes {size}x{size} images only")
        # onnx is imported only when a trained model is asked for (it takes a while)
        from fpgagen.frontend.onnx_import import load_onnx

        return load_onnx(MODELS_DIR / file)[0]
    return build


@dataclass(frozen=True)
class ZooEntry:
    """A zoo model: its builder, default input size and a one-line description; ``onnx``: the
    file under models/ of a trained model (its weights come from there, not --weights)."""

    name: str
    build: Callable[[int], Graph]
    default_input: int
    description: str
    onnx: str | None = None

    @property
    def onnx_path(self) -> Path | None:
        return MODELS_DIR / self.onnx if self.onnx else None


ZOO: dict[str, ZooEntry] = {e.name: e for e in (
    ZooEntry("squeezenet1_0", squeezenet1_0, 227, "SqueezeNet 1.0 (conv1 7x7/2, 96ch)"),
    ZooEntry("squeezenet1_1", squeezenet1_1, 224, "SqueezeNet 1.1 (conv1 3x3/2, 64ch)"),
    ZooEntry("squeezenet1_0_bypass", squeezenet1_0_bypass, 227,
             "SqueezeNet 1.0 + simple bypass (add around fire3/5/7/9)"),
    ZooEntry("zynqnet", zynqnet, 256, "ZynqNet (all-conv, stride-2 squeezes, 1024 classes)"),
    ZooEntry("digits", _trained("digits.onnx", 32), 32,
             "fire-module net trained on the scikit-learn digits (10 classes)",
             onnx="digits.onnx"),
)}
ALIASES = {"squeezenet": "squeezenet1_1"}


def model_names() -> list[str]:
    """Every name `load_model` accepts, canonical names first."""
    return [*ZOO, *ALIASES]


def zoo_entry(name: str) -> ZooEntry:
    """The zoo entry for a name or alias; a one-line error naming the choices otherwise."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in ZOO:
        raise unknown_name("model", name, model_names())
    return ZOO[key]


def load_model(name: str, input_size: int | None = None) -> Graph:
    """Build a zoo model at an input size (its default when None), with clear size errors."""
    entry = zoo_entry(name)
    size = entry.default_input if input_size is None else input_size
    if entry.onnx and size != entry.default_input:
        raise FpgagenError(f"{entry.name} is trained at {entry.default_input}x"
                           f"{entry.default_input}: it takes no other input size")
    if size < 1:
        raise FpgagenError(f"input size must be a positive integer, got {size}")
    try:
        return entry.build(size)
    except FpgagenError as exc:
        raise FpgagenError(f"input size {size} is too small for {entry.name}: {exc}") from None
