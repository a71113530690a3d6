"""fpgagen.verify.rtlsim plumbing: finding Verilator, build-dir naming, a build folder shared by
two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.verify import rtlsim


def test_find_verilator_is_new_enough():
    inst = rtlsim.find_verilator()
    assert inst.version >= rtlsim.MIN_VERILATOR
    assert inst.executable.is_file()
    env = inst.env()
    assert env["PATH"].split(":")[0] == str(inst.executable.parent)


def test_find_verilator_reports_one_line_error(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_verilator_pkg(name, *args, **kwargs):
        if name == "verilator":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    rtlsim.find_verilator.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(builtins, "__import__", no_verilator_pkg)
    try:
        with pytest.raises(FpgagenError) as exc:
            rtlsim.find_verilator()
        assert "\n" not in str(exc.value) and "5.036" in str(exc.value)
    finally:
        rtlsim.find_verilator.cache_clear()


def test_param_tag_is_stable_and_order_free():
    a = rtlsim.param_tag({"A_W": 8, "LANES": 16})
    assert a == rtlsim.param_tag({"LANES": 16, "A_W": 8})
    assert a != rtlsim.param_tag({"A_W": 8, "LANES": 8})


def test_hw_sources_names_files():
    (p,) = rtlsim.hw_sources("fg_requant")
    assert p.name == "fg_requant.v" and p.is_file()
    with pytest.raises(FileNotFoundError):
        rtlsim.hw_sources("no_such_module")


# Two processes build one design into one build folder at once (two `verify --rtl` of a design,
# pytest-xdist workers): each times its runner's build from inside run_cocotb and records the
# simulator's mtime after it. Both start together (a barrier), so without the build lock the
# two compiles overlap in the same folder.
_LOCK_PROBE = """
import json, os, sys, time
from pathlib import Path
from fpgagen.verify import rtlsim

root, sync, src, log = map(Path, sys.argv[1:5])
real = rtlsim._runner_class

def timed_runner():
    class Timed(real()):
        def build(self, *args, **kwargs):
            start = time.time()
            super().build(*args, **kwargs)
            exe = Path(kwargs["build_dir"]) / kwargs["hdl_toplevel"]
            with open(log, "a") as f:
                f.write(json.dumps({"start": start, "end": time.time(),
                                    "exe_mtime": exe.stat().st_mtime_ns}) + "\\n")
    return Timed

rtlsim._runner_class = timed_runner
(sync / f"ready-{os.getpid()}").touch()
while len(list(sync.glob("ready-*"))) < 2:
    time.sleep(0.01)
res = rtlsim.run_cocotb(toplevel="lock_probe", sources=[src / "lock_probe.v"],
                        test_module="lock_probe_test", build_root=root, python_paths=[src],
                        test_dir=root / f"run-{os.getpid()}",
                        runtime_cache_root=rtlsim.cache_root())
sys.exit(0 if res.tests == 1 and res.failed == 0 else 1)
"""


def test_two_processes_share_a_build_folder(tmp_path):
    """One compiles while the other waits, then finds the build up to date and reuses it
    (the simulator is not relinked); both runs pass, each with its own results file."""
    src, sync, root = tmp_path / "src", tmp_path / "sync", tmp_path / "builds"
    src.mkdir()
    sync.mkdir()
    (src / "lock_probe.v").write_text(
        "`default_nettype none\n"
        "module lock_probe(input wire clk, output reg [7:0] q);\n"
        "  initial q = 8'd0;\n"
        "  always @(posedge clk) q <= q + 8'd1;\n"
        "endmodule\n")
    (src / "lock_probe_test.py").write_text(
        "import cocotb\nfrom cocotb.triggers import Timer\n\n\n"
        "@cocotb.test()\nasync def probe(dut):\n    await Timer(10, unit='ns')\n")
    log = tmp_path / "builds.jsonl"
    repo = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [repo, *filter(None, [os.environ.get("PYTHONPATH")])])}
    procs = [subprocess.Popen([sys.executable, "-c", _LOCK_PROBE, str(root), str(sync),
                               str(src), str(log)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=900)[0] for p in procs]
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0, out[-3000:]
    first, second = sorted((json.loads(ln) for ln in log.read_text().splitlines()),
                           key=lambda r: r["start"])
    assert first["end"] <= second["start"], "the two builds ran at once in one folder"
    assert second["exe_mtime"] == first["exe_mtime"], "the second build relinked"
    assert [p.name for p in root.glob("run-*/results.xml")] == ["results.xml"] * 2
