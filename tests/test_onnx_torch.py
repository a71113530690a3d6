"""PyTorch exports (TorchScript exporter, ``dynamo=False``) of SqueezeNet 1.0/1.1 defined in the
tests: the imported graph equals the zoo graph, and the float result equals onnxruntime."""

from __future__ import annotations

import warnings

import numpy as np
import onnx  # noqa: F401  (a missing tool must fail the suite, not skip it)
import onnxruntime  # noqa: F401
import pytest
import torch
from onnx_models import (
    export_torch,
    numpy_forward,
    run_ort,
    structure,
    torch_squeezenet,
)

from fpgagen.frontend import zoo
from fpgagen.frontend.onnx_import import load_onnx

SIZE = 64  # small enough for fast inference, large enough for all three pools
ZOO = {"1_0": zoo.squeezenet1_0, "1_1": zoo.squeezenet1_1}


@pytest.fixture(scope="module", params=["1_0", "1_1"])
def exported(request, tmp_path_factory):
    """(version, path, graph, weights) of a SqueezeNet exported at SIZE x SIZE."""
    version = request.param
    path = export_torch(torch_squeezenet(version), tmp_path_factory.mktemp("torch") /
                        f"squeezenet{version}.onnx", SIZE)
    return version, path, *load_onnx(path)


def _image(seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((1, 3, SIZE, SIZE)).astype(np.float32)


def _rel_err(ours: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(ours.reshape(-1) - ref.reshape(-1)).max() / np.abs(ref).max())


def test_export_equals_zoo(exported):
    version, _, graph, weights = exported
    assert structure(graph) == structure(ZOO[version](SIZE))
    assert graph.total_params == ZOO[version](SIZE).total_params
    assert len(weights) == 2 * sum(lay.op == "conv" for lay in graph.layers)
    names = [lay.name for lay in graph.layers]  # torch scopes, repeated prefixes dropped
    assert names[:3] == ["features_0_Conv", "features_2_MaxPool", "features_3_squeeze_Conv"]
    assert names[-2:] == ["classifier_1_Conv", "classifier_3_GlobalAveragePool"]


def test_export_float_matches_onnxruntime(exported):
    """An independent float64 numpy pass on the imported HWIO weights vs onnxruntime."""
    _, path, graph, weights = exported
    x = _image()
    ort_logits = run_ort(path, x)
    ours = numpy_forward(graph, weights, x[0].transpose(1, 2, 0))[graph.output]
    assert (ort_logits > 0).sum() > 100  # the check is not vacuous (ReLU'd logits)
    assert _rel_err(ours, ort_logits) <= 1e-4


def test_export_reference_matches_onnxruntime(exported):
    """fpgagen's float reference vs onnxruntime, to 1e-4 relative on the logits."""
    from fpgagen.quant import reference
    _, path, graph, weights = exported
    x = _image()
    ours = reference.run(graph, weights, x[0].transpose(1, 2, 0))[graph.output]
    assert _rel_err(ours, run_ort(path, x)) <= 1e-4


def test_export_squeezenet1_0_full_size(tmp_path):
    """SqueezeNet 1.0 at its own 227x227 (structure and the design's figures; no inference)."""
    path = export_torch(torch_squeezenet("1_0"), tmp_path / "sq10.onnx", 227, opset=9)
    graph, _ = load_onnx(path)
    assert structure(graph) == structure(zoo.squeezenet1_0(227))
    assert (graph.total_params, graph.total_macs) == (1_248_424, 832_667_936)


def test_export_with_batchnorm_unfolded(tmp_path):
    """Without constant folding torch keeps BatchNormalization and wraps weights in Identity:
    BN folds into the conv and the result still matches onnxruntime."""
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                        nn.MaxPool2d(3, 2, ceil_mode=True), nn.Conv2d(16, 10, 1, bias=False),
                        nn.BatchNorm2d(10), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
    path = tmp_path / "bn.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(net.eval(), (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False,
                          do_constant_folding=False)
    graph, weights = load_onnx(path)
    assert [(lay.op, lay.relu) for lay in graph.layers] == [
        ("conv", True), ("maxpool", False), ("conv", True), ("avgpool", False)]
    x = np.random.default_rng(5).standard_normal((1, 3, 32, 32)).astype(np.float32)
    ours = numpy_forward(graph, weights, x[0].transpose(1, 2, 0))[graph.output]
    assert _rel_err(ours, run_ort(path, x)) <= 1e-4
