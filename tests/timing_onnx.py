"""A tiny network with one of every engine mechanism the cycle estimate models
(fpgagen/plan/cycles.py), for tests/test_rtl_cycles.py:

    3x16x16 -> conv 3x3 16 + ReLU -> max-pool 3x3/2 (fused, conv on the image: S_FZ)
            -> conv 1x1 32 + ReLU (one input word: write-port bound when P_OUT > P_IN)
            -> conv 3x3 24 + ReLU -> max-pool 2x2/2 (fused, conv on the arena: S_ALT)
            -> conv 1x1 24 -> add (the pool's output, bypass) + ReLU -> max-pool 2x2/2
            -> conv 1x1 10 + ReLU -> GlobalAveragePool -> Flatten
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onnx_models import Builder, save

SIZE = 16
CLASSES = 10


def timing_net(seed: int = 0, opset: int = 13) -> Any:
    """The model above with seeded random weights (an ``onnx.ModelProto``)."""
    b = Builder((1, 3, SIZE, SIZE), seed=seed)
    x = b.unary("Relu", b.conv("data", "conv1", 16, 3, pad=1), "relu1")
    x = b.maxpool(x, "pool1", opset)
    x = b.unary("Relu", b.conv(x, "conv2", 32, 1), "relu2")
    x = b.unary("Relu", b.conv(x, "conv3", 24, 3, pad=1), "relu3")
    p = b.maxpool(x, "pool2", opset, k=2, stride=2)
    y = b.conv(p, "conv4", 24, 1)
    x = b.unary("Relu", b.node("Add", [p, y], "add4"), "relu4")
    b.channels["add4"] = 24
    b.channels["relu4"] = 24
    x = b.maxpool(x, "pool3", opset, k=2, stride=2)
    x = b.unary("Relu", b.conv(x, "conv10", CLASSES, 1), "relu10")
    x = b.unary("GlobalAveragePool", x, "gap")
    out = b.node("Flatten", [x], "flatten", outputs=["logits"])
    return b.model(out, opset, [1, CLASSES], name="timing")


def write_timing_onnx(path: Path, seed: int = 0) -> Path:
    """Write the model to ``path`` (e.g. ``timing.onnx``) and return it."""
    return save(timing_net(seed), Path(path))
