"""`fpgagen verify` as a gate that cannot be fooled or confused: every tensor the build stores
must get a verdict, the .npy and .hex copies of a vector must agree, a failing RTL run is one
line (the log keeps the rest), and two runs on one build folder at once do not read each
other's files.

One small build (tests/small_onnx.py on an 8x8 engine) serves every test; the RTL runs reuse
its Verilator build (cached by content under ~/.cache/fpgagen).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from small_onnx import write_small_onnx

from fpgagen.verify.vectors import check_vectors, read_manifest, stored_layers

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small_build(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("gates")
    model = write_small_onnx(tmp / "small.onnx")
    out = tmp / "b"
    from fpgagen.cli.main import main

    assert main(["build", "--model", str(model), "--board", "zynq", "--pe", "8x8", "-q",
                 "-o", str(out)]) == 0
    return out


def _copy(build: Path, dest: Path) -> Path:
    shutil.copytree(build, dest, ignore=shutil.ignore_patterns("rtl_sim"))
    return dest


# --- item 10: what must be compared comes from the build, not from the testbench -------------

def test_manifest_lists_the_stored_layers_and_the_vectors_agree(small_build):
    """The build says which layer outputs it stores (conv1's is a fused ring of rows, read
    through pool1) and its .npy/.hex copies agree."""
    stored = stored_layers(small_build / "vectors")
    report = json.loads((small_build / "report.json").read_text())
    fused = {f["conv"] for f in report["fusion"]}
    assert fused == {"conv1"}
    assert stored == [n for n in stored if n not in fused]
    assert set(stored) == {lay["name"] for lay in report["layers"]} - fused
    names = [e["name"] for e in read_manifest(small_build / "vectors")["vectors"]]
    assert names[0] == "input" and len(names) == len(report["layers"]) + 2
    check_vectors(small_build / "vectors")  # no exception: every pair agrees


@pytest.mark.slow
def test_csim_testbench_that_skips_tensors_fails(small_build, tmp_path, cli):
    """A testbench that compares only the logits used to say "bit-exact 1/1", exit 0."""
    copy = _copy(small_build, tmp_path / "b")
    tb = copy / "hls" / "tb.cpp"
    src = tb.read_text()
    hook = "if (VIEWS[i].after == entry) check_view(VIEWS[i]);"
    assert src.count(hook) == 1
    tb.write_text(src.replace(hook, "(void)entry;"))
    code, out, err = cli("verify", str(copy), "--csim", "-q")
    assert code == 1, out + err
    stored = stored_layers(copy / "vectors")
    line = next(ln for ln in out.splitlines() if ln.startswith("NOT COMPARED"))
    assert line.startswith(f"NOT COMPARED {len(stored)} of the {len(stored) + 1} tensors the "
                           "build stores got no verdict from hls/tb.cpp: pool1, ")
    assert f"NOT bit-exact: 1/{len(stored) + 1} tensors" in out
    report = json.loads((copy / "report.json").read_text())
    assert report["csim"]["bit_exact"] is False
    assert report["csim"]["not_compared"] == stored
    assert "Not compared (the build stores them" in (copy / "report.md").read_text()


@pytest.mark.parametrize("flag", ["--csim", "--rtl"])
def test_npy_that_differs_from_its_hex_fails(small_build, tmp_path, cli, flag):
    """verify reads the .hex; a .npy saying something else is refused before any simulation,
    in one line naming the file."""
    copy = _copy(small_build, tmp_path / "b")
    npy = copy / "vectors" / "layers" / "squeezenet0_conv1_fwd.npy"
    values = np.load(npy)
    values.reshape(-1)[5] += 1
    np.save(npy, values)
    code, out, err = cli("verify", str(copy), flag, "-q")
    assert code == 2, out + err
    assert err.count("\n") == 1
    assert err.startswith(f"fpgagen: error: {npy} differs from squeezenet0_conv1_fwd.hex in 1 "
                          "values (first at flat index 5:")
    assert out == ""


def test_npy_of_another_length_fails(small_build, tmp_path):
    from fpgagen.errors import FpgagenError

    copy = _copy(small_build, tmp_path / "b")
    np.save(copy / "vectors" / "output.npy", np.zeros(3, dtype=np.int64))
    with pytest.raises(FpgagenError, match=r"output\.npy holds 3 values, output\.hex 10"):
        check_vectors(copy / "vectors")


def test_build_without_manifest_is_refused(small_build, tmp_path, cli):
    copy = _copy(small_build, tmp_path / "b")
    (copy / "vectors" / "manifest.json").unlink()
    code, _, err = cli("verify", str(copy), "--csim", "-q")
    assert code == 2 and "vectors/manifest.json is missing" in err


# --- item 7: a failing RTL run is one line; the log keeps the rest ---------------------------

def test_failing_rtl_run_is_one_line(small_build, tmp_path, cli, monkeypatch):
    """A run that cannot end (a 100-cycle limit for a 7,000-cycle network) used to print the
    error followed by ~10 lines of cocotb's results table."""
    from fpgagen.verify import rtlbench

    copy = _copy(small_build, tmp_path / "b")
    monkeypatch.setattr(rtlbench, "run_rtl", functools.partial(rtlbench.run_rtl, max_cycles=100))
    code, out, err = cli("verify", str(copy), "--rtl", "--stream", "1", "-q")   # run_rtl
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("fpgagen: error: RTL simulation did not finish: AssertionError: no "
                          "end of the run within 100 cycles (the whole output: ")
    log = Path(err.split("(the whole output: ")[1].rstrip(")\n"))
    assert log.parent.parent == copy / "rtl_sim" and log.parent.name.startswith("run-")
    assert "TESTS=1 PASS=0 FAIL=1" in log.read_text()


