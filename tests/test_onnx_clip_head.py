"""Issue 28 item 2: ONNX Clip (ReLU6, Hardtanh, other constant bounds) as a clamp in the
requantizer, and the classifier head GlobalAveragePool -> Flatten -> Gemm/MatMul(+Add) as a 1x1
conv on a 1x1 map. Tiny PyTorch exports (16x16) are checked against onnxruntime (float
reference) and, in the slow tests, golden = C-sim and golden = RTL bit-exact; the bad-input
rules are one line naming the node, exit 2 on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime  # noqa: F401  (a missing tool must fail the suite, not skip it)
import pytest
import torch
from onnx_models import Builder, export_torch, run_ort, save
from torch import nn

from fpgagen.errors import FpgagenError
from fpgagen.frontend.onnx_import import load_onnx
from fpgagen.quant import golden, reference
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, quantize

SIZE = 16
ORT_RTOL = 1e-4


def relu6_net() -> nn.Module:
    """Convs with BatchNorm and ReLU6 (MobileNet's blocks without the depthwise part) and the
    PyTorch head AdaptiveAvgPool2d(1) -> flatten -> Linear. The first conv's weights are
    scaled up so that its ReLU6 clamps many values at 6."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU6(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU6(),
        nn.Conv2d(16, 16, 1), nn.ReLU6(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    with torch.no_grad():
        net[0].weight.mul_(6.0)
        net[3].weight.mul_(3.0)
        net[1].running_var.uniform_(0.5, 2.0)
        net[1].running_mean.uniform_(-0.2, 0.2)
    return net.eval()


def hardtanh_net() -> nn.Module:
    """Clip(-1, 1) after a conv (Hardtanh), Clip(0, 3) (Hardtanh(0, 3)), and a two-layer
    head: Linear -> ReLU -> Linear on the pooled 1x1 map."""
    torch.manual_seed(1)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.Hardtanh(),
        nn.Conv2d(8, 8, 3, padding=1), nn.Hardtanh(0.0, 3.0),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 12), nn.ReLU(), nn.Linear(12, 5))
    with torch.no_grad():
        net[2].weight.mul_(4.0)
    return net.eval()


NETS = {"relu6": relu6_net, "hardtanh": hardtanh_net}


