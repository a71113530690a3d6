"""Train a graph on the scikit-learn digits with torch, on the CPU, seeded: the weights an
architecture sweep (``explore --train digits``) evaluates.

Any fpgagen `Graph` becomes a torch module layer by layer (conv with batch norm and ReLU, the
max-pools in Caffe's ceil mode, the global average pool, concat, add); after training the batch
norms are folded into the convs, so the weights are plain ``<layer>.weight`` (HWIO) and
``<layer>.bias`` arrays, as every other stage reads them. The recipe is the zoo model's
(examples/digits/train.py): the training split only (fpgagen/frontend/datasets.py), random
shifts of up to 3 pixels, Adam with a one-cycle schedule, batches of 64. One thread and
deterministic algorithms: the same graph, epochs and seed give the same bytes in any process
(a local worker or a Ray worker), so a sweep's results do not depend on where it ran.

torch is needed only here (``pip install torch``); the classifier (the conv feeding the global
average pool) has no batch norm.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph

BATCH = 64
LEARNING_RATE = 1e-2
WEIGHT_DECAY = 1e-4
SHIFT_PX = 3
BN_EPS = 1e-5


def _torch():
    try:
        import torch
    except ImportError:
        raise FpgagenError("--train needs torch (pip install torch; CI uses torch==2.13.0, "
                           "CPU)") from None
    return torch


def trainable(graph: Graph) -> str | None:
    """Why ``graph`` cannot be trained on the digits (None when it can)."""
    if graph.input_shape != (32, 32, 1) or graph.shape(graph.output)[-1] != 10:
        shape = "x".join(map(str, graph.input_shape))
        return (f"{graph.name} takes {shape} images with {graph.shape(graph.output)[-1]} "
                "outputs; the digits need 32x32x1 and 10 (a family spec with data=digits)")
    if any(lay.groups != 1 for lay in graph.layers if lay.op == "conv"):
        return f"{graph.name} has grouped convolutions"
    return None


def _classifiers(graph: Graph) -> set[str]:
    """Convs whose output goes straight to the logits (through the global average pool)."""
    out = graph.layer(graph.output)
    return {out.name} if out.op == "conv" else (
        set(out.inputs) if out.op == "avgpool" else set())


def _module(graph: Graph):
    torch = _torch()
    nn = torch.nn
    f = nn.functional
    plain = _classifiers(graph)

    class GraphNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.convs = nn.ModuleDict()
            self.norms = nn.ModuleDict()
            for lay in graph.layers:
                if lay.op == "conv":
                    cin = graph.in_shape(lay)[2]
                    self.convs[lay.name] = nn.Conv2d(cin, lay.out_channels, lay.kernel,
                                                     lay.stride, lay.pad)
                    if lay.name not in plain:
                        self.norms[lay.name] = nn.BatchNorm2d(lay.out_channels, eps=BN_EPS)

        def forward(self, x):
            t = {INPUT: x}
            for lay in graph.layers:
                a = t[lay.inputs[0]]
                if lay.op == "conv":
                    y = self.convs[lay.name](a)
                    if lay.name in self.norms:
                        y = self.norms[lay.name](y)
                elif lay.op == "maxpool":
                    y = f.max_pool2d(a, lay.kernel, lay.stride, lay.pad, ceil_mode=lay.ceil_mode)
                elif lay.op == "avgpool":
                    y = a.mean(dim=(2, 3), keepdim=True)
                elif lay.op == "concat":
                    y = torch.cat([t[i] for i in lay.inputs], 1)
                else:  # add
                    y = t[lay.inputs[0]] + t[lay.inputs[1]]
                if lay.relu:
                    y = f.relu(y)
                if lay.clipped:
                    y = torch.clamp(y, lay.clip_lo, lay.clip_hi)
                t[lay.name] = y
            return torch.flatten(t[graph.output], 1)

    return GraphNet()


def _shift(torch, x, gen, max_px: int = SHIFT_PX):
    """Random translations by up to ``max_px`` pixels (the background value fills in)."""
    n, _, h, w = x.shape
    pad = torch.nn.functional.pad(x, (max_px,) * 4, value=-1.0)
    dy = torch.randint(0, 2 * max_px + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * max_px + 1, (n,), generator=gen)
    return torch.stack([pad[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def train_digits(graph: Graph, epochs: int, seed: int = 0, limit: int | None = None
                 ) -> dict[str, np.ndarray]:
    """Train ``graph`` on the digits' training split (its first ``limit`` images) for
    ``epochs`` epochs; the folded float32 weights."""
    from fpgagen.frontend.datasets import digits

    problem = trainable(graph)
    if problem:
        raise FpgagenError(f"cannot train on the digits: {problem}")
    torch = _torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        data = digits("train").head(limit)
        x = torch.from_numpy(np.array(data.images.transpose(0, 3, 1, 2), copy=True))
        y = torch.from_numpy(np.array(data.labels, copy=True))
        model = _module(graph)
        opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
        steps = (len(y) + BATCH - 1) // BATCH
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LEARNING_RATE, epochs=epochs,
                                                    steps_per_epoch=steps)
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(y), generator=gen)
            for i in range(0, len(y), BATCH):
                idx = order[i:i + BATCH]
                opt.zero_grad()
                loss = loss_fn(model(_shift(torch, x[idx], gen)), y[idx])
                loss.backward()
                opt.step()
                sched.step()
        model.eval()
        return _folded(graph, model)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _folded(graph: Graph, model) -> dict[str, np.ndarray]:
    """Batch norms folded into their convs; HWIO float32 weights and biases."""
    out: dict[str, np.ndarray] = {}
    for lay in graph.layers:
        if lay.op != "conv":
            continue
        conv = model.convs[lay.name]
        w = conv.weight.detach().double().numpy()
        b = conv.bias.detach().double().numpy()
        if lay.name in model.norms:
            bn = model.norms[lay.name]
            scale = (bn.weight.detach().double().numpy()
                     / np.sqrt(bn.running_var.detach().double().numpy() + bn.eps))
            w = w * scale[:, None, None, None]
            b = (b - bn.running_mean.detach().double().numpy()) * scale \
                + bn.bias.detach().double().numpy()
        out[f"{lay.name}.weight"] = np.ascontiguousarray(
            w.transpose(2, 3, 1, 0)).astype(np.float32)
        out[f"{lay.name}.bias"] = b.astype(np.float32)
    return out


def float_accuracy(graph: Graph, weights: Mapping[str, np.ndarray]) -> float:
    """Top-1 of the float reference on the digits' test split (a quick check of a training)."""
    from fpgagen.frontend.datasets import digits
    from fpgagen.quant import reference

    test = digits("test")
    hits = [int(np.argmax(reference.run(graph, weights, x)[graph.output])) == int(t)
            for x, t in zip(test.images, test.labels, strict=True)]
    return float(np.mean(hits))
