"""RTL: `fpgagen build` writes rtl/ (generated top + bench + memory images + hw copies) and
`fpgagen verify --rtl` proves it bit-exact on Verilator for the whole network, layer by layer,
with the cycles measured. Single-layer RTL tests live in sim/fg_engine (one per module)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from fpgagen.plan.engine_fields import RTL_FIELDS
from fpgagen.rtl.emit import HW_MODULES
from fpgagen.rtl.hwfiles import HW_DIR
from fpgagen.verify.verilator import lint

# needs cocotb and Verilator: without them, selecting the test is an error at collection
# (tests/conftest.py), not a skip
needs_sim = pytest.mark.needs_sim


@pytest.fixture(scope="module")
def sq11(tmp_path_factory):
    """SqueezeNet 1.1 on ZC706 at w8a8 (the default engine: 16x64, two MACs per DSP48E1),
    built and RTL-verified."""
    out = tmp_path_factory.mktemp("rtl") / "sq11"
    from fpgagen.cli.main import main

    assert main(["build", "--board", "zynq", "--model", "squeezenet", "-q", "-o", str(out)]) == 0
    return out


@pytest.mark.slow
def test_build_writes_a_self_contained_rtl_folder(sq11):
    rtl = sq11 / "rtl"
    for name in ("fpgagen_top.v", "fpgagen_tb.v", "layers.hex", "weights.hex", "biases.hex",
                 "bench.json", *(f"{m}.v" for m in HW_MODULES)):
        assert (rtl / name).is_file(), name
    top = (rtl / "fpgagen_top.v").read_text()
    axil = [f"s_axi_control_{s}" for s in (
        "AWADDR", "AWVALID", "AWREADY", "WDATA", "WSTRB", "WVALID", "WREADY", "BRESP", "BVALID",
        "BREADY", "ARADDR", "ARVALID", "ARREADY", "RDATA", "RRESP", "RVALID", "RREADY")]
    streams = [f"{p}_{s}" for p in ("in_stream", "out_stream")
               for s in ("TDATA", "TKEEP", "TLAST", "TVALID", "TREADY")]
    ports = ("ap_clk", "ap_rst_n", *axil, "interrupt", *streams)
    header = top.split("module fpgagen_top", 1)[1].split(");", 1)[0]
    declared = [ln.split()[-1].rstrip(",") for ln in header.splitlines()
                if ln.strip().startswith(("input", "output"))]
    assert tuple(declared) == ports
    table = (rtl / "layers.hex").read_text().split()
    # one 32-bit field per line, RTL_FIELDS fields per layer-table row (30 rows)
    assert len(table) == 30 * len(RTL_FIELDS) and all(len(w) == 8 for w in table)
    weights = (rtl / "weights.hex").read_text().split()
    assert len(weights[0]) == 16 * 64 * 8 // 4
    assert ".PACK(1)" in (rtl / "fpgagen_top.v").read_text()


@pytest.mark.slow
@needs_sim
def test_generated_top_is_lint_clean(sq11):
    rtl = sq11 / "rtl"
    code, text = lint([rtl / "fpgagen_top.v"], top="fpgagen_top", extra_args=["-y", str(HW_DIR)])
    problems = [ln for ln in text.splitlines() if ln.startswith("%")]
    assert code == 0 and not problems, "\n" + text


@pytest.mark.slow
@needs_sim
def test_squeezenet_rtl_bit_exact(sq11, cli):
    code, out, err = cli("verify", str(sq11), "--rtl", "-q", "--json")
    assert code == 0, out + err
    res = json.loads(out)["rtl"]
    # every stored layer output (37: conv1's is a fused ring), the streamed logits and the
    # host's view over s_axi_control
    assert res["bit_exact"] and res["tensors_compared"] == 37 + 1 + 1
    # the image in 32-bit beats, a pixel per cycle: 224 x 224 cycles
    assert res["image_load_cycles"] <= 224 * 224
    report = json.loads((sq11 / "report.json").read_text())
    rtl = report["rtl"]
    assert set(rtl["cycles_per_layer"]) == {e["name"] for e in json.loads(
        (sq11 / "rtl" / "bench.json").read_text())["entries"]}
    assert rtl["cycles"] >= sum(rtl["cycles_per_layer"].values())
    assert 0.3 < rtl["mac_utilization"] <= 1.0
    md = (sq11 / "report.md").read_text()
    assert "Measured in RTL simulation" in md and "Bit-exact: 39 tensors compared" in md
    assert "| cycles (RTL) | MAC util. |" in md
    conv10 = next(ln for ln in md.splitlines() if ln.startswith("| conv10 |"))
    assert f"{rtl['cycles_per_layer']['conv10']:,}" in conv10


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small fire-module net (tests/small_onnx.py) on an 8x8 engine: RTL runs in seconds."""
    from small_onnx import write_small_onnx

    from fpgagen.cli.main import main

    tmp = tmp_path_factory.mktemp("rtl_small")
    out = tmp / "small"
    assert main(["build", "--model", str(write_small_onnx(tmp / "small.onnx")), "--board",
                 "zynq", "--pe", "8x8", "-q", "-o", str(out)]) == 0
    return out


