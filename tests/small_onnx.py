"""A tiny SqueezeNet-style ONNX model whose 8x8-engine build fits a Lattice ECP5-85F.

The ECP5 Fmax (``fpgagen synth --ecp5``, ``bench/bench_fmax.py``, tests/test_synth.py) needs a
design that places on an LFE5U-85F: 208 DP16KD of 18 Kbit (~468 KB raw, less after the 512-bit
weight word is split into 36-bit columns) and 156 multipliers. This net is SqueezeNet 1.1 in
miniature, so the engine runs every op it has on the real model:

    3x32x32 -> conv 3x3/2 16 + ReLU -> max-pool 3x3/2 (fused) -> fire(8, 16+16) -> fire(8, 16+16)
            -> max-pool 3x3/2 -> conv 1x1 10 + ReLU -> GlobalAveragePool -> Flatten

about 8 K parameters: weights + activations are a few KB, far below the part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onnx_models import Builder, fire, save

SIZE = 32
CLASSES = 10


def small_fire_net(seed: int = 0, opset: int = 13) -> Any:
    """The model above with seeded random weights (an ``onnx.ModelProto``)."""
    b = Builder((1, 3, SIZE, SIZE), seed=seed)
    x = b.unary("Relu", b.conv("data", "conv1", 16, 3, stride=2), "relu1")
    x = b.maxpool(x, "pool1", opset)
    x = fire(b, x, 0, 8, 16)
    x = fire(b, x, 1, 8, 16)
    x = b.maxpool(x, "pool2", opset)
    x = b.unary("Relu", b.conv(x, "conv10", CLASSES, 1), "relu10")
    x = b.unary("GlobalAveragePool", x, "gap")
    out = b.node("Flatten", [x], "flatten", outputs=["logits"])
    return b.model(out, opset, [1, CLASSES], name="small_fire")


def write_small_onnx(path: Path, seed: int = 0) -> Path:
    """Write the model to ``path`` (e.g. ``small.onnx``) and return it."""
    return save(small_fire_net(seed), Path(path))
