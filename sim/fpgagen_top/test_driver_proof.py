"""The driver proof: the generated fpgagen_top, driven as a processor drives it.

A small network is built; the Python driver (fpgagen/driver/fpgagen_driver.py) quantizes the
build's float input and packs it, and the C driver (compiled with gcc) packs the same integers.
A cocotb test then runs the RTL core through its ports only: cocotbext-axi AxiLiteMaster on
s_axi_control (GIE/IER, start by writing AP_CTRL, completion by the interrupt in one run and by
polling ap_done in the other, ISR acknowledged), AxiStreamSource/Sink on the streams with idle
cycles and backpressure, the exact driver bytes as the DMA would send them. The received bytes
are unpacked by each driver's own function and compared with the golden model's logits integer
by integer; CYCLES, STATUS and BUILD_ID are read back over AXI4-Lite.

The weight proof does the same on a build whose bitstream holds no weights, as the drivers'
load_weights does: a start before any load is refused (STATUS bit 2, no ap_done, the image
input closed); a load one beat short ends not loaded; weights.bin (weight set A) loaded through
in_stream (WEIGHTS = 1, the file's beats, WEIGHTS polled, WEIGHTS_CRC = zlib.crc32 of the file),
an image's logits equal golden A; the weights.bin `fpgagen pack-weights` wrote for other weights
(set B) on the same RTL gives golden B; A again gives golden A.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent.parent / "tests"
CTRL, GIE, IER, ISR, CYCLES, STATUS, BUILD_ID = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18
WEIGHTS, WEIGHTS_CRC = 0x1C, 0x20


def _cocotb_test():
    import cocotb
    from cocotb.triggers import RisingEdge
    from cocotbext.axi import (
        AxiLiteBus,
        AxiLiteMaster,
        AxiStreamBus,
        AxiStreamFrame,
        AxiStreamSink,
        AxiStreamSource,
    )
    from tbutil import start_clock

    async def rd(m, addr: int) -> int:
        return int.from_bytes((await m.read(addr, 4)).data, "little")

    async def wr(m, addr: int, value: int) -> None:
        await m.write(addr, value.to_bytes(4, "little"))

    @cocotb.test()
    async def driver_proof(dut):
        cfg = json.loads(os.environ["FG_PROOF"])
        start_clock(dut.ap_clk)
        rst = dut.ap_rst_n
        axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk, rst,
                             reset_active_level=False)
        src = AxiStreamSource(AxiStreamBus.from_prefix(dut, "in_stream"), dut.ap_clk, rst,
                              reset_active_level=False)
        sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "out_stream"), dut.ap_clk, rst,
                             reset_active_level=False)
        rst.value = 0
        for _ in range(5):
            await RisingEdge(dut.ap_clk)
        rst.value = 1
        await RisingEdge(dut.ap_clk)
        results = []
        for run in cfg["runs"]:
            if run["stall"]:
                src.set_pause_generator(itertools.cycle([0, 1, 0, 0, 1]))
                sink.set_pause_generator(itertools.cycle([1, 0, 0]))
            else:
                src.set_pause_generator(None)
                sink.set_pause_generator(None)
            assert await rd(axil, CTRL) & 0x4, "the core is not idle before the run"
            await wr(axil, GIE, int(run["irq"]))
            await wr(axil, IER, int(run["irq"]))
            await wr(axil, CTRL, 1)
            await src.send(AxiStreamFrame(Path(run["in_bin"]).read_bytes()))
            frame = await sink.recv()
            if run["irq"]:
                while int(dut.interrupt.value) == 0:
                    await RisingEdge(dut.ap_clk)
                assert await rd(axil, ISR) == 1, "ISR does not say ap_done"
                assert await rd(axil, CTRL) & 0x2, "ap_done not set at the interrupt"
                await wr(axil, ISR, 1)
                await RisingEdge(dut.ap_clk)
                await RisingEdge(dut.ap_clk)
                assert int(dut.interrupt.value) == 0, "the interrupt stays after the acknowledge"
            else:
                for _ in range(100_000):
                    if await rd(axil, CTRL) & 0x2:
                        break
                else:
                    raise AssertionError("ap_done never read back")
            results.append({"cycles": await rd(axil, CYCLES), "status": await rd(axil, STATUS),
                            "build_id": await rd(axil, BUILD_ID),
                            "keep": [int(k) for k in frame.tkeep] if frame.tkeep else []})
            Path(run["out_bin"]).write_bytes(bytes(frame.tdata))
        Path(cfg["result"]).write_text(json.dumps(results))

    @cocotb.test()
    async def weights_proof(dut):
        cfg = json.loads(os.environ["FG_WPROOF"])
        start_clock(dut.ap_clk)
        rst = dut.ap_rst_n
        axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk, rst,
                             reset_active_level=False)
        src = AxiStreamSource(AxiStreamBus.from_prefix(dut, "in_stream"), dut.ap_clk, rst,
                              reset_active_level=False)
        sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "out_stream"), dut.ap_clk, rst,
                             reset_active_level=False)
        src.set_pause_generator(itertools.cycle([0, 1, 0, 0, 1]))
        sink.set_pause_generator(itertools.cycle([1, 0, 0]))
        rst.value = 0
        for _ in range(5):
            await RisingEdge(dut.ap_clk)
        rst.value = 1
        await RisingEdge(dut.ap_clk)
        results = []
        for step in cfg["steps"]:
            got: dict = {"kind": step["kind"]}
            if step["kind"] == "refused":
                # a start without loaded weights: not taken, no ap_done, the input closed
                await wr(axil, CTRL, 1)
                ready = 0
                for _ in range(300):
                    await RisingEdge(dut.ap_clk)
                    ready |= int(dut.in_stream_TREADY.value)
                got |= {"ctrl": await rd(axil, CTRL), "status": await rd(axil, STATUS),
                        "weights": await rd(axil, WEIGHTS), "tready": ready}
            elif step["kind"] == "load":
                data = Path(step["bin"]).read_bytes()[:step["bytes"]]
                await wr(axil, WEIGHTS, 1)
                await src.send(AxiStreamFrame(data))
                await src.wait()
                for _ in range(10_000):
                    if not await rd(axil, WEIGHTS) & 1:
                        break
                else:
                    raise AssertionError("the load never ended")
                got |= {"weights": await rd(axil, WEIGHTS), "crc": await rd(axil, WEIGHTS_CRC),
                        "status": await rd(axil, STATUS)}
            else:  # run an image, as fpgagen_run does (polling ap_done)
                await wr(axil, CTRL, 1)
                await src.send(AxiStreamFrame(Path(step["in_bin"]).read_bytes()))
                frame = await sink.recv()
                for _ in range(100_000):
                    if await rd(axil, CTRL) & 0x2:
                        break
                else:
                    raise AssertionError("ap_done never read back")
                got |= {"status": await rd(axil, STATUS), "out": bytes(frame.tdata).hex()}
            results.append(got)
        Path(cfg["result"]).write_text(json.dumps(results))

    return driver_proof, weights_proof


if os.environ.get("FG_PROOF") or os.environ.get("FG_WPROOF"):
    driver_proof, weights_proof = _cocotb_test()


@pytest.fixture(scope="module")
def proof_build(tmp_path_factory):
    import sys

    from fpgagen.cli.main import main

    if str(TESTS) not in sys.path:  # the small ONNX model lives with the unit tests
        sys.path.insert(0, str(TESTS))
    from small_onnx import write_small_onnx

    tmp = tmp_path_factory.mktemp("proof")
    model = write_small_onnx(tmp / "small.onnx")
    x = np.random.default_rng(15).normal(0, 1.2, (32, 32, 3)).astype(np.float32)
    np.save(tmp / "x.npy", x)
    out = tmp / "small"
    assert main(["build", "--model", str(model), "--board", "zynq", "--pe", "8x8", "-q",
                 "--input", str(tmp / "x.npy"), "-o", str(out)]) == 0
    return out, x


def _c_harness(build: Path, tmp: Path) -> Path:
    exe = tmp / "driver_pack_main"
    d = build / "driver"
    res = subprocess.run(["gcc", "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(d),
                          "-I", str(TESTS / "c"),
                          "-o", str(exe), str(TESTS / "c" / "driver_pack_main.c"),
                          str(TESTS / "c" / "fpgagen_sim.c"),  # the simulated core + DMA
                          str(d / "fpgagen_driver.c"), "-lm"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return exe


def test_drivers_bytes_through_the_rtl_core(proof_build, tmp_path):
    from fpgagen.driver import fpgagen_driver as drv
    from fpgagen.verify.cocotbrun import run_cocotb

    build, x = proof_build
    info = drv.BuildInfo.load(build)
    # the Python driver: quantize the float image, pack it
    q = drv.quantize_image(x, info)
    assert np.array_equal(q, np.load(build / "vectors" / "input.npy").reshape(q.shape))
    py_in = tmp_path / "in_py.bin"
    py_in.write_bytes(drv.pack_image(q, info))
    # the C driver: pack the same integers
    exe = _c_harness(build, tmp_path)
    ints = tmp_path / "in.txt"
    ints.write_text("\n".join(str(int(v)) for v in q.reshape(-1)) + "\n")
    c_in = tmp_path / "in_c.bin"
    subprocess.run([str(exe), "pack", str(ints), str(c_in)], check=True)
    runs = [{"in_bin": str(py_in), "out_bin": str(tmp_path / "out_py.bin"), "irq": True,
             "stall": True},
            {"in_bin": str(c_in), "out_bin": str(tmp_path / "out_c.bin"), "irq": False,
             "stall": False}]
    # the simulator reads the memory images from its working folder, as Vivado does
    work = tmp_path / "work"
    work.mkdir()
    for mem in ("layers.hex", "weights.hex", "biases.hex"):
        shutil.copyfile(build / "rtl" / mem, work / mem)
    srcs = sorted(p for p in (build / "rtl").glob("*.v") if p.name != "fpgagen_tb.v")
    result = tmp_path / "result.json"
    res = run_cocotb(toplevel="fpgagen_top", sources=srcs, test_module=Path(__file__).stem,
                     build_args=["-Wno-fatal", "-O1"], testcase="driver_proof",
                     extra_env={"FG_PROOF": json.dumps({"runs": runs, "result": str(result)})},
                     python_paths=[HERE, HERE.parent], test_dir=work)
    assert res.tests == 1 and res.failed == 0, f"cocotb driver proof failed ({res.results_xml})"
    golden = np.load(build / "vectors" / "output.npy").reshape(-1)
    seen = json.loads(result.read_text())
    for run, got in zip(runs, seen, strict=True):
        assert got["status"] == drv.STATUS_LOADED, (
            f"STATUS {got['status']:#x}: want the bitstream's weights loaded, no frame error")
        assert got["build_id"] == info.build_id, "BUILD_ID is not the build's"
        assert got["cycles"] > 0
        data = Path(run["out_bin"]).read_bytes()
        assert len(data) == info.out_payload_bytes, (
            f"{len(data)} bytes kept by TKEEP, the logits are {info.out_payload_bytes}")
    # each driver unpacks what it received
    py_logits = drv.unpack_logits(Path(runs[0]["out_bin"]).read_bytes(), info)
    first = next((i for i, (a, b) in enumerate(zip(golden, py_logits, strict=True)) if a != b),
                 None)
    assert first is None, f"logit {first}: golden {golden[first]}, RTL {py_logits[first]}"
    padded = tmp_path / "out_c_padded.bin"
    raw = Path(runs[1]["out_bin"]).read_bytes()
    padded.write_bytes(raw + bytes(info.out_buffer_bytes - len(raw)))
    c_txt = tmp_path / "logits_c.txt"
    subprocess.run([str(exe), "unpack", str(padded), str(c_txt)], check=True)
    c_logits = np.array([int(v) for v in c_txt.read_text().split()])
    assert np.array_equal(c_logits, golden), "C-unpacked logits differ from the golden model"
    # idle cycles on the input stream stretch the image load, nothing else
    assert seen[0]["cycles"] >= seen[1]["cycles"]


@pytest.fixture(scope="module")
def runtime_build(proof_build, tmp_path_factory):
    """The proof's network with its weights loaded at run time, and weight set B: the ONNX
    model's weights scaled and perturbed (a "retrained" net), packed by fpgagen pack-weights
    into the build's types, with its golden vectors on the build's image."""
    from fpgagen.cli.main import main
    from fpgagen.frontend.onnx_import import load_onnx

    build, _x = proof_build
    tmp = tmp_path_factory.mktemp("wproof")
    model = build.parent / "small.onnx"
    out = tmp / "small_rt"
    assert main(["build", "--model", str(model), "--board", "zynq", "--pe", "8x8", "-q",
                 "--input", str(build.parent / "x.npy"), "--weight-source", "runtime",
                 "-o", str(out)]) == 0
    _graph, weights = load_onnx(model)
    rng = np.random.default_rng(3)
    np.savez(tmp / "b.npz", **{k: (v * rng.uniform(0.6, 1.1, v.shape)).astype(np.float32)
                                for k, v in weights.items()})
    assert main(["pack-weights", str(out), "--weights", str(tmp / "b.npz"), "-o",
                 str(tmp / "b.bin"), "--vectors", str(tmp / "vb")]) == 0
    return out, tmp / "b.bin", tmp / "vb"


def test_weights_loaded_through_the_stream(runtime_build, tmp_path):
    import zlib

    from fpgagen.driver import fpgagen_driver as drv
    from fpgagen.verify.cocotbrun import run_cocotb

    build, b_bin, vb = runtime_build
    info = drv.BuildInfo.load(build)
    assert info.weights_required
    a_bin = build / "driver" / "weights.bin"
    x = np.load(build / "vectors" / "input.npy")
    img = tmp_path / "in.bin"
    img.write_bytes(drv.pack_image(x, info))
    n, tb = info.weights_bytes, info.tdata_bytes
    load = lambda path, nbytes=n: {"kind": "load", "bin": str(path), "bytes": nbytes}  # noqa: E731
    run = {"kind": "run", "in_bin": str(img)}
    steps = [{"kind": "refused"}, load(a_bin, n - tb), {"kind": "refused"}, load(a_bin), run,
             load(b_bin), run, load(a_bin), run]
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(build / "rtl" / "layers.hex", work / "layers.hex")
    srcs = sorted(p for p in (build / "rtl").glob("*.v") if p.name != "fpgagen_tb.v")
    result = tmp_path / "result.json"
    res = run_cocotb(toplevel="fpgagen_top", sources=srcs, test_module=Path(__file__).stem,
                     build_args=["-Wno-fatal", "-O1"], testcase="weights_proof",
                     extra_env={"FG_WPROOF": json.dumps({"steps": steps, "result": str(result)})},
                     python_paths=[HERE, HERE.parent], test_dir=work)
    assert res.tests == 1 and res.failed == 0, f"cocotb weight proof failed ({res.results_xml})"
    seen = json.loads(result.read_text())
    a, b = a_bin.read_bytes(), b_bin.read_bytes()
    assert a != b and len(a) == len(b) == n
    # a start before any load: refused, idle, no ap_done, STATUS says so, the input closed
    assert seen[0]["ctrl"] & 0x7 == 0x4 and seen[0]["status"] == drv.STATUS_START_REFUSED
    assert seen[0]["weights"] == 0 and seen[0]["tready"] == 0
    # a load one beat short: not loaded, the error bit, the CRC of the bytes that came
    assert seen[1]["weights"] == drv.WEIGHTS_ERROR and seen[1]["crc"] == zlib.crc32(a[:n - tb])
    assert seen[2]["status"] & drv.STATUS_START_REFUSED and seen[2]["weights"] == \
        drv.WEIGHTS_ERROR
    golden_a = np.load(build / "vectors" / "output.npy").reshape(-1)
    golden_b = np.load(vb / "output.npy").reshape(-1)
    assert not np.array_equal(golden_a, golden_b)
    for k, (data, golden) in zip((3, 5, 7), ((a, golden_a), (b, golden_b), (a, golden_a)),
                                 strict=True):
        assert seen[k]["weights"] == drv.WEIGHTS_LOADED, seen[k]
        assert seen[k]["crc"] == zlib.crc32(data), "WEIGHTS_CRC is not the file's CRC-32"
        out = seen[k + 1]
        assert out["status"] == drv.STATUS_LOADED
        logits = drv.unpack_logits(bytes.fromhex(out["out"]), info)
        first = next((i for i, (p, q) in enumerate(zip(golden, logits, strict=True)) if p != q),
                     None)
        assert first is None, f"step {k + 1}: logit {first}: golden {golden[first]}, " \
                              f"RTL {logits[first]}"