# --- item 8: two runs on one build folder at once --------------------------------------------

# Two runs overlap in the order that used to break: the second starts (which cleared the shared
# DIR/rtl_sim/ of arena dumps) after the first simulated and before the first compared its dumps.
_PARALLEL_VERIFY = """
import sys, time
from pathlib import Path
from fpgagen.cli.main import main
from fpgagen.verify import rtlbench, rtlresults

folder, sync, role = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
real_run, real_bench, real_compare = rtlbench.run_rtl, rtlbench._run_bench, rtlresults.compare_rtl

def wait_for(name):
    deadline = time.monotonic() + 900
    while not (sync / name).exists() and time.monotonic() < deadline:
        time.sleep(0.05)

def run(*args, **kwargs):
    if role == "second":
        wait_for("first-simulated")
    return real_run(*args, **kwargs)

def bench(*args, **kwargs):
    if role == "second":
        (sync / "second-started").touch()
    res = real_bench(*args, **kwargs)
    if role == "first":
        (sync / "first-simulated").touch()
    return res

def compare(*args, **kwargs):
    if role == "first":
        wait_for("second-started")
    return real_compare(*args, **kwargs)

rtlbench.run_rtl, rtlbench._run_bench, rtlresults.compare_rtl = run, bench, compare
sys.exit(main(["verify", str(folder), "--rtl", "-q", "--json"]))
"""


@pytest.mark.slow
def test_two_rtl_verifies_of_one_folder_at_once(small_build, tmp_path):
    copy = _copy(small_build, tmp_path / "b")
    sync = tmp_path / "sync"
    sync.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    procs = [subprocess.Popen([sys.executable, "-c", _PARALLEL_VERIFY, str(copy), str(sync), role],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for role in ("first", "second")]
    results = [p.communicate(timeout=1800) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, out + err
        rtl = json.loads(out)["rtl"]
        assert rtl["bit_exact"] and rtl["tensors_compared"] == rtl["tensors_expected"] + 1
    assert {p.name for p in sync.iterdir()} == {"first-simulated", "second-started"}
    # each run worked in its own folder, removed after its bit-exact verdict
    assert list((copy / "rtl_sim").iterdir()) == []
    report = json.loads((copy / "report.json").read_text())
    assert report["rtl"]["bit_exact"] is True


_UPDATES = """
import sys
from pathlib import Path
from fpgagen.report.report import update_report

folder, who = Path(sys.argv[1]), sys.argv[2]
for i in range(15):
    update_report(folder, f"extra_{who}_{i}", {"i": i})
"""


def test_concurrent_report_updates_all_land(small_build, tmp_path):
    """Commands finishing at once (two verifies, verify and synth) each add their section:
    none is lost to another's read-modify-write, and report.json is always whole JSON."""
    copy = _copy(small_build, tmp_path / "b")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    procs = [subprocess.Popen([sys.executable, "-c", _UPDATES, str(copy), str(k)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env) for k in range(4)]
    for p in procs:
        out = p.communicate(timeout=300)[0]
        assert p.returncode == 0, out[-2000:]
    report = json.loads((copy / "report.json").read_text())
    assert {k for k in report if k.startswith("extra_")} == {
        f"extra_{k}_{i}" for k in range(4) for i in range(15)}
    assert not list(copy.glob(".report.*.tmp")) and not list(copy.glob(".report.md.*"))


def test_report_md_names_a_failure_without_an_index(small_build, tmp_path):
    """A failure with no HWC index (a missing dump, a beat count, the host view) is written as
    what failed, in both sections; a tensor left uncompared is named."""
    from fpgagen.report.report import update_report

    copy = _copy(small_build, tmp_path / "b")
    fail = {"layer": "logits (out_stream)", "index_hwc": None, "expected": None,
            "got": "3 beats (expected 4)", "mismatches": 1}
    update_report(copy, "rtl", {"bit_exact": False, "tensors_compared": 3, "cycles": 10,
                                "cycles_per_layer": {}, "mac_utilization": 0.1,
                                "image_load_cycles": 5, "build_seconds": 1.0,
                                "run_seconds": 1.0, "first_mismatch": fail,
                                "not_compared": ["pool2"]})
    update_report(copy, "csim", {"bit_exact": False, "tensors_compared": 2,
                                 "compile_seconds": 1.0, "run_seconds": 1.0,
                                 "first_mismatch": {**fail, "layer": "output_stream"}})
    md = (copy / "report.md").read_text()
    assert "First failure: `logits (out_stream)`: 3 beats (expected 4)." in md
    assert "First failure: `output_stream`: 3 beats (expected 4)." in md
    assert "Not compared (the build stores them, the bench gave no verdict): pool2." in md