@pytest.mark.slow
@needs_sim
def test_verify_rtl_reports_latency_and_streaming_throughput(small, tmp_path, cli):
    """verify --rtl streams the image twice (the double-buffered staging): the latency (the
    first image, its load included) and the throughput (ap_done to ap_done), both labelled in
    the output, report.json and report.md; the second image hides its load."""
    copy = tmp_path / "b"
    shutil.copytree(small, copy, ignore=shutil.ignore_patterns("rtl_sim"))
    code, out, err = cli("verify", str(copy), "--rtl", "-q", "--stream", "3")
    assert code == 0, out + err
    assert "latency " in out and "throughput (streaming): " in out
    rtl = json.loads((copy / "report.json").read_text())["rtl"]
    assert rtl["bit_exact"] and rtl["stream_images"] == 3
    assert rtl["latency_cycles"] == rtl["cycles"]
    load = rtl["image_load_cycles"]
    assert abs(rtl["cycles"] - load - rtl["streaming_cycles"]) <= 4, rtl
    md = (copy / "report.md").read_text()
    assert f"Throughput (streaming): {rtl['streaming_cycles']:,} cycles per image" in md
    code, _, err = cli("verify", str(copy), "--rtl", "--stream", "9")
    assert code == 2 and err.strip().startswith("fpgagen: error: --stream takes 1..8")


@needs_sim
def test_tampered_vector_fails_rtl(small, tmp_path, cli):
    """One golden element off by one: the RTL compare names the layer (on the small net: the
    same whole-network bench; SqueezeNet itself runs in test_squeezenet_rtl_bit_exact)."""
    copy = tmp_path / "b"
    shutil.copytree(small, copy, ignore=shutil.ignore_patterns("rtl_sim"))
    layer = "squeezenet0_conv2_fwd"
    path = copy / "vectors" / "layers" / f"{layer}.hex"
    lines = path.read_text().splitlines()
    values = np.load(path.with_suffix(".npy"))
    flat = values.reshape(-1)
    flat[10] = flat[10] + 1 if flat[10] < flat.max() else flat[10] - 1
    mask = (1 << (4 * len(lines[10]))) - 1
    lines[10] = format(int(flat[10]) & mask, f"0{len(lines[10])}x")
    path.write_text("\n".join(lines) + "\n")
    # the .npy copy too: a .npy that disagrees with its .hex is refused before any simulation
    np.save(path.with_suffix(".npy"), values)
    code, out, _ = cli("verify", str(copy), "--rtl", "-q")
    assert code == 1, out
    assert f"MISMATCH layer {layer}" in out and "NOT bit-exact" in out
    report = json.loads((copy / "report.json").read_text())
    assert report["rtl"]["bit_exact"] is False
    assert report["rtl"]["first_mismatch"]["layer"] == layer
    md = (copy / "report.md").read_text()
    assert "NOT bit-exact" in md and f"First mismatch: layer `{layer}`" in md


def test_verify_rtl_needs_a_build(cli, tmp_path):
    code, _, err = cli("verify", str(tmp_path), "--rtl")
    assert code == 2 and "not a complete fpgagen build" in err


@pytest.mark.slow
@needs_sim
@pytest.mark.long
@pytest.mark.parametrize("model", ["squeezenet1_0_bypass", "zynqnet"])  # 1.0 = bypass - adds
def test_other_zoo_models_rtl_bit_exact(tmp_path, cli, model):
    """The rest of the zoo, whole network (judged against an 8 MiB budget: at w8a8 they exceed
    the ZC706's BRAM), every layer and the logits bit-exact. At a 64 x 64 input: every layer and
    fusion of the graph, 1/12 of the cycles (bench/bench_rtl.py runs them at full size). On an
    8x32 engine (4 arena banks, split squeezes, wide pools): the graphs are the point here, and
    the default 16x64 engine's Verilator build (~4 min each) is SqueezeNet 1.1's test."""
    out = tmp_path / model
    code, _, err = cli("build", "--board", "zynq", "--model", model, "--budget", "8192KB",
                       "--input-size", "64", "--pe", "8x32", "-q", "-o", str(out))
    assert code == 0, err
    # one image (streaming is SqueezeNet 1.1's test): the layers are the point here
    code, text, err = cli("verify", str(out), "--rtl", "--stream", "1", "-q", "--json")
    assert code == 0, text + err
    res = json.loads(text)["rtl"]
    report = json.loads((out / "report.json").read_text())
    # every layer's output (a fused conv's is a ring, checked through its pool), the logits and
    # the host's view over s_axi_control
    expected = len(report["layers"]) - len(report["fusion"]) + 2
    assert res["bit_exact"] and res["tensors_compared"] == expected
    assert report["rtl"]["cycles"] > 0


def test_verify_rtl_without_cocotb_is_one_line(sq11, cli, monkeypatch):
    """A user who installed fpgagen without the sim extra gets what to install, exit 2."""
    import sys

    monkeypatch.setitem(sys.modules, "cocotb_tools.runner", None)  # import raises ImportError
    code, _, err = cli("verify", str(sq11), "--rtl", "-q")
    assert code == 2, err
    assert err.startswith("fpgagen: error: RTL simulation needs cocotb 2")
    assert "pip install 'fpgagen[sim]'" in err and "Traceback" not in err
