"""End to end: a PyTorch SqueezeNet exported to ONNX builds with fpgagen and
its HLS C++ is bit-exact in C-simulation."""

from __future__ import annotations

import json

import pytest
import torch  # noqa: F401  (a missing tool must fail the suite, not skip it)
from onnx_models import export_torch, torch_squeezenet


@pytest.mark.slow
def test_exported_squeezenet_builds_and_is_bit_exact(tmp_path, cli):
    model = export_torch(torch_squeezenet("1_1", seed=1), tmp_path / "sq11.onnx", 224)
    out = tmp_path / "build"
    code, _, err = cli("build", "--model", str(model), "--board", "zynq", "-q", "-o", str(out))
    assert code == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["params"] == 1_235_496 and report["macs"] == 349_151_936
    code, text, _ = cli("verify", str(out), "--csim", "-q", "--json")
    assert code == 0, text
    assert json.loads(text)["csim"]["tensors_compared"] == 38


def test_onnx_rejects_zoo_only_options(tmp_path, cli):
    model = export_torch(torch_squeezenet("1_1", seed=1), tmp_path / "sq11.onnx", 64)
    code, _, err = cli("build", "--model", str(model), "--weights", "w.npz", "-q",
                       "-o", str(tmp_path / "b"))
    assert code == 2 and "--weights does not apply" in err