def _image(seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((1, 3, SIZE, SIZE)).astype(np.float32)


def _rel_err(ours: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(ours.reshape(-1) - ref.reshape(-1)).max() / np.abs(ref).max())


@pytest.fixture(scope="module", params=[(n, o) for n in NETS for o in (9, 13)],
                ids=lambda p: f"{p[0]}-opset{p[1]}")
def exported(request, tmp_path_factory) -> tuple[str, Path]:
    """(net name, path): opset 9 carries Clip's bounds as attributes, 13 as inputs."""
    name, opset = request.param
    path = tmp_path_factory.mktemp("clip") / f"{name}{opset}.onnx"
    return name, export_torch(NETS[name](), path, SIZE, opset=opset)


def test_structure(exported):
    name, path = exported
    graph, weights = load_onnx(path)
    got = [(lay.op, lay.relu, lay.clip_lo, lay.clip_hi, graph.shape(lay.name))
           for lay in graph.layers]
    if name == "relu6":
        assert got == [("conv", True, 0.0, 6.0, (16, 16, 8)), ("conv", True, 0.0, 6.0, (8, 8, 16)),
                       ("conv", True, 0.0, 6.0, (8, 8, 16)), ("avgpool", False, None, None,
                                                              (1, 1, 16)),
                       ("conv", False, None, None, (1, 1, 10))]
    else:
        assert got == [("conv", False, -1.0, 1.0, (16, 16, 8)), ("conv", True, 0.0, 3.0,
                                                                 (16, 16, 8)),
                       ("avgpool", False, None, None, (1, 1, 8)),
                       ("conv", True, None, None, (1, 1, 12)),
                       ("conv", False, None, None, (1, 1, 5))]
    head = graph.layer(graph.output)
    assert head.kernel == 1 and weights[f"{head.name}.weight"].shape[:2] == (1, 1)


def test_reference_matches_onnxruntime(exported):
    """fpgagen's float reference vs onnxruntime on the logits, and the clamps bind."""
    name, path = exported
    graph, weights = load_onnx(path)
    for seed in (3, 4):
        x = _image(seed)
        vals = reference.run(graph, weights, x[0].transpose(1, 2, 0))
        assert _rel_err(vals[graph.output], run_ort(path, x)) <= ORT_RTOL
    first = graph.layers[0]
    assert (vals[first.name] == np.float32(first.clip_hi)).sum() > 10  # the clamp is active
    if name == "hardtanh":
        assert (vals[first.name] == -1.0).sum() > 10


def test_golden_clamps_at_the_bounds(exported):
    """In the integer model the clamped layers reach their integer bounds and never exceed
    them; the bounds are the float bounds at the output's scale."""
    _, path = exported
    graph, weights = load_onnx(path)
    qg = quantize(graph, weights, parse_precision("8"), calibration_inputs(graph, 0, 2))
    vals = golden.run(qg, qg.quantize_input(_image()[0].transpose(1, 2, 0)))
    first = qg.qlayer(graph.layers[0].name)
    lo, hi = first.clip
    t = first.out_type
    assert hi == round(graph.layers[0].clip_hi * 2 ** t.frac) <= t.qmax
    assert vals[first.name].max() == hi and vals[first.name].min() >= lo
    # the headroom bit stops at the bound: ReLU6 in ap_ufixed<8,3>, Clip(-1, 1) in ap_fixed<8,2>
    assert str(t) == ("ap_ufixed<8,3>" if graph.layers[0].clip_lo == 0 else "ap_fixed<8,2>")
    assert (lo, hi) == ((0, 192) if graph.layers[0].clip_lo == 0 else (-64, 64))


# --- MatMul + Add, Gemm transB = 0, Reshape (hand-built ONNX) ---------------------------------


def _head_model(kind: str) -> Any:
    b = Builder((1, 3, SIZE, SIZE), seed=4)
    x = b.unary("Relu", b.conv("data", "c1", 8, 3, pad=1), "r1")
    gap = b.unary("GlobalAveragePool", x, "gap")
    rng = np.random.default_rng(2)
    w = rng.standard_normal((8, 6)).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    if kind == "matmul":
        flat = b.unary("Flatten", gap, "flat")
        y = b.node("MatMul", [flat, b.init("fc_w", w)], "fc")
        out = b.node("Add", [y, b.init("fc_b", bias)], "fc_bias")
    elif kind == "gemm_transB0":
        shape = b.init("shape", np.array([1, -1], np.int64))
        flat = b.unary("Reshape", gap, "flat", inputs=[gap, shape])
        out = b.node("Gemm", [flat, b.init("fc_w", w), b.init("fc_b", bias)], "fc")
    else:  # Reshape of a 1x1 map mid-network, then a ReLU6 clip of the Gemm's output
        shape = b.init("shape", np.array([1, 8], np.int64))
        flat = b.unary("Reshape", gap, "flat", inputs=[gap, shape])
        y = b.node("Gemm", [flat, b.init("fc_w", np.ascontiguousarray(w.T)),
                            b.init("fc_b", bias)], "fc", transB=1)
        out = b.node("Clip", [y, b.init("lo", np.array(0.0, np.float32)),
                              b.init("hi", np.array(0.5, np.float32))], "clip")
    return b.model(out, 13, out_shape=[1, 6])


@pytest.mark.parametrize("kind", ["matmul", "gemm_transB0", "gemm_clip"])
def test_hand_built_heads(tmp_path, kind):
    graph, weights = load_onnx(save(_head_model(kind), tmp_path / "m.onnx"))
    assert [lay.op for lay in graph.layers] == ["conv", "avgpool", "conv"]
    assert graph.shape(graph.output) == (1, 1, 6)
    x = _image()
    ours = reference.run(graph, weights, x[0].transpose(1, 2, 0))[graph.output]
    assert _rel_err(ours, run_ort(_head_model(kind), x)) <= ORT_RTOL
    if kind == "gemm_clip":
        assert graph.layer(graph.output).clip_hi == 0.5


# --- bad input: one line naming the node; exit 2 --------------------------------------------


def _error(model: Any, tmp_path: Path) -> str:
    with pytest.raises(FpgagenError) as info:
        load_onnx(save(model, tmp_path / "m.onnx"))
    message = str(info.value)
    assert "\n" not in message
    return message


def _grouped() -> Any:
    b = Builder((1, 3, SIZE, SIZE))
    x = b.conv("data", "c1", 8, 3, pad=1)
    return b.model(b.conv(x, "g2", 8, 3, pad=1, group=2), 13)


def _depthwise() -> Any:
    b = Builder((1, 3, SIZE, SIZE))
    x = b.conv("data", "c1", 8, 3, pad=1)
    return b.model(b.conv(x, "dw", 8, 3, pad=1, group=8), 13)


def _clip_dynamic() -> Any:
    b = Builder((1, 3, SIZE, SIZE))
    x = b.conv("data", "c1", 8, 3, pad=1)
    top = b.unary("Relu", b.conv("data", "c2", 8, 3, pad=1), "top")
    return b.model(b.node("Clip", [x, "", top], "clip"), 13)


def _gemm_on_map() -> Any:
    b = Builder((1, 3, SIZE, SIZE))
    x = b.unary("Relu", b.conv("data", "c1", 2, 3, pad=1), "r1")
    flat = b.unary("Flatten", x, "flat")
    w = np.ones((4, 2 * SIZE * SIZE), np.float32)
    return b.model(b.node("Gemm", [flat, b.init("fc_w", w)], "fc", transB=1), 13,
                   out_shape=[1, 4])


def _gemm_alpha() -> Any:
    b = Builder((1, 3, SIZE, SIZE))
    x = b.unary("GlobalAveragePool", b.conv("data", "c1", 8, 3, pad=1), "gap")
    flat = b.unary("Flatten", x, "flat")
    return b.model(b.node("Gemm", [flat, b.init("fc_w", np.ones((4, 8), np.float32))], "fc",
                          transB=1, alpha=0.5), 13, out_shape=[1, 4])


def _clip_on_pool() -> Any:
    b = Builder((1, 3, SIZE, SIZE))
    x = b.maxpool(b.conv("data", "c1", 8, 3, pad=1), "pool", 13)
    return b.model(b.node("Clip", [x, b.init("lo", np.array(0.0, np.float32)),
                                   b.init("hi", np.array(6.0, np.float32))], "clip"), 13)


BAD = {
    "grouped": (_grouped, ("'g2' (Conv)", "grouped convolution (group=2", "group=1")),
    "depthwise": (_depthwise, ("'dw' (Conv)", "depthwise", "not supported yet")),
    "clip bound not constant": (_clip_dynamic, ("'clip' (Clip)", "max bound 'top' is not a "
                                                "constant")),
    "gemm on a map": (_gemm_on_map, ("'fc' (Gemm)", "16x16x2", "only on a 1x1 map")),
    "gemm alpha": (_gemm_alpha, ("'fc' (Gemm)", "alpha=0.5", "alpha = beta = 1")),
    "clip on a pool": (_clip_on_pool, ("'clip' (Clip)", "sole consumer of a Conv or Add")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_naming_the_node(tmp_path, case):
    build, fragments = BAD[case]
    message = _error(build(), tmp_path)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize("case", ["depthwise", "gemm on a map"])
def test_bad_input_exits_2(tmp_path, cli, case):
    path = save(BAD[case][0](), tmp_path / "m.onnx")
    code, _, err = cli("info", "--model", str(path))
    assert code == 2 and err.startswith("fpgagen: error: ONNX node") and err.count("\n") == 1


def test_info_shows_the_clamp(tmp_path, cli):
    path = export_torch(relu6_net(), tmp_path / "r6.onnx", SIZE, opset=13)
    code, out, _ = cli("info", "--model", str(path))
    assert code == 0 and "conv+relu+clip[0,6]" in out
    code, out, _ = cli("info", "--model", str(path), "--json")
    layers = json.loads(out)["layers"]
    assert [lay["clip"] for lay in layers] == [[0.0, 6.0]] * 3 + [None, None]


# --- bit-exact: golden = C-sim, golden = RTL ----------------------------------------------------


def _build(tmp_path: Path, cli, name: str) -> Path:
    model = export_torch(NETS[name](), tmp_path / f"{name}.onnx", SIZE, opset=13)
    out = tmp_path / "build"
    # a 4x8 engine: the clamp and the head are per-lane and per-layer, so a small array
    # proves them as well as the board's, and its Verilator build and C-simulation are quick
    code, _, err = cli("build", "--model", str(model), "--pe", "4x8", "-q", "-o", str(out))
    assert code == 0, err
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(NETS))
def test_csim_bit_exact(tmp_path, cli, name):
    out = _build(tmp_path, cli, name)
    code, text, _ = cli("verify", str(out), "--csim", "-q", "--json")
    assert code == 0, text
    summary = json.loads(text)["csim"]
    # every layer (five) and the logits
    assert summary["bit_exact"] and summary["tensors_compared"] == summary["tensors_expected"] == 6


@pytest.mark.long  # a Verilator build of the engine: minutes
@pytest.mark.needs_sim
@pytest.mark.parametrize("name", list(NETS))
def test_rtl_bit_exact(tmp_path, cli, name):
    out = _build(tmp_path, cli, name)
    code, text, _ = cli("verify", str(out), "--rtl", "-q", "--json")
    assert code == 0, text
    summary = json.loads(text)["rtl"]
    # every layer (five), the logits, and the logits of the second image streamed behind it
    assert summary["bit_exact"] and summary["tensors_compared"] == 5 + 1 + 1


def test_onnx_checker_accepts_the_hand_built_models():
    for kind in ("matmul", "gemm_transB0", "gemm_clip"):
        onnx.checker.check_model(_head_model(kind))
