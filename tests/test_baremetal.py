"""driver/baremetal/: the Vitis standalone program of a build, compiled with gcc -std=c99 -Wall
-Wextra -Werror against stub BSP headers (tests/c/bsp/) and run against the simulated core and
AXI DMA of tests/c/fpgagen_sim.c, behind the driver's register hooks: it must print the golden
top-5 and PASS, call the BSP's cache maintenance on the DMA buffers, load weights.bin first when
the bitstream holds none, and say FAIL on a wrong logit or bitstream.

The digits model on the PYNQ-Z2 (a build of ~6 s; two builds: bitstream and run-time weights).
"""

from __future__ import annotations

import filecmp
import os
import re
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from fpgagen.cli.main import main
from fpgagen.driver import fpgagen_driver as drv
from fpgagen.frontend.labels import RANDOM_WEIGHTS_NOTE
from fpgagen.system.baremetal import APP_DIR, app_data_header, c_string

ROOT = Path(__file__).resolve().parent.parent
CDIR = ROOT / "tests" / "c"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Wpedantic"]


def _build(tmp_path_factory, *extra: str) -> Path:
    out = tmp_path_factory.mktemp("baremetal") / "digits"
    assert main(["build", "--board", "pynq-z2", "--model", "digits", "-q", "-o", str(out),
                 *extra]) == 0
    return out


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> Path:
    return _build(tmp_path_factory)


@pytest.fixture(scope="module")
def digits_rt(tmp_path_factory) -> Path:
    return _build(tmp_path_factory, "--weight-source", "runtime")


