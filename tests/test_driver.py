"""The host drivers of a build (fpgagen/driver/, written into ``driver/`` by fpgagen build).

The Python driver's quantization is the golden model's (every rounding and saturation mode);
its packing round-trips and matches hand-written bytes; it imports without pynq or fpgagen;
the C driver, compiled with gcc -std=c99 -Werror, produces the same bytes and integers from the
same files; and both run one inference against a simulated core + AXI DMA (a fake ``pynq`` for
Python, register hooks for C), refusing a bitstream whose BUILD_ID is not the build's.
No board here: the register sequence is checked against the contract, not against silicon.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from small_onnx import write_small_onnx

from fpgagen.cli.main import main
from fpgagen.cli.quantargs import load_input
from fpgagen.driver import fpgagen_driver as drv
from fpgagen.errors import FpgagenError
from fpgagen.frontend.labels import onnx_info
from fpgagen.frontend.onnx_import import load_onnx
from fpgagen.machine.context import lower
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import make_plan
from fpgagen.plan.streams import build_stream_format
from fpgagen.quant.fixed import ROUNDING_MODES, SATURATION_MODES, FixedType, quantize_float
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import DEFAULT_CALIB_IMAGES, calibration_inputs, quantize
from fpgagen.system.driver import DRIVER_DIR, DRIVER_FILES, build_json

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "tests" / "c" / "driver_pack_main.c"
SIM = ROOT / "tests" / "c" / "fpgagen_sim.c"  # the simulated core + DMA
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Wpedantic"]
MODES = [(r, s) for r in ROUNDING_MODES for s in SATURATION_MODES]
C_ROUNDING = {"AP_RND": 0, "AP_TRN": 1, "AP_RND_CONV": 2}
C_SATURATION = {"AP_SAT": 0, "AP_WRAP": 1}
# (width, frac, signed): narrow, wide, unsigned, frac < 0 and frac > width
TYPES = [(8, 5, True), (8, 6, False), (16, 10, True), (4, 0, False), (2, 1, True),
         (12, -2, True), (6, 9, False), (64, 20, True), (63, 3, False)]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The small fire-module net built for the ZC706 on an 8x8 engine (a build folder)."""
    tmp = tmp_path_factory.mktemp("driver")
    model = write_small_onnx(tmp / "small.onnx")
    out = tmp / "small"
    assert main(["build", "--model", str(model), "--board", "zynq", "--pe", "8x8", "-q",
                 "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def info(small) -> drv.BuildInfo:
    return drv.BuildInfo.load(small)


@pytest.fixture(scope="module")
def small_rt(tmp_path_factory) -> Path:
    """The same net and engine with its weights loaded at run time (no weights in the
    bitstream: the drivers must load driver/weights.bin first)."""
    tmp = tmp_path_factory.mktemp("driver_rt")
    model = write_small_onnx(tmp / "small.onnx")
    out = tmp / "small"
    assert main(["build", "--model", str(model), "--board", "zynq", "--pe", "8x8", "-q",
                 "--weight-source", "runtime", "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def pipeline(small):
    """The same build in process, as the CLI makes it: (plan, qgraph, float input)."""
    graph, weights = load_onnx(small.parent / "small.onnx")
    precision = parse_precision("8")
    qg = quantize(graph, weights, precision, calibration_inputs(graph, 0, DEFAULT_CALIB_IMAGES))
    plan = make_plan(graph, load_board("zynq"), precision, EngineConfig(8, 8), True)
    return plan, qg, load_input(None, graph, 0)


@pytest.fixture(scope="module")
def harness(small, tmp_path_factory) -> Path:
    """tests/c/driver_pack_main.c + the build's fpgagen_driver.c, compiled with gcc."""
    exe = tmp_path_factory.mktemp("cdrv") / "driver_pack_main"
    d = small / "driver"
    res = subprocess.run(["gcc", *CFLAGS, "-I", str(d), "-o", str(exe), str(HARNESS),
                          str(SIM), str(d / "fpgagen_driver.c"), "-lm"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return exe


def make_info(width: int, frac: int, signed: bool, rounding: str = "AP_RND",
              saturation: str = "AP_SAT", shape: tuple[int, ...] = (2, 3, 4),
              tdata_bits: int = 32, out_width: int = 8, out_frac: int = 4,
              out_signed: bool = True, out_count: int = 10) -> drv.BuildInfo:
    """A BuildInfo for any input/output type, its stream figures computed."""
    tb = tdata_bits // 8
    ib = drv.beats(int(np.prod(shape)), drv.value_bytes(width), tb)
    ob = drv.beats(out_count, drv.value_bytes(out_width), tb)
    return drv.BuildInfo("t", "b", 100.0, 1, shape, width, frac, signed, rounding, saturation,
                         (out_count,), out_width, out_frac, out_signed, tdata_bits, ib, ob,
                         ib * tb, ob * tb)


def edge_values(t: FixedType, seed: int = 0) -> np.ndarray:
    """Floats that stress rounding and saturation for ``t``: every tie around the range ends
    and around zero, just inside/outside the range, huge, tiny and random values."""
    rng = np.random.default_rng(seed)
    ends = np.array([t.qmin, t.qmax], dtype=np.float64)
    ks = np.concatenate([ends + d for d in (-2, -1, 0, 1, 2)] + [rng.integers(-300, 300, 60)])
    ticks = np.concatenate([ks + f for f in (0.0, 0.5, -0.5, 0.25, 0.75, -0.25)])
    extra = [0.0, -0.0, 5e-324, -5e-324, 1e-300, 1e30, -1e30, 1e300, -1e300, 2.0 ** 62,
             -2.0 ** 62, 2.0 ** 63, -2.0 ** 63, 2.0 ** 52 + 1, 2.0 ** 53,
             0.49999999999999994, -0.49999999999999994, 2.5, -2.5, 3.5, -3.5]
    spread = rng.normal(0, 1, 300) * 2.0 ** (t.width - 1 - t.frac) * 1.3
    return np.concatenate([np.ldexp(ticks, -t.frac), extra, spread])


def run_c(exe: Path, *args: object, ok: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True)
    if ok:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def write_ints(path: Path, values: np.ndarray) -> Path:
    path.write_text("".join(f"{int(v)}\n" for v in np.asarray(values).reshape(-1)))
    return path


def read_ints(path: Path) -> np.ndarray:
    return np.array([int(v) for v in path.read_text().split()], dtype=np.int64)


def golden(small: Path) -> np.ndarray:
    return np.load(small / "vectors" / "output.npy").reshape(-1)


def golden_bytes(small: Path, info: drv.BuildInfo) -> bytes:
    return drv.pack_values(golden(small), info.out_width, info.out_signed, info.tdata_bytes)


# --- the build folder ---------------------------------------------------------------------------


def test_build_writes_the_driver_folder(small, info):
    d = small / "driver"
    for name in DRIVER_FILES:  # the one driver the tests prove, unchanged
        assert (d / name).read_bytes() == (DRIVER_DIR / name).read_bytes(), name
    report = json.loads((small / "report.json").read_text())
    data = json.loads((d / "build.json").read_text())
    assert (data["model"], data["board"], data["clock_mhz"]) == (
        report["model"], report["board"], report["clock_mhz"])
    assert (data["input"]["type"], data["output"]["type"]) == (report["input_type"],
                                                               report["output_type"])
    assert info.in_shape == tuple(report["input_shape"]) == np.load(
        small / "vectors" / "input.npy").shape
    assert info.out_values == golden(small).size == 10
    # 3 x 8-bit values per pixel fit a 32-bit beat: 4 values a beat, the last beat half full
    assert (info.tdata_bits, info.in_beats, info.out_beats) == (32, 768, 3)
    assert (info.in_buffer_bytes, info.out_buffer_bytes) == (3072, 12)
    assert data["registers"] == {"AP_CTRL": 0, "GIE": 4, "IER": 8, "ISR": 12, "CYCLES": 16,
                                 "STATUS": 20, "BUILD_ID": 24, "WEIGHTS": 28,
                                 "WEIGHTS_CRC": 32}
    assert drv.BuildInfo.load(d) == drv.BuildInfo.load(d / "build.json") == info
    # the weights: in the bitstream here, and weights.bin beside build.json as its figures say
    w = (d / "weights.bin").read_bytes()
    assert data["weights"]["source"] == info.weights_source == "bitstream"
    assert (len(w), drv.weights_crc(w)) == (info.weights_bytes, info.weights_crc)
    assert len(w) == data["weights"]["beats"] * info.tdata_bytes


def _hex_words(path: Path) -> list[int]:
    return [int(line, 16) for line in path.read_text().split()]


def test_weights_bin_is_the_memory_images_in_beats(small, info):
    """weights.bin = rtl/weights.hex's words, then biases.hex's, each word little-endian and
    zero-padded to whole TDATA beats: the documented format, checked from the hex files."""
    wl = json.loads((small / "driver" / "build.json").read_text())["weights"]
    tb = info.tdata_bytes
    data = b""
    for name, key in (("weights.hex", "weight"), ("biases.hex", "bias")):
        words = _hex_words(small / "rtl" / name)
        assert len(words) == wl[f"{key}_words"]
        nbytes = wl[f"beats_per_{key}_word"] * tb
        assert wl[f"{key}_word_bits"] <= 8 * nbytes < wl[f"{key}_word_bits"] + 8 * tb
        data += b"".join(w.to_bytes(nbytes, "little") for w in words)
    assert data == (small / "driver" / "weights.bin").read_bytes()


def test_runtime_build_records_its_weights(small, small_rt, info):
    rt = drv.BuildInfo.load(small_rt)
    assert rt.weights_required and not info.weights_required
    assert rt.weights_source == "runtime"
    assert not (small_rt / "rtl" / "weights.hex").exists()   # nothing for the bitstream
    top = (small_rt / "rtl" / "fpgagen_top.v").read_text()
    assert ".WEIGHTS_INIT(0)" in top and 'WEIGHTS_FILE = ""' in top
    # the same weights, the same load stream; another bitstream (its id leaves them out)
    assert (small_rt / "driver" / "weights.bin").read_bytes() == \
        (small / "driver" / "weights.bin").read_bytes()
    assert rt.build_id != info.build_id
    text = (small_rt / "driver" / "fpgagen_build.h").read_text()
    assert re.search(r"#define FPGAGEN_WEIGHTS_REQUIRED\s+1\n", text)
    assert re.search(rf"#define FPGAGEN_WEIGHTS_BYTES\s+{rt.weights_bytes}u", text)
    assert re.search(rf"#define FPGAGEN_WEIGHTS_CRC32\s+0x{rt.weights_crc:08x}u", text)


def test_build_json_is_what_the_pipeline_computes(small, info, pipeline):
    plan, qg, x = pipeline
    info_small = onnx_info(small.parent / "small.onnx", 10)  # the model's preprocessing
    assert json.loads((small / "driver" / "build.json").read_text()) == build_json(
        lower(plan, qg), info_small)
    assert info.build_id == lower(plan, qg).build_id != 0
    fmt = build_stream_format(qg)
    assert (info.tdata_bits, info.in_beats, info.out_beats, info.in_buffer_bytes,
            info.out_buffer_bytes) == (fmt.tdata_bits, fmt.in_beats, fmt.out_beats,
                                       fmt.in_buffer_bytes, fmt.out_buffer_bytes)
    # the build's own input: the driver quantizes it to the vectors the golden model ran on
    q = drv.quantize_image(x, info)
    assert np.array_equal(q, qg.quantize_input(x))
    assert np.array_equal(q, np.load(small / "vectors" / "input.npy"))


def test_build_header_has_the_build_json_figures(small, info):
    text = (small / "driver" / "fpgagen_build.h").read_text()
    defs = dict(re.findall(r"#define FPGAGEN_(\w+)[ \t]+(\S+)", text))
    num = {k: int(v.rstrip("u"), 0) for k, v in defs.items() if re.fullmatch(r"-?(0x)?[\da-f]+u?",
                                                                             v)}
    assert num["BUILD_ID"] == info.build_id
    assert (num["IN_H"], num["IN_W"], num["IN_C"]) == info.in_shape
    assert (num["IN_WIDTH"], num["IN_FRAC"], num["IN_SIGNED"]) == (
        info.in_width, info.in_frac, info.in_signed)
    assert (num["OUT_VALUES"], num["OUT_WIDTH"], num["OUT_FRAC"], num["OUT_SIGNED"]) == (
        info.out_values, info.out_width, info.out_frac, info.out_signed)
    assert (num["TDATA_BYTES"], num["IN_BEATS"], num["OUT_BEATS"], num["IN_BUFFER_BYTES"],
            num["OUT_BUFFER_BYTES"]) == (info.tdata_bytes, info.in_beats, info.out_beats,
                                         info.in_buffer_bytes, info.out_buffer_bytes)
    assert num["CLOCK_HZ"] == round(info.clock_mhz * 1e6)
    assert defs["IN_ROUNDING"] == f"FPGAGEN_{info.in_rounding}"
    assert defs["MODEL"] == '"small"'


def test_c_header_register_map_is_the_python_one():
    text = (DRIVER_DIR / "fpgagen_driver.h").read_text()
    defs = {k: int(v.rstrip("u"), 0) for k, v in re.findall(
        r"#define FPGAGEN_(\w+)[ \t]+(0x[\dA-Fa-f]+u?)", text)}
    assert {k: defs[f"REG_{k}"] for k in drv.REGISTERS} == drv.REGISTERS
    assert {k: defs[k] for k in drv.REGISTER_BITS} == drv.REGISTER_BITS
    # Xilinx AXI DMA, direct register mode (PG021)
    assert {k: defs[f"DMA_{k}"] for k in ("MM2S_DMACR", "MM2S_DMASR", "MM2S_SA", "MM2S_SA_MSB",
                                          "MM2S_LENGTH", "S2MM_DMACR", "S2MM_DMASR", "S2MM_DA",
                                          "S2MM_DA_MSB", "S2MM_LENGTH")} == {
        "MM2S_DMACR": 0x00, "MM2S_DMASR": 0x04, "MM2S_SA": 0x18, "MM2S_SA_MSB": 0x1C,
        "MM2S_LENGTH": 0x28, "S2MM_DMACR": 0x30, "S2MM_DMASR": 0x34, "S2MM_DA": 0x48,
        "S2MM_DA_MSB": 0x4C, "S2MM_LENGTH": 0x58}


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.update(schema="fpgagen-driver-build/0"), "schema"),
    (lambda d: d["stream"].update(in_beats=767), "767 input"),
    (lambda d: d["stream"].update(out_buffer_bytes=10), "whole beats"),
    (lambda d: d["input"].update(rounding="AP_RND_ZERO"), "rounding"),
    (lambda d: d["registers"].update(CYCLES=0x20), "register map"),
    (lambda d: d["output"].pop("frac"), "missing or has a bad field"),
    (lambda d: d["weights"].update(source="flash"), "weights source"),
    (lambda d: d["weights"].update(bytes=1001), "whole beats"),
    (lambda d: d.pop("weights"), "missing or has a bad field"),
])
def test_a_bad_build_json_is_refused(small, tmp_path, edit, match):
    data = json.loads((small / "driver" / "build.json").read_text())
    edit(data)
    (tmp_path / "build.json").write_text(json.dumps(data))
    with pytest.raises(drv.DriverError, match=match):
        drv.BuildInfo.load(tmp_path)


def test_a_missing_build_json_is_named(tmp_path):
    with pytest.raises(drv.DriverError, match=r"no build\.json"):
        drv.BuildInfo.load(tmp_path)


# --- quantization: the golden model's, bit for bit --------------------------------------------


@pytest.mark.parametrize("rounding, saturation", MODES)
@pytest.mark.parametrize("width, frac, signed", TYPES)
def test_quantize_image_is_quantize_float(width, frac, signed, rounding, saturation):
    t = FixedType(width, frac, signed)
    x = edge_values(t, seed=width * 100 + frac)
    info = make_info(width, frac, signed, rounding, saturation, shape=(1, 1, x.size))
    got = drv.quantize_image(x.reshape(1, 1, -1), info)
    want = quantize_float(x, t, rounding, saturation)
    assert got.dtype == np.int64
    assert np.array_equal(got.reshape(-1), want)
    # float32 images (what preprocessing yields) take the same path
    with np.errstate(over="ignore"):  # 1e300 becomes inf in float32: left out
        x32 = x.astype(np.float32)
    x32 = x32[np.isfinite(x32)]
    info32 = make_info(width, frac, signed, rounding, saturation, shape=(1, 1, x32.size))
    assert np.array_equal(drv.quantize_image(x32.reshape(1, 1, -1), info32).reshape(-1),
                          quantize_float(x32, t, rounding, saturation))


@pytest.mark.parametrize("rounding, saturation", MODES)
def test_quantize_image_is_qgraph_quantize_input(pipeline, info, rounding, saturation):
    _, qg, _ = pipeline
    qg = dataclasses.replace(qg, input_rounding=rounding, input_saturation=saturation)
    info = dataclasses.replace(info, in_rounding=rounding, in_saturation=saturation)
    rng = np.random.default_rng(7)
    lsb = 2.0 ** -info.in_frac
    for x in (rng.normal(0, 2, info.in_shape),  # beyond the range: saturates
              np.round(rng.normal(0, 200, info.in_shape)) * lsb / 2,  # ties everywhere
              rng.normal(0, 1, (1, *info.in_shape)).astype(np.float32)):  # a batch of one
        assert np.array_equal(drv.quantize_image(x, info), qg.quantize_input(x))


def test_quantize_image_refuses_what_the_golden_model_refuses(pipeline, info):
    _, qg, x = pipeline
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y[3, 4, 1] = bad
        with pytest.raises(ValueError, match="NaN or infinity"):
            drv.quantize_image(y, info)
        with pytest.raises(FpgagenError, match="NaN or infinity"):
            qg.quantize_input(y)
    with pytest.raises(ValueError, match=r"shape 32x3x32, expected 32x32x3 \(HxWxC\)"):
        drv.quantize_image(x.transpose(0, 2, 1), info)
    with pytest.raises(ValueError, match="shape 2x32x32x3"):
        drv.quantize_image(np.stack([x, x]), info)
    with pytest.raises(TypeError, match="predict_int"):
        drv.quantize_image(np.zeros(info.in_shape, np.uint8), info)


# --- packing -------------------------------------------------------------------------------------


def test_pack_image_writes_the_documented_bytes():
    """16-bit signed values, 5 per image: 10 payload bytes, the last 32-bit beat half full."""
    info = make_info(16, 8, True, shape=(1, 1, 5), out_width=16, out_count=5)
    x = np.array([-1, 2, 0x1234, -32768, 32767]).reshape(1, 1, 5)
    data = drv.pack_image(x, info)
    assert data == bytes.fromhex("ffff 0200 3412 0080 ff7f 0000")
    assert len(data) == info.in_buffer_bytes == 12
    words = drv.beat_words(data, info.in_payload_bytes, info.tdata_bytes)
    assert words == [(0x0002FFFF, 0xF, False), (0x80001234, 0xF, False),
                     (0x00007FFF, 0x3, True)]
    assert np.array_equal(drv.unpack_logits(data, info), x.reshape(-1))
    info64 = make_info(16, 8, True, shape=(1, 1, 5), tdata_bits=64)
    assert drv.pack_image(x, info64) == data + bytes(4)


@pytest.mark.parametrize("width, signed", [(8, True), (8, False), (16, True), (16, False),
                                           (12, True), (3, False), (32, True), (64, True)])
@pytest.mark.parametrize("tdata_bits", [32, 64])
def test_pack_unpack_round_trip(width, signed, tdata_bits):
    info = make_info(width, 0, signed, shape=(3, 1, 7), tdata_bits=tdata_bits, out_width=width,
                     out_signed=signed, out_count=21)
    t = FixedType(width, 0, signed) if width < 64 or signed else None
    lo, hi = (t.qmin, t.qmax) if t else (0, 0)
    rng = np.random.default_rng(width)
    x = rng.integers(lo, hi, info.in_shape, endpoint=True, dtype=np.int64)
    x.flat[:2] = lo, hi
    data = drv.pack_image(x, info)
    assert len(data) == info.in_buffer_bytes
    assert data[info.in_payload_bytes:] == bytes(info.in_buffer_bytes - info.in_payload_bytes)
    assert np.array_equal(drv.unpack_logits(data, info), x.reshape(-1))
    # a uint8 numpy buffer (what pynq.allocate gives) unpacks the same
    assert np.array_equal(drv.unpack_logits(np.frombuffer(data, np.uint8), info), x.reshape(-1))


def test_pack_and_unpack_refuse_wrong_input(info):
    x = np.zeros(info.in_shape, np.int64)
    with pytest.raises(TypeError, match="quantize it first"):
        drv.pack_image(x.astype(np.float32), info)
    with pytest.raises(ValueError, match="expected 32x32x3"):
        drv.pack_image(x[:, :, :2], info)
    x[0, 0, 0] = 128  # ap_fixed<8,3> holds -128..127
    with pytest.raises(ValueError, match="outside the 8-bit signed range"):
        drv.pack_image(x, info)
    with pytest.raises(ValueError, match="10 logits of 1 bytes need 10"):
        drv.unpack_logits(bytes(9), info)


def test_dequantize_logits_is_exact(small, info):
    q = golden(small)
    y = drv.dequantize_logits(q, info)
    assert y.dtype == np.float64
    assert np.array_equal(y, q / 2.0 ** info.out_frac)


def test_the_copied_driver_runs_without_pynq_or_fpgagen(small, tmp_path):
    code = ("import sys; import numpy as np; sys.path.insert(0, sys.argv[1]); "
            "import fpgagen_driver as d; info = d.BuildInfo.load(sys.argv[1]); "
            "x = d.quantize_image(np.zeros(info.in_shape, np.float32), info); "
            "assert len(d.pack_image(x, info)) == info.in_buffer_bytes; "
            "assert 'pynq' not in sys.modules and 'fpgagen' not in sys.modules; "
            "print('ok', sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pynq', 'fpgagen')))")
    res = subprocess.run([sys.executable, "-I", "-c", code, str(small / "driver")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok []"


# --- the C driver ------------------------------------------------------------------------------


def test_c_packs_the_build_input_like_python(small, info, harness, tmp_path):
    x = np.load(small / "vectors" / "input.npy")
    run_c(harness, "pack", write_ints(tmp_path / "in.txt", x), tmp_path / "in.bin")
    assert (tmp_path / "in.bin").read_bytes() == drv.pack_image(x, info)


def test_c_unpacks_logits_like_python(small, info, harness, tmp_path):
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, info.out_buffer_bytes, dtype=np.uint8).tobytes()
    for data in (golden_bytes(small, info), noise):  # noise: garbage in the padding too
        (tmp_path / "out.bin").write_bytes(data)
        run_c(harness, "unpack", tmp_path / "out.bin", tmp_path / "out.txt")
        assert np.array_equal(read_ints(tmp_path / "out.txt"), drv.unpack_logits(data, info))
    assert np.array_equal(drv.unpack_logits(golden_bytes(small, info), info), golden(small))


@pytest.mark.parametrize("width, signed, tdata, count", [
    (16, 1, 4, 5), (16, 0, 8, 7), (12, 1, 4, 3), (8, 1, 8, 13), (8, 0, 4, 4), (32, 1, 8, 3),
    (5, 0, 4, 9), (64, 1, 4, 3), (2, 1, 8, 1)])
def test_c_pack_unpack_any_type_like_python(harness, tmp_path, width, signed, tdata, count):
    t = FixedType(width, 0, bool(signed))
    rng = np.random.default_rng(width * 10 + count)
    x = rng.integers(t.qmin, t.qmax, count, endpoint=True, dtype=np.int64)
    x[0] = t.qmin if count == 1 else x[0]
    x[-1] = t.qmax if count > 1 else x[-1]
    run_c(harness, "packv", width, signed, tdata, write_ints(tmp_path / "v.txt", x),
          tmp_path / "v.bin")
    data = (tmp_path / "v.bin").read_bytes()
    assert data == drv.pack_values(x, width, bool(signed), tdata)
    noise = rng.integers(0, 256, len(data), dtype=np.uint8).tobytes()
    for d in (data, noise):
        (tmp_path / "u.bin").write_bytes(d)
        run_c(harness, "unpackv", width, signed, count, tmp_path / "u.bin", tmp_path / "u.txt")
        assert np.array_equal(read_ints(tmp_path / "u.txt"),
                              drv.unpack_values(d, width, bool(signed), count))
    bad = write_ints(tmp_path / "bad.txt", [t.qmax + 1] if width < 64 else [])
    if width < 64:  # out of range is refused, not wrapped
        res = run_c(harness, "packv", width, signed, tdata, bad, tmp_path / "bad.bin", ok=False)
        assert res.returncode == 1 and res.stdout.startswith("rc -2")


@pytest.mark.parametrize("rounding, saturation", MODES)
def test_c_quantizes_like_python(harness, tmp_path, rounding, saturation):
    for width, frac, signed in TYPES:
        t = FixedType(width, frac, signed)
        x = edge_values(t, seed=frac + 50)
        (tmp_path / "x.txt").write_text("".join(f"{float(v).hex()}\n" for v in x))
        run_c(harness, "quantize", width, frac, int(signed), C_ROUNDING[rounding],
              C_SATURATION[saturation], tmp_path / "x.txt", tmp_path / "q.txt")
        assert np.array_equal(read_ints(tmp_path / "q.txt"),
                              quantize_float(x, t, rounding, saturation)), (t, rounding)
    (tmp_path / "x.txt").write_text("1.0\nnan\n")
    res = run_c(harness, "quantize", 8, 4, 1, 0, 0, tmp_path / "x.txt", tmp_path / "q.txt",
                ok=False)
    assert res.returncode == 1 and res.stdout.startswith("rc -2")


def test_c_quantizes_the_build_input_like_python(small, info, pipeline, harness, tmp_path):
    x = pipeline[2]
    (tmp_path / "x.txt").write_text("".join(f"{float(v).hex()}\n" for v in x.reshape(-1)))
    run_c(harness, "quantize_image", tmp_path / "x.txt", tmp_path / "q.txt")
    assert np.array_equal(read_ints(tmp_path / "q.txt"), drv.quantize_image(x, info).reshape(-1))


def _c_run(small, info, harness, tmp_path, bid: int, status: int = 0):
    x = np.load(small / "vectors" / "input.npy")
    (tmp_path / "golden.bin").write_bytes(golden_bytes(small, info))
    return run_c(harness, "run", write_ints(tmp_path / "in.txt", x), tmp_path / "golden.bin",
                 hex(bid), status, tmp_path / "logits.txt", tmp_path / "sent.bin", ok=False)


def test_c_infer_runs_the_documented_sequence(small, info, harness, tmp_path):
    res = _c_run(small, info, harness, tmp_path, info.build_id)
    assert res.returncode == 0, res.stdout + res.stderr
    x = np.load(small / "vectors" / "input.npy")
    assert (tmp_path / "sent.bin").read_bytes() == drv.pack_image(x, info)
    assert np.array_equal(read_ints(tmp_path / "logits.txt"), golden(small))
    log = res.stdout.splitlines()
    assert "SIM ERROR" not in res.stdout and "cycles 4242" in log
    arm = log.index(f"W dma 0x58 0x{info.out_buffer_bytes:x}")   # S2MM_LENGTH
    start = log.index("W core 0x00 0x1")                          # ap_start
    send = log.index(f"W dma 0x28 0x{info.in_buffer_bytes:x}")    # MM2S_LENGTH
    flush = log.index(f"flush {info.in_buffer_bytes}")
    assert arm < start < flush < send
    # after the logits arrived (an invalidate before arming is the buffer's own)
    assert f"invalidate {info.out_buffer_bytes}" in log[send:]
    assert any(line.startswith("W dma 0x48 ") for line in log[:arm])  # S2MM_DA first
    assert any(line.startswith("W dma 0x18 ") for line in log[start:send])  # MM2S_SA


def test_c_infer_accepts_the_hls_core_and_refuses_a_wrong_bitstream(small, info, harness,
                                                                    tmp_path):
    # the HLS core: no BUILD_ID, CYCLES or STATUS; its 4-bit control slave aliases 0x10 to
    # AP_CTRL (the simulated core reports any read of 0x10 or 0x14 as an error)
    res = _c_run(small, info, harness, tmp_path, 0)
    assert res.returncode == 0, res.stdout
    assert "cycles unavailable" in res.stdout and "SIM ERROR" not in res.stdout
    res = _c_run(small, info, harness, tmp_path, info.build_id ^ 1)
    assert res.returncode == 1 and "rc -6 wrong bitstream" in res.stdout
    # refused before touching the DMA or starting the core (IER is only cleared and restored
    # around the BUILD_ID read, which an HLS core aliases to IER)
    assert all(line == "W core 0x08 0x0" for line in res.stdout.splitlines()
               if line.startswith("W "))
    res = _c_run(small, info, harness, tmp_path, info.build_id, status=1)
    assert res.returncode == 1 and "rc -5 input frame error" in res.stdout


def test_c_cycles_and_status_are_not_available_on_the_hls_core(harness, info):
    """On the Verilog core CYCLES and STATUS are read; on the HLS core (BUILD_ID 0) neither is
    read (its 0x10 is AP_CTRL, 0x14 GIE): both say FPGAGEN_ERR_UNAVAILABLE."""
    def lines(build_id: int, status: int) -> list[str]:
        out = run_c(harness, "regs", hex(build_id), status).stdout.splitlines()
        assert {ln for ln in out if ln.startswith("W ")} <= {"W core 0x08 0x0"}  # IER only
        return [ln for ln in out if not ln.startswith("W ")]

    unavailable = "not available on this core (the HLS core has no CYCLES or STATUS register)"
    assert lines(info.build_id, 1) == ["cycles rc 0 value 4242", "status rc 0 value 1",
                                       unavailable]
    assert lines(0, 0) == ["cycles rc -8 value 0", "status rc -8 value 0", unavailable]


@pytest.mark.parametrize("isr", [0x0, 0x1, 0x2, 0x3])
def test_c_interrupt_enable_and_acknowledge(harness, isr):
    """IER then GIE; the acknowledge writes only the ISR bits that are set (a write of 1
    toggles), so it clears them and never sets one; disable clears GIE then IER."""
    log = run_c(harness, "irq", isr).stdout.splitlines()
    ack = [f"W core 0x0c 0x{isr:x}"] if isr else []
    assert log == ["W core 0x08 0x1", "W core 0x04 0x1", f"isr 0x{isr:x}", *ack, "isr 0x0",
                   "W core 0x04 0x0", "W core 0x08 0x0"]


# --- the PYNQ Accelerator against a fake pynq ------------------------------------------------


class FakeBoard:
    """A fake ``pynq`` module: an overlay with the core (its registers behave as the contract
    says) and an AXI DMA whose channels move the bytes at once; every step is logged. The
    core's weight loader: WEIGHTS = 1 arms it, the next send is the weights (their CRC-32 in
    WEIGHTS_CRC, loaded when the length is ``weights_bytes``); ``fault`` 1 flips a byte on the
    way, 2 loses a beat. A start without loaded weights is refused (STATUS bit 2)."""

    CORE, DMA = 0x43C0_0000, 0x4040_0000

    def __init__(self, golden: bytes, build_id: int, status: int = 0, answers: bool = True,
                 loaded: bool = True, weights_bytes: int = 0, tdata_bytes: int = 4,
                 fault: int = 0):
        self.golden, self.build_id, self.status, self.answers = golden, build_id, status, answers
        self.wstate = drv.WEIGHTS_LOADED if loaded else 0
        self.wcrc, self.load_armed, self.fault = 0, False, fault
        self.weights_bytes, self.tdata_bytes = weights_bytes, tdata_bytes
        self.loaded_bytes: bytes | None = None
        self.log: list[tuple] = []
        self.buffers: list[np.ndarray] = []
        self.sent: bytes | None = None
        self.started = self.done = False
        self.ier = 0
        self.recv_buffer: np.ndarray | None = None
        board = self

        class Buffer(np.ndarray):
            def flush(self) -> None:
                board.log.append(("flush", self.nbytes))

            def invalidate(self) -> None:
                board.log.append(("invalidate", self.nbytes))

            def freebuffer(self) -> None:
                board.log.append(("free", self.nbytes))

        class MMIO:
            def __init__(self, base: int, length: int) -> None:
                assert base == board.CORE and length >= 0x40
                board.log.append(("mmio", base))

            def read(self, off: int) -> int:
                board.log.append(("read", off))
                return board.read(off)

            def write(self, off: int, value: int) -> None:
                board.log.append(("write", off, value))
                if off == drv.AP_CTRL and value & drv.AP_START:
                    if board.build_id and not board.wstate & drv.WEIGHTS_LOADED:
                        board.status |= drv.STATUS_START_REFUSED
                    else:
                        board.started = True
                if off == drv.IER:
                    board.ier = value & 3
                if off == drv.WEIGHTS and value & drv.WEIGHTS_LOAD and board.build_id:
                    board.load_armed, board.wstate = True, drv.WEIGHTS_BUSY

        class Channel:
            def __init__(self, name: str) -> None:
                self.name, self.idle, self.transferred = name, True, 0

            def transfer(self, buf: np.ndarray) -> None:
                board.log.append((self.name, "transfer", buf.nbytes))
                if self.name == "send" and board.load_armed:
                    buf.flush()
                    assert not board.started, "weights sent while the core runs"
                    board.load(bytes(np.asarray(buf)))
                elif self.name == "send":
                    buf.flush()  # as PYNQ's send channel does
                    assert board.started, "input sent before ap_start"
                    board.sent = bytes(np.asarray(buf))
                    if board.answers and not board.status:
                        board.finish()
                else:
                    self.idle, board.recv_buffer = False, buf

            def wait(self) -> None:
                board.log.append((self.name, "wait"))
                if self.name == "recv":
                    board.recv_buffer.invalidate()

        self.send, self.recv = Channel("send"), Channel("recv")
        dma = types.SimpleNamespace(sendchannel=self.send, recvchannel=self.recv)

        class Overlay:
            def __init__(self, bitfile: str) -> None:
                board.log.append(("overlay", bitfile))
                self.ip_dict = {"fpgagen_0": {"phys_addr": board.CORE, "addr_range": 0x10000},
                                "axi_dma_0": {"phys_addr": board.DMA, "addr_range": 0x10000}}
                self.axi_dma_0 = dma

        def allocate(shape: tuple[int, ...], dtype: object) -> np.ndarray:
            buf = np.zeros(shape, dtype).view(Buffer)
            board.buffers.append(buf)
            return buf

        self.module = types.ModuleType("pynq")
        self.module.Overlay, self.module.MMIO, self.module.allocate = Overlay, MMIO, allocate

    def load(self, data: bytes) -> None:
        got = bytearray(data)
        if self.fault == 1:
            got[len(got) // 2] ^= 0x10
        if self.fault == 2:
            got = got[:-self.tdata_bytes]
        self.loaded_bytes = bytes(got)
        self.wcrc = drv.weights_crc(bytes(got))
        self.wstate = (drv.WEIGHTS_LOADED if len(got) == self.weights_bytes
                       else drv.WEIGHTS_ERROR)
        self.load_armed = False

    def finish(self) -> None:
        assert self.recv_buffer is not None, "logits' channel not armed"
        self.recv_buffer[:len(self.golden)] = np.frombuffer(self.golden, np.uint8)
        self.recv.idle, self.recv.transferred = True, len(self.golden)
        self.started, self.done = False, True

    def read(self, off: int) -> int:
        if not self.build_id:
            # the Vitis HLS core: 4 address bits; 0x10 is AP_CTRL again, 0x14 GIE, 0x18 IER
            assert off not in (drv.CYCLES, drv.STATUS), f"read of the HLS core's 0x{off:02x}"
            off &= 0xF
        if off == drv.AP_CTRL:
            v = (drv.AP_DONE if self.done else 0) | (0 if self.started else drv.AP_IDLE)
            self.done = False  # clear on read
            return v
        if off == drv.IER:
            return self.ier
        if not self.build_id:  # the HLS core: 4 address bits, no fpgagen registers
            return 0
        loaded = drv.STATUS_LOADED if self.wstate & drv.WEIGHTS_LOADED else 0
        return {drv.BUILD_ID: self.build_id, drv.CYCLES: 4242, drv.STATUS: self.status | loaded,
                drv.WEIGHTS: self.wstate, drv.WEIGHTS_CRC: self.wcrc}.get(off, 0)

    def steps(self) -> list[tuple]:
        """The log without the reads of AP_CTRL while polling."""
        return [e for e in self.log if e[0] != "read" or e[1] != drv.AP_CTRL]


@pytest.fixture
def copied_driver(small, monkeypatch) -> types.ModuleType:
    """The driver as a board runs it: the file in the build's driver/, imported on its own."""
    spec = importlib.util.spec_from_file_location("fpgagen_driver_copy",
                                                  small / "driver" / "fpgagen_driver.py")
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, mod)  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def fake_pynq(monkeypatch, small, info, **kw) -> FakeBoard:
    board = FakeBoard(golden_bytes(small, info), **{
        "build_id": info.build_id, "weights_bytes": info.weights_bytes,
        "tdata_bytes": info.tdata_bytes, **kw})
    monkeypatch.setitem(sys.modules, "pynq", board.module)
    return board


def test_accelerator_predicts_the_golden_logits(small, info, copied_driver, monkeypatch):
    board = fake_pynq(monkeypatch, small, info)
    acc = copied_driver.Accelerator("fpgagen.bit")  # build.json beside the driver file
    x_int = np.load(small / "vectors" / "input.npy")
    x = np.ldexp(x_int, -info.in_frac).astype(np.float32)  # exactly the build's integers
    board.log.clear()
    logits = acc.predict(x)
    assert np.array_equal(logits, golden(small) / 2.0 ** info.out_frac)
    assert board.sent == drv.pack_image(x_int, info)
    steps = board.steps()
    order = [("recv", "transfer", info.out_buffer_bytes),
             ("write", drv.AP_CTRL, drv.AP_START),
             ("send", "transfer", info.in_buffer_bytes), ("flush", info.in_buffer_bytes),
             ("send", "wait"), ("recv", "wait"), ("invalidate", info.out_buffer_bytes),
             ("read", drv.STATUS), ("read", drv.CYCLES)]
    assert [e for e in steps if e in order] == order
    assert acc.last_run.cycles == 4242
    assert acc.last_run.latency_ms == pytest.approx(4242 / (info.clock_mhz * 1e3))
    # again, with the same two buffers, through predict_int
    assert np.array_equal(acc.predict_int(x_int), golden(small))
    assert len(board.buffers) == 2
    acc.close()
    assert ("free", info.in_buffer_bytes) in board.log


def test_accelerator_refuses_a_wrong_bitstream(small, info, monkeypatch):
    board = fake_pynq(monkeypatch, small, info, build_id=info.build_id ^ 0x100)
    with pytest.raises(drv.DriverError, match=r"wrong bitstream for this build folder.*"
                                              f"0x{info.build_id ^ 0x100:08x}"):
        drv.Accelerator("other.bit", build_json=small / "driver" / "build.json")
    assert not board.buffers  # refused before allocating anything


def test_accelerator_runs_the_hls_core_without_its_extra_registers(small, info, monkeypatch):
    board = fake_pynq(monkeypatch, small, info, build_id=0)
    acc = drv.Accelerator("hls.bit", build_json=small)
    assert acc.hls_core
    assert np.array_equal(acc.predict_int(np.load(small / "vectors" / "input.npy")),
                          golden(small))
    # not available: CYCLES (the HLS core's AP_CTRL) and STATUS (its GIE) are never read
    assert acc.last_run.cycles is None and acc.last_run.latency_ms is None
    assert ("read", drv.STATUS) not in board.log and ("read", drv.CYCLES) not in board.log


def test_accelerator_reports_frame_errors_and_timeouts(small, info, monkeypatch):
    x_int = np.load(small / "vectors" / "input.npy")
    board = fake_pynq(monkeypatch, small, info, status=drv.STATUS_FRAME_ERROR)
    acc = drv.Accelerator("a.bit", build_json=small, timeout_s=0.05)
    with pytest.raises(drv.DriverError, match="input frame error"):
        acc.predict_int(x_int)
    board = fake_pynq(monkeypatch, small, info, answers=False)
    acc = drv.Accelerator("a.bit", build_json=small, timeout_s=0.05)
    with pytest.raises(drv.DriverError, match="DMA timed out receiving the logits"):
        acc.predict_int(x_int)
    board.started = True  # a run that never finished
    with pytest.raises(drv.DriverError, match="core is busy"):
        acc.predict_int(x_int)


def test_accelerator_refuses_wrong_images_and_names(small, info, monkeypatch):
    fake_pynq(monkeypatch, small, info)
    with pytest.raises(drv.DriverError, match=r"no IP 'core_0' in the overlay.*axi_dma_0"):
        drv.Accelerator("a.bit", build_json=small, core="core_0")
    acc = drv.Accelerator("a.bit", build_json=small)
    x = np.zeros(info.in_shape, np.float32)
    with pytest.raises(ValueError, match="expected 32x32x3"):
        acc.predict(x[:16])
    with pytest.raises(TypeError, match="predict_int"):
        acc.predict(x.astype(np.int8))
    with pytest.raises(TypeError, match="quantize it first"):
        acc.predict_int(x)


# --- weights: loaded at run time ---------------------------------------------------------------


def test_accelerator_loads_the_build_weights_when_the_bitstream_holds_none(small_rt,
                                                                          monkeypatch):
    """A runtime build: the Accelerator loads driver/weights.bin on open (WEIGHTS = 1, the file
    through the input DMA, WEIGHTS polled, WEIGHTS_CRC compared), then predicts."""
    info = drv.BuildInfo.load(small_rt)
    board = fake_pynq(monkeypatch, small_rt, info, loaded=False)
    acc = drv.Accelerator("a.bit", build_json=small_rt)
    wbin = (small_rt / "driver" / "weights.bin").read_bytes()
    assert board.loaded_bytes == wbin and acc.weights_crc == info.weights_crc
    steps = board.steps()
    order = [("read", drv.WEIGHTS), ("write", drv.WEIGHTS, drv.WEIGHTS_LOAD),
             ("send", "transfer", len(wbin)), ("send", "wait"), ("read", drv.WEIGHTS),
             ("read", drv.WEIGHTS_CRC)]
    it = iter(steps)
    assert all(e in it for e in order), steps  # in this order (a subsequence of the log)
    assert ("free", len(wbin)) in steps
    assert steps.index(("read", drv.BUILD_ID)) < steps.index(order[0]), "BUILD_ID first"
    x_int = np.load(small_rt / "vectors" / "input.npy")
    assert np.array_equal(acc.predict_int(x_int), golden(small_rt))


def test_accelerator_load_weights_refuses_and_reports(small, small_rt, info, monkeypatch,
                                                      tmp_path):
    rt = drv.BuildInfo.load(small_rt)
    wbin = (small_rt / "driver" / "weights.bin").read_bytes()
    # a start with no weights loaded: refused by the driver before anything moves
    board = fake_pynq(monkeypatch, small, info, loaded=False)
    acc = drv.Accelerator("a.bit", build_json=small)  # a bitstream build: no load on open
    assert board.loaded_bytes is None
    board.log.clear()
    with pytest.raises(drv.DriverError, match=r"weights are not loaded.*load_weights"):
        acc.predict_int(np.load(small / "vectors" / "input.npy"))
    assert not [e for e in board.log if e[0] in ("send", "recv", "write")]
    # another length: refused before any transfer, with both lengths named
    with pytest.raises(drv.DriverError, match=rf"{len(wbin) - 4} bytes, this build loads "
                                              rf"{len(wbin)}"):
        acc.load_weights(wbin[:-4])
    (tmp_path / "w.bin").write_bytes(wbin)
    assert acc.load_weights(tmp_path / "w.bin") == rt.weights_crc  # a path works too
    with pytest.raises(drv.DriverError, match="cannot read weights file"):
        acc.load_weights(tmp_path / "missing.bin")
    # a byte changed on the way: the CRC says so; a beat lost: the core says not loaded
    board = fake_pynq(monkeypatch, small_rt, rt, loaded=False, fault=1)
    with pytest.raises(drv.DriverError, match=r"did not arrive intact.*WEIGHTS_CRC"):
        drv.Accelerator("a.bit", build_json=small_rt)
    board = fake_pynq(monkeypatch, small_rt, rt, loaded=False, fault=2)
    with pytest.raises(drv.DriverError, match=r"weight load failed.*every start is refused"):
        drv.Accelerator("a.bit", build_json=small_rt)
    # the build's weights.bin missing beside build.json
    for name in ("build.json", "fpgagen_driver.py"):
        (tmp_path / "drv").mkdir(exist_ok=True)
        (tmp_path / "drv" / name).write_bytes((small_rt / "driver" / name).read_bytes())
    fake_pynq(monkeypatch, small_rt, rt, loaded=False)
    with pytest.raises(drv.DriverError, match=r"holds no weights and .*weights\.bin is missing"):
        drv.Accelerator("a.bit", build_json=tmp_path / "drv")
    # the HLS core has no load mode
    fake_pynq(monkeypatch, small, info, build_id=0)
    acc = drv.Accelerator("a.bit", build_json=small)
    with pytest.raises(drv.DriverError, match="no weight load mode"):
        acc.load_weights(wbin)


@pytest.fixture(scope="module")
def harness_rt(small_rt, tmp_path_factory) -> Path:
    exe = tmp_path_factory.mktemp("cdrv_rt") / "driver_pack_main"
    d = small_rt / "driver"
    res = subprocess.run(["gcc", *CFLAGS, "-I", str(d), "-o", str(exe), str(HARNESS),
                          str(SIM), str(d / "fpgagen_driver.c"), "-lm"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return exe


@pytest.mark.parametrize("fault", [0, 1, 2], ids=["intact", "flipped-byte", "lost-beat"])
def test_c_load_weights_then_infer(small_rt, harness_rt, tmp_path, fault):
    """fpgagen_load_weights on a core whose bitstream holds no weights: the infer before it is
    refused (ERR_WEIGHTS, nothing sent), the load writes WEIGHTS then sends the file, the CRC
    is the file's zlib CRC; a corrupted or short load is ERR_WEIGHTS."""
    rt = drv.BuildInfo.load(small_rt)
    x = np.load(small_rt / "vectors" / "input.npy")
    (tmp_path / "golden.bin").write_bytes(golden_bytes(small_rt, rt))
    res = run_c(harness_rt, "wload", write_ints(tmp_path / "in.txt", x), tmp_path / "golden.bin",
                small_rt / "driver" / "weights.bin", fault, tmp_path / "logits.txt", ok=False)
    assert res.returncode == 0, res.stdout + res.stderr
    log = res.stdout.splitlines()
    assert "SIM ERROR" not in res.stdout
    before = log.index(f"before {-9}")
    assert not [line for line in log[:before] if line.startswith("W core 0x00")
                or line.startswith("W dma 0x28")], "the refused infer started or sent"
    arm = log.index("W core 0x1c 0x1")
    send = log.index(f"W dma 0x28 0x{rt.weights_bytes:x}")
    assert before < arm < send
    load = next(line for line in log if line.startswith("load "))
    if fault == 0:
        assert load == f"load 0 0x{rt.weights_crc:08x}"
        assert "after 0" in log
        assert np.array_equal(read_ints(tmp_path / "logits.txt"), golden(small_rt))
    else:
        assert load == f"load -9 0x{rt.weights_crc:08x}"
        assert not any(line.startswith("after") for line in log)


def test_c_load_weights_refuses_another_length(small_rt, harness_rt, tmp_path):
    rt = drv.BuildInfo.load(small_rt)
    x = np.load(small_rt / "vectors" / "input.npy")
    (tmp_path / "golden.bin").write_bytes(golden_bytes(small_rt, rt))
    (tmp_path / "short.bin").write_bytes((small_rt / "driver" / "weights.bin").read_bytes()[:-4])
    res = run_c(harness_rt, "wload", write_ints(tmp_path / "in.txt", x), tmp_path / "golden.bin",
                tmp_path / "short.bin", 0, tmp_path / "logits.txt", ok=False)
    assert res.returncode == 0 and "load -1 " in res.stdout
    assert "W core 0x1c" not in res.stdout, "refused before asking the core for a load"


def test_c_crc32_is_zlibs(harness, tmp_path):
    import zlib
    data = bytes(range(256)) * 3 + b"123456789"
    (tmp_path / "d.bin").write_bytes(data)
    res = run_c(harness, "crc", tmp_path / "d.bin")
    assert res.stdout.split() == [f"0x{zlib.crc32(data):08x}"]


# --- images: predict_image preprocesses as fpgagen run --------------------------------------------


@pytest.fixture(scope="module")
def photo_build(tmp_path_factory) -> tuple[Path, Path]:
    """The small net built from a 53x41 RGB PNG (ImageNet preprocessing: resize, crop):
    (build folder, the PNG)."""
    from PIL import Image

    tmp = tmp_path_factory.mktemp("photo")
    png = tmp / "photo.png"
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 256, (41, 53, 3)).astype(np.uint8), "RGB").save(png)
    model = write_small_onnx(tmp / "small.onnx")
    out = tmp / "small"
    assert main(["build", "--model", str(model), "--board", "zynq", "--pe", "8x8", "-q",
                 "--input", str(png), "-o", str(out)]) == 0
    return out, png


def test_predict_image_is_the_builds_input_and_logits(photo_build, monkeypatch):
    from PIL import Image

    out, png = photo_build
    info = drv.BuildInfo.load(out)
    assert info.preprocess == "imagenet" and len(info.mean) == 3
    x_int = np.load(out / "vectors" / "input.npy")
    assert np.array_equal(drv.quantize_image(drv.preprocess_image(png, info), info), x_int)
    pixels = np.asarray(Image.open(png).convert("RGB"))  # decoded elsewhere: the same input
    assert np.array_equal(drv.quantize_image(drv.preprocess_image(pixels, info), info), x_int)
    fake_pynq(monkeypatch, out, info)
    acc = drv.Accelerator("fpgagen.bit", build_json=out)
    logits = acc.predict_image(png)
    assert np.array_equal(logits, golden(out) / 2.0 ** info.out_frac)
    top = drv.top_classes(logits, info)
    assert [c for c, _, _ in top] == [int(i) for i in np.argsort(-logits, kind="stable")[:5]]
    assert all(name == "" for _, name, _ in top)  # the small net has no class names


def test_predict_image_refuses_what_is_not_pixels(photo_build, tmp_path):
    out, _ = photo_build
    info = drv.BuildInfo.load(out)
    with pytest.raises(drv.DriverError, match="uint8 pixels"):
        drv.preprocess_image(np.zeros((32, 32, 3), np.float32), info)
    with pytest.raises(drv.DriverError, match="H x W x 3"):
        drv.preprocess_image(np.zeros((4, 4, 2), np.uint8), info)
    with pytest.raises(drv.DriverError, match="does not exist"):
        drv.preprocess_image(tmp_path / "none.png", info)
    raw = json.loads((out / "driver" / "build.json").read_text())
    raw["preprocess"] = None
    with pytest.raises(drv.DriverError, match="records no preprocessing"):
        drv.preprocess_image(np.zeros((4, 4, 3), np.uint8), drv.BuildInfo.from_dict(raw))


def test_accelerator_without_pynq_is_one_driver_error(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynq", None)  # import pynq fails as where it is missing
    with pytest.raises(drv.DriverError, match=r"^Accelerator needs the pynq package"):
        drv.Accelerator("fpgagen.bit", build_json=small)
