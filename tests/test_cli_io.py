"""The CLI at its edges: where it writes (--out), what it reads (.npy dtypes) and a reader that
goes away (a closed pipe). Each failure is one line and an exit status that does not lie."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fpgagen.frontend.weights import random_weights
from fpgagen.frontend.zoo import load_model

SMALL = ("--model", "squeezenet", "--input-size", "32")


def _one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, (code, err)
    assert out == ""
    assert err.startswith("fpgagen: error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err


# --- item 5: --out is validated before any work ------------------------------------------------

@pytest.fixture
def no_quantize(monkeypatch):
    """Fail the test if the build gets as far as quantizing: the target must be refused first."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("quantized before --out was validated")

    monkeypatch.setattr("fpgagen.api.design.Design.quantize", refuse)


@pytest.mark.parametrize("below", ["x", "a/b/c"])
def test_build_out_below_a_file_is_refused_first(cli, tmp_path, no_quantize, below):
    afile = tmp_path / "notes.txt"
    afile.write_text("not a folder\n")
    code, out, err = cli("build", *SMALL, "--pe", "8x8", "-q", "--out", str(afile / below))
    _one_line_error(code, out, err, f"cannot create {afile / below}", f"{afile} is not a folder")
    assert afile.read_text() == "not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # no temporary left


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_build_out_in_an_unwritable_place_is_refused_first(cli, no_quantize):
    code, out, err = cli("build", *SMALL, "--pe", "8x8", "-q", "--out", "/proc/fpgagen-x")
    _one_line_error(code, out, err, "cannot create /proc/fpgagen-x", "/proc is not writable")


@pytest.mark.slow
def test_build_out_new_nested_folder_still_builds(cli, tmp_path):
    out_dir = tmp_path / "new" / "deeper" / "build"
    code, _, err = cli("build", *SMALL, "--pe", "8x8", "-q", "--out", str(out_dir))
    assert code == 0, err
    assert (out_dir / "report.json").is_file()
    assert [p.name for p in out_dir.parent.iterdir()] == ["build"]  # no probe left behind


# --- item 6: only real numbers are read ---------------------------------------------------------

def _save(tmp_path: Path, name: str, a: np.ndarray) -> str:
    path = tmp_path / name
    np.save(path, a)
    return str(path)


@pytest.mark.parametrize(("dtype", "shown"), [
    (np.complex64, "complex64"), (np.complex128, "complex128"), (np.bool_, "bool"),
    (np.str_, "<U"),
])
def test_run_refuses_a_non_real_input(cli, tmp_path, dtype, shown):
    image = np.ones((32, 32, 3)).astype(dtype)
    path = _save(tmp_path, "image.npy", image)
    code, out, err = cli("run", *SMALL, "-q", "--input", path)
    _one_line_error(code, out, err, f"input {path} has dtype {shown}", "expected real numbers")


def test_run_refuses_a_complex_calibration_file(cli, tmp_path):
    calib = (np.random.default_rng(0).random((2, 32, 32, 3)) + 0.5j).astype(np.complex64)
    path = _save(tmp_path, "calib.npy", calib)
    code, out, err = cli("run", *SMALL, "-q", "--calib", path)
    _one_line_error(code, out, err, f"calibration file {path} has dtype complex64")


def test_run_refuses_complex_weights(cli, tmp_path):
    weights = random_weights(load_model("squeezenet", 32))
    path = tmp_path / "w.npz"
    np.savez(path, **{k: v.astype(np.complex64) for k, v in weights.items()})
    code, out, err = cli("run", *SMALL, "-q", "--weights", str(path))
    _one_line_error(code, out, err, "has dtype complex64", "expected real numbers")


def test_run_still_takes_integer_and_float16_inputs(cli, tmp_path):
    for dtype in (np.int16, np.float16):
        path = _save(tmp_path, f"x_{np.dtype(dtype).name}.npy", np.ones((32, 32, 3), dtype))
        code, _, err = cli("run", *SMALL, "-q", "--input", path, "--json")
        assert code == 0, err


# --- item 9: a reader that closes the pipe early ------------------------------------------------

def _closed_early(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``fpgagen argv`` with stdout a pipe whose reading end is closed before it writes (as
    ``| head -1`` does once it has its line): the write fails with EPIPE."""
    proc = subprocess.Popen([sys.executable, "-m", "fpgagen", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the child has imported numpy
    err = proc.stderr.read()
    proc.stderr.close()
    return subprocess.CompletedProcess(proc.args, proc.wait(), "", err)


@pytest.mark.parametrize("argv", [
    ("info", "--model", "squeezenet", "--json"),
    ("check", "--model", "squeezenet", "--json"),  # fits: 1 would say "does not fit"
    ("check", "--model", "squeezenet"),  # the tables (rich exits 1 on its own)
])
def test_closed_pipe_no_traceback_and_no_verdict(argv):
    done = _closed_early(*argv)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stderr == ""
    assert done.returncode == 141  # 128 + SIGPIPE, what a shell reports for `seq ... | head -1`


# --- what check refuses, build and run refuse before allocating -------------------------------

@pytest.fixture
def huge_onnx(tmp_path):
    """An ONNX model that declares a 60000x60000 input: 40 GiB for its image alone."""
    from onnx_models import Builder, save

    b = Builder((1, 3, 60000, 60000))
    relu = b.unary("Relu", b.conv("data", "conv1", 8, 3, stride=2), "relu1")
    return save(b.model(b.unary("GlobalAveragePool", relu, "gap")), tmp_path / "huge.onnx")


@pytest.fixture
def no_image(monkeypatch):
    """Fail the test if an image or calibration set gets made."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("allocated images before refusing")

    monkeypatch.setattr("fpgagen.quant.quantize.synthetic_images", refuse)


def test_build_refuses_a_huge_input_before_allocating(cli, huge_onnx, tmp_path, no_image):
    code, out, err = cli("build", "-m", str(huge_onnx), "-q", "-o", str(tmp_path / "b"))
    _one_line_error(code, out, err, "16-bit counters")
    assert not (tmp_path / "b").exists()


def test_run_refuses_a_huge_input_before_allocating(cli, huge_onnx, no_image):
    code, out, err = cli("run", "-m", str(huge_onnx), "-q")
    _one_line_error(code, out, err, "needs about", "GiB) available")


def test_run_refuses_more_calibration_images_than_memory(cli, monkeypatch):
    monkeypatch.setattr("fpgagen.quant.footprint.available_bytes", lambda: 64 * 1024**2)
    code, out, err = cli("run", *SMALL, "-q", "--calib-images", "100000")
    _one_line_error(code, out, err, "100,000 calibration images", "67,108,864 B")