def compile_app(build: Path, exe: Path, *defines: str) -> Path:
    """main.c (its main renamed) + the driver + the simulator + the BSP stubs -> exe."""
    app = build / "driver" / "baremetal"
    res = subprocess.run(["gcc", *CFLAGS, *defines, "-I", str(app), "-I", str(CDIR / "bsp"),
                          "-I", str(CDIR), "-Dmain=fpgagen_app_main", "-c", str(app / "main.c"),
                          "-o", str(exe) + ".o"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    res = subprocess.run(["gcc", *CFLAGS, "-I", str(app), "-I", str(CDIR / "bsp"), "-o", str(exe),
                          str(exe) + ".o", str(app / "fpgagen_driver.c"),
                          str(CDIR / "fpgagen_sim.c"), str(CDIR / "baremetal_stub.c"), "-lm"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return exe


@pytest.fixture(scope="module")
def app(digits, tmp_path_factory) -> Path:
    return compile_app(digits, tmp_path_factory.mktemp("app") / "app")


def golden(build: Path) -> np.ndarray:
    return np.load(build / "vectors" / "output.npy").reshape(-1).astype(np.int64)


def golden_file(build: Path, path: Path, logits: np.ndarray | None = None) -> Path:
    """The output-stream bytes of ``logits`` (default the golden ones), as the core sends
    them."""
    info = drv.BuildInfo.load(build)
    y = golden(build) if logits is None else logits
    path.write_bytes(bytes(drv.pack_values(y, info.out_width, info.out_signed,
                                           info.tdata_bytes)))
    return path


def run_app(exe: Path, golden_bin: Path, build_id: int | None = None
            ) -> subprocess.CompletedProcess:
    env = {**os.environ, "FPGAGEN_SIM_GOLDEN": str(golden_bin)}
    if build_id is not None:
        env["FPGAGEN_SIM_BUILD_ID"] = hex(build_id)
    return subprocess.run([str(exe)], capture_output=True, text=True, env=env, timeout=60)


def header_array(text: str, name: str) -> np.ndarray:
    aligned = r"(?:__attribute__\(\(aligned\(64\)\)\)\s*)?"
    body = re.search(rf"{name}\[[A-Z_]+\]\s*{aligned}= \{{(.*?)\}};", text, re.S)
    assert body, name
    return np.array([int(v, 0) for v in re.findall(r"-?(?:0x)?[0-9a-f]+", body.group(1))])


def test_folder_holds_the_program_and_the_builds_driver(digits):
    app = digits / "driver" / "baremetal"
    assert sorted(p.name for p in app.iterdir()) == sorted(
        ["main.c", "fpgagen_driver.c", "fpgagen_driver.h", "fpgagen_build.h",
         "fpgagen_app_data.h", "README.md"])
    assert filecmp.cmp(app / "main.c", APP_DIR / "main.c", shallow=False)
    for name in ("fpgagen_driver.c", "fpgagen_driver.h", "fpgagen_build.h"):
        assert filecmp.cmp(app / name, digits / "driver" / name, shallow=False)
    readme = (app / "README.md").read_text()
    assert "ps7_cortexa9_0" in readme and "fpgagen.xsa" in readme
    assert "Xil_DCacheInvalidateRange" in readme


def test_data_header_is_the_vectors(digits):
    text = (digits / "driver" / "baremetal" / "fpgagen_app_data.h").read_text()
    x = np.load(digits / "vectors" / "input.npy").reshape(-1)
    assert np.array_equal(header_array(text, "fpgagen_app_image"), x)
    assert np.array_equal(header_array(text, "fpgagen_app_golden"), golden(digits))
    assert "fpgagen_app_weights" not in text  # the bitstream holds them
    assert re.search(r'fpgagen_app_class_names.*"0",\s*"1",', text, re.S)


def test_runs_to_pass_with_the_golden_top5(digits, app, tmp_path):
    res = run_app(app, golden_file(digits, tmp_path / "golden.bin"))
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "SIM ERROR" not in out and "PASS: 10 logits bit-exact" in out
    y = golden(digits)
    top = [int(m) for m in re.findall(r"^  \d\. class (\d+) ", out, re.M)]
    assert top == [int(i) for i in np.argsort(-y, kind="stable")[:5]]
    first = re.search(r"^  1\. class (\d+) (\S+): logit (-?\d+\.\d{3}) \(integer (-?\d+)\)", out,
                      re.M)
    assert first and first.group(2) == first.group(1)  # the digits' names are the digits
    frac = drv.BuildInfo.load(digits).out_frac
    assert int(first.group(4)) == y[top[0]]
    assert float(first.group(3)) == pytest.approx(y[top[0]] / 2 ** frac, abs=5e-4)
    assert "cycles: 4242 (42 us at 100 MHz" in out  # the simulated CYCLES register
    info = drv.BuildInfo.load(digits)
    # the DMA's buffers through the BSP's cache maintenance, not the driver's empty defaults
    assert re.search(rf"^flush 0x[0-9a-f]+ {info.in_buffer_bytes}$", out, re.M)
    assert re.search(rf"^invalidate 0x[0-9a-f]+ {info.out_buffer_bytes}$", out, re.M)
    lines = out.splitlines()
    send = lines.index(f"W dma 0x28 0x{info.in_buffer_bytes:x}")
    assert any(ln.startswith("flush 0x") for ln in lines[:send])


def test_a_wrong_logit_is_fail(digits, app, tmp_path):
    y = golden(digits).copy()
    y[3] += 1
    res = run_app(app, golden_file(digits, tmp_path / "bad.bin", y))
    assert res.returncode == 1 and "SIM ERROR" not in res.stdout
    assert f"first difference: logit 3 is {y[3]}, the golden model's {y[3] - 1}" in res.stdout
    assert "FAIL: 1 of 10 logits differ" in res.stdout and "PASS" not in res.stdout


def test_another_bitstream_is_fail(digits, app, tmp_path):
    res = run_app(app, golden_file(digits, tmp_path / "golden.bin"), build_id=0x12345678)
    assert res.returncode == 1
    assert "the core reports build 0x12345678" in res.stdout
    assert "FAIL: wrong bitstream" in res.stdout


def test_hls_core_has_no_cycles(digits, app, tmp_path):
    res = run_app(app, golden_file(digits, tmp_path / "golden.bin"), build_id=0)
    assert res.returncode == 0 and "SIM ERROR" not in res.stdout
    assert "cycles: unavailable" in res.stdout and "PASS" in res.stdout


def test_system_device_tree_names(digits, tmp_path):
    exe = compile_app(digits, tmp_path / "app_sdt", "-DFPGAGEN_STUB_SDT")
    res = run_app(exe, golden_file(digits, tmp_path / "golden.bin"))
    assert res.returncode == 0 and "PASS" in res.stdout


def test_no_base_address_is_a_compile_error(digits, tmp_path):
    app = digits / "driver" / "baremetal"
    empty = tmp_path / "bsp"
    empty.mkdir()
    for name in ("xil_types.h", "xil_cache.h", "xil_printf.h"):
        (empty / name).write_text((CDIR / "bsp" / name).read_text())
    (empty / "xparameters.h").write_text("/* no cells */\n")
    res = subprocess.run(["gcc", *CFLAGS, "-I", str(app), "-I", str(empty), "-fsyntax-only",
                          str(app / "main.c")], capture_output=True, text=True)
    assert res.returncode != 0 and "define FPGAGEN_CORE_BASEADDR" in res.stderr


def test_runtime_weights_are_loaded_first(digits_rt, tmp_path):
    text = (digits_rt / "driver" / "baremetal" / "fpgagen_app_data.h").read_text()
    wbin = (digits_rt / "driver" / "weights.bin").read_bytes()
    assert bytes(header_array(text, "fpgagen_app_weights").astype(np.uint8)) == wbin
    exe = compile_app(digits_rt, tmp_path / "app_rt")
    res = run_app(exe, golden_file(digits_rt, tmp_path / "golden.bin"))
    assert res.returncode == 0, res.stdout
    crc = re.search(r"^weights: (\d+) bytes loaded, CRC-32 (0x[0-9a-f]{8})", res.stdout, re.M)
    assert crc and int(crc.group(1)) == len(wbin)
    assert int(crc.group(2), 16) == zlib.crc32(wbin)
    lines = res.stdout.splitlines()
    # WEIGHTS = 1 before the image's start
    assert lines.index("W core 0x1c 0x1") < lines.index("W core 0x00 0x1")
    assert "PASS" in res.stdout and "SIM ERROR" not in res.stdout
    assert "weights.bin" in (digits_rt / "driver" / "baremetal" / "README.md").read_text()
    assert "note:" not in res.stdout  # the digits model's weights are trained


def test_random_weights_are_said(tmp_path):
    """A zoo network with its seeded random weights: the program says the names mean nothing
    before printing them."""
    out = tmp_path / "sq"
    assert main(["build", "--board", "zc706", "--model", "squeezenet", "--input-size", "32",
                 "--pe", "8x8", "-q", "-o", str(out)]) == 0
    exe = compile_app(out, tmp_path / "app")
    res = run_app(exe, golden_file(out, tmp_path / "golden.bin"))
    assert res.returncode == 0, res.stdout
    assert f"note: {RANDOM_WEIGHTS_NOTE}" in res.stdout
    assert res.stdout.index("note:") < res.stdout.index("top-5:")
    assert "PASS: 1000 logits" in res.stdout


def test_c_string_escapes():
    assert c_string('a "b" \\ ?') == '"a \\"b\\" \\\\ \\077"'
    assert c_string("crème") == '"cr\\303\\250me"'


def test_header_without_names_or_weights():
    text = app_data_header(np.arange(3), np.array([1, -(2 ** 40)]), None, None)
    assert "INT64_C(-1099511627776)" in text and "class_names" not in text
    assert 'return (void)i, "";' in text


def test_no_program_without_a_processing_system(tmp_path):
    out = tmp_path / "vc709"
    assert main(["build", "--board", "vc709", "--model", "digits", "-q", "-o", str(out)]) == 0
    assert (out / "driver" / "fpgagen_driver.c").is_file()
    assert not (out / "driver" / "baremetal").exists()
    assert not (out / "system" / "build.tcl").exists()
