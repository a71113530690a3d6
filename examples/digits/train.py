"""Train the zoo model ``digits``: a small SqueezeNet-style fire-module network on the
scikit-learn digits, exported to ONNX with its class names (fpgagen/models/digits.onnx).

    python examples/digits/train.py [--out fpgagen/models/digits.onnx] [--epochs 15]

The train/test split and the preprocessing (8x8 -> 32x32, scaled to [-1, 1]) come from
``fpgagen.frontend.datasets``, the same code ``fpgagen eval --data digits`` and ``--calib digits``
use; this script only ever sees the training split. Seeded, deterministic algorithms, 2 threads: a
rerun with the same torch writes the same bytes (checked: two runs, one file); 76-127 s on the
project's 2 shared cores (measured), 99.16 % top-1 on the test split.

The network uses only what fpgagen's engine runs: convolutions with fused ReLU (batch norm for
training, folded into the convs when fpgagen imports the file), 2x2 max-pools, fire modules
(squeeze 1x1, expand 1x1 and 3x3 concatenated on channels, each expand a multiple of 16
channels so that concats start at a multiple of the engine's lanes), a 1x1 classifier conv
without ReLU and a global average pool: the logits. The layers get the zoo's Caffe-style names
(conv1, fire2_squeeze1x1, ..., conv10).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fpgagen.frontend.datasets import DIGITS_LABELS, digits

ROOT = Path(__file__).resolve().parents[2]
SEED = 0


def _conv_bn(cin: int, cout: int, k: int) -> nn.Sequential:
    """Conv, batch norm (fpgagen folds it into the conv's weights on import), ReLU."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout),
                         nn.ReLU())


class Fire(nn.Module):
    """SqueezeNet's fire module: squeeze 1x1, then expand 1x1 and 3x3, concatenated."""

    def __init__(self, cin: int, squeeze: int, expand: int) -> None:
        super().__init__()
        self.squeeze = _conv_bn(cin, squeeze, 1)
        self.expand1x1 = _conv_bn(squeeze, expand, 1)
        self.expand3x3 = _conv_bn(squeeze, expand, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(x)
        return torch.cat([self.expand1x1(s), self.expand3x3(s)], 1)


class DigitsNet(nn.Module):
    """32x32x1 -> conv 3x3/2 16 -> pool -> fire(8, 16+16) -> pool -> fire(16, 32+32)
    -> fire(16, 32+32) -> conv 1x1 10 -> global average pool: 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2, 2),
            Fire(16, 8, 16), nn.MaxPool2d(2, 2),
            Fire(32, 16, 32), Fire(64, 16, 32))
        self.classifier = nn.Conv2d(64, len(DIGITS_LABELS), 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.classifier(self.features(x))), 1)


def _shift(x: torch.Tensor, gen: torch.Generator, max_px: int = 3) -> torch.Tensor:
    """Random translations by up to ``max_px`` pixels (the background value fills in)."""
    n, _, h, w = x.shape
    pad = nn.functional.pad(x, (max_px,) * 4, value=-1.0)
    dy = torch.randint(0, 2 * max_px + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * max_px + 1, (n,), generator=gen)
    return torch.stack([pad[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def train(epochs: int, batch: int = 64) -> nn.Module:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)
    data = digits("train")
    x = torch.from_numpy(np.ascontiguousarray(data.images.transpose(0, 3, 1, 2)))
    y = torch.from_numpy(np.asarray(data.labels))
    model = DigitsNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, epochs=epochs,
                                                steps_per_epoch=(len(y) + batch - 1) // batch)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        total = correct = 0
        for i in range(0, len(y), batch):
            idx = order[i:i + batch]
            xb, yb = _shift(x[idx], gen), y[idx]
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            sched.step()
            total += len(idx)
            correct += int((out.argmax(1) == yb).sum())
        print(f"epoch {epoch + 1:3d}: loss {float(loss):.4f}, train top-1 {correct / total:.4f}")
    return model.eval()


# the layers' names in fpgagen (the zoo's Caffe-style names), in the order torch exports them
LAYER_NAMES = ("conv1", "pool1",
               *(f"fire2_{p}" for p in ("squeeze1x1", "expand1x1", "expand3x3", "concat")),
               "pool2",
               *(f"fire{k}_{p}" for k in (3, 4)
                 for p in ("squeeze1x1", "expand1x1", "expand3x3", "concat")),
               "conv10", "pool10")
NAMED_OPS = ("Conv", "MaxPool", "Concat", "GlobalAveragePool")


def export(model: nn.Module, out: Path) -> None:
    """ONNX with the class names and the preprocessing as metadata (what fpgagen reads)."""
    import onnx

    tmp = out.with_suffix(".tmp.onnx")
    with warnings.catch_warnings():  # the TorchScript exporter: a plain opset-13 graph, no
        warnings.simplefilter("ignore", DeprecationWarning)  # dynamic shapes to trace
        torch.onnx.export(model, (torch.zeros(1, 1, 32, 32),), str(tmp), dynamo=False,
                          input_names=["input"], output_names=["logits"], opset_version=13)
    m = onnx.load(str(tmp))
    tmp.unlink()
    named = [n for n in m.graph.node if n.op_type in NAMED_OPS]
    assert len(named) == len(LAYER_NAMES), [n.op_type for n in named]
    for node, name in zip(named, LAYER_NAMES, strict=True):
        node.name = name
    m.graph.name = "digits"
    m.producer_name = "fpgagen examples/digits/train.py"
    for key, value in (("labels", json.dumps(list(DIGITS_LABELS))),
                       ("preprocess", "digits"), ("dataset", "digits")):
        m.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(m)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "fpgagen" / "models" / "digits.onnx")
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    model = train(args.epochs)
    test = digits("test")
    with torch.no_grad():
        xt = torch.from_numpy(np.ascontiguousarray(test.images.transpose(0, 3, 1, 2)))
        acc = float((model(xt).argmax(1).numpy() == test.labels).mean())
    export(model, args.out)
    print(f"test top-1 {acc:.4f} on {len(test)} images; {args.out} "
          f"({args.out.stat().st_size:,} bytes) in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
