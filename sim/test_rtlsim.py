"""The RTL simulation plumbing (fpgagen/verify/verilator.py, simbuild.py, cocotbrun.py):
finding Verilator, build keys, and the simulator cache with real Verilator builds: a design
is compiled once, by one process when two ask at once, never cached when its build failed,
within the size cap, and ``fpgagen cache`` after a build.

The build tests run in a cache of their own (``FPGAGEN_CACHE`` in tmp_path), seeded with the
Verilator runtime objects of the developer's cache when it has them (a cold cache compiles them
first: ~40 s), so what they count is theirs alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fpgagen.cli.main import main
from fpgagen.errors import FpgagenError
from fpgagen.rtl.hwfiles import hw_sources
from fpgagen.verify import simbuild, verilator
from fpgagen.verify.cocotbrun import run_cocotb
from fpgagen.verify.simcache import sim_cache

REPO = Path(__file__).resolve().parent.parent

COUNTER = """`default_nettype none
module {name}(input wire clk, output reg [7:0] q);
  initial q = 8'd0;
  always @(posedge clk) q <= q + 8'd{step};
endmodule
"""
PROBE_TEST = """import cocotb
from cocotb.triggers import Timer


@cocotb.test()
async def probe(dut):
    await Timer(10, unit="ns")
"""


def test_find_verilator_is_new_enough():
    inst = verilator.find_verilator()
    assert inst.version >= verilator.MIN_VERILATOR
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

    verilator.find_verilator.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(builtins, "__import__", no_verilator_pkg)
    try:
        with pytest.raises(FpgagenError) as exc:
            verilator.find_verilator()
        assert "\n" not in str(exc.value) and "5.036" in str(exc.value)
    finally:
        verilator.find_verilator.cache_clear()


def test_param_tag_is_stable_and_order_free():
    a = simbuild.param_tag({"A_W": 8, "LANES": 16})
    assert a == simbuild.param_tag({"LANES": 16, "A_W": 8})
    assert a != simbuild.param_tag({"A_W": 8, "LANES": 8})


def test_hw_sources_names_files():
    (p,) = hw_sources("fg_requant")
    assert p.name == "fg_requant.v" and p.is_file()
    with pytest.raises(FileNotFoundError):
        hw_sources("no_such_module")


def test_build_key_follows_every_input(tmp_path):
    """Contents and names of the sources, parameters, flags, waves: each makes another build;
    the folder the sources sit in does not (a deleted tmp folder's design is reused)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for d in (a, b):
        (d / "m.v").write_text(COUNTER.format(name="m", step=1))
    key = simbuild.build_key("m", [a / "m.v"], {}, ["-Wall"], False)
    assert key.startswith("m-")
    assert simbuild.build_key("m", [b / "m.v"], {}, ["-Wall"], False) == key
    (b / "m.v").write_text(COUNTER.format(name="m", step=2))
    (b / "n.v").write_text(COUNTER.format(name="m", step=1))
    others = {simbuild.build_key("m", [b / "m.v"], {}, ["-Wall"], False),
              simbuild.build_key("m", [b / "n.v"], {}, ["-Wall"], False),
              simbuild.build_key("m", [a / "m.v"], {"W": 2}, ["-Wall"], False),
              simbuild.build_key("m", [a / "m.v"], {}, ["-O3"], False),
              simbuild.build_key("m", [a / "m.v"], {}, ["-Wall"], True)}
    assert key not in others and len(others) == 5


BUILD_ARGS = ["-Wall"]


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    """A cache of the test's own, with the developer cache's runtime objects for these tests'
    flags copied in."""
    name = simbuild.runtime_entry(BUILD_ARGS, False)
    shared = sim_cache().root / name / "objs"
    root = tmp_path / "cache"
    (root / "rtlsim").mkdir(parents=True)
    if shared.is_dir():
        shutil.copytree(shared, root / "rtlsim" / name / "objs")
    monkeypatch.setenv("FPGAGEN_CACHE", str(root))
    monkeypatch.delenv("FPGAGEN_CACHE_MAX", raising=False)
    return root


def _design(folder: Path, name: str, step: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.v").write_text(COUNTER.format(name=name, step=step))
    (folder / "probe_test.py").write_text(PROBE_TEST)
    return folder / f"{name}.v"


def _run(src: Path, test_dir: Path | None = None):
    return run_cocotb(toplevel=src.stem, sources=[src], test_module="probe_test",
                      build_args=BUILD_ARGS, python_paths=[src.parent], test_dir=test_dir)


def _compiles(monkeypatch) -> list[str]:
    """Counts the Verilator compiles of this process (by toplevel)."""
    calls: list[str] = []
    real = simbuild._compile

    def counted(cache, toplevel, *args, **kwargs):
        calls.append(toplevel)
        return real(cache, toplevel, *args, **kwargs)

    monkeypatch.setattr(simbuild, "_compile", counted)
    return calls


@pytest.mark.slow
def test_a_design_is_compiled_once_and_found_from_another_folder(own_cache, tmp_path,
                                                                 monkeypatch):
    calls = _compiles(monkeypatch)
    first = _run(_design(tmp_path / "one", "ctr"))
    shutil.rmtree(tmp_path / "one")   # a test's tmp folder, gone after the test
    # the run folder of a process that has ended is removed by the next run of the build
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True).stdout.strip()
    runs = first.build_dir.parent / "runs"
    shutil.copytree(runs / str(os.getpid()), runs / ended)
    again = _run(_design(tmp_path / "two", "ctr"))
    assert (first.tests, first.failed, again.tests, again.failed) == (1, 0, 1, 0)
    assert calls == ["ctr"] and again.build_dir == first.build_dir
    assert first.build_dir.is_relative_to(own_cache / "rtlsim")
    assert (first.build_dir / "ctr").is_file()
    assert [p.name for p in runs.iterdir()] == [str(os.getpid())]
    assert again.results_xml == runs / str(os.getpid()) / "results.xml"


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_cache_command_after_a_build(own_cache, tmp_path, capsys):
    res = _run(_design(tmp_path / "d", "ctr"))
    assert res.tests == 1 and res.failed == 0
    capsys.readouterr()
    code, out, err = _cli(capsys, "cache", "--json")
    assert code == 0, err
    state = json.loads(out)
    cache = sim_cache()
    names = sorted(e.name for e in cache.entries())
    assert len(names) == 2 and names[0].startswith("ctr-") and names[1].startswith("verilated-")
    assert state["location"] == str(own_cache) and state["entries"] == 2
    assert state["in_use"] == 0 and state["bytes"] == sum(e.size for e in cache.entries()) > 0
    code, out, _ = _cli(capsys, "cache")
    assert "entries   2\n" in out
    code, out, _ = _cli(capsys, "cache", "--clean", "--json")
    res_clean = json.loads(out)
    assert res_clean["freed_entries"] == 2 and res_clean["freed_bytes"] == state["bytes"]
    assert res_clean["entries"] == 0 and list((own_cache / "rtlsim").iterdir()) == []


@pytest.mark.slow
def test_the_cap_applies_to_runs(own_cache, tmp_path, monkeypatch):
    """Runs evict the least recently used builds beyond FPGAGEN_CACHE_MAX, never their own."""
    a = _design(tmp_path / "a", "ctr_a")
    b = _design(tmp_path / "b", "ctr_b", step=3)
    assert _run(a).failed == 0 and _run(b).failed == 0
    names = sorted(e.name.split("-")[0] for e in sim_cache().entries())
    assert names == ["ctr_a", "ctr_b", "verilated"]
    monkeypatch.setenv("FPGAGEN_CACHE_MAX", "1")
    res = _run(a)   # found built; the others go, it stays (in use while evicting)
    assert res.tests == 1 and res.failed == 0
    assert [e.name.split("-")[0] for e in sim_cache().entries()] == ["ctr_a"]


def test_a_failed_build_is_not_cached(own_cache, tmp_path, monkeypatch):
    bad = _design(tmp_path / "bad", "broken")
    bad.write_text("module broken(input wire clk);\n  this is not verilog\nendmodule\n")
    calls = _compiles(monkeypatch)
    for _ in range(2):
        with pytest.raises(RuntimeError) as exc:
            _run(bad)
        assert str(exc.value) == ("Verilator build of broken failed (verilator exited with "
                                  "code 1)")
    assert calls == ["broken", "broken"]   # tried again: nothing marked it built
    (entry,) = [e for e in sim_cache().entries() if e.name.startswith("broken-")]
    assert not (entry.path / simbuild.BUILT).exists()


# Two processes build one design at once (two `verify --rtl` of a design, pytest-xdist
# workers): each logs its compiles; both start together (a barrier).
_LOCK_PROBE = """
import json, os, sys, time
from pathlib import Path
from fpgagen.verify import simbuild
from fpgagen.verify.cocotbrun import run_cocotb

sync, src, log = map(Path, sys.argv[1:4])
real = simbuild._compile

def logged(*args, **kwargs):
    start = time.time()
    real(*args, **kwargs)
    with open(log, "a") as f:
        f.write(json.dumps({"start": start, "end": time.time()}) + "\\n")

simbuild._compile = logged
(sync / f"ready-{os.getpid()}").touch()
while len(list(sync.glob("ready-*"))) < 2:
    time.sleep(0.01)
res = run_cocotb(toplevel="lock_probe", sources=[src / "lock_probe.v"],
                 test_module="probe_test", python_paths=[src],
                 test_dir=src.parent / f"run-{os.getpid()}")
print(json.dumps({"exe_mtime": (res.build_dir / "lock_probe").stat().st_mtime_ns}))
sys.exit(0 if res.tests == 1 and res.failed == 0 else 1)
"""


@pytest.mark.slow
def test_two_processes_build_one_design_once(own_cache, tmp_path):
    """One compiles while the other waits, then finds it built and runs it (the simulator is
    not relinked); both runs pass, each with its own results file."""
    src = tmp_path / "src"
    _design(src, "lock_probe")
    sync = tmp_path / "sync"
    sync.mkdir()
    log = tmp_path / "builds.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    procs = [subprocess.Popen([sys.executable, "-c", _LOCK_PROBE, str(sync), str(src),
                               str(log)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=900)[0] for p in procs]
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0, out[-3000:]
    assert len(log.read_text().splitlines()) == 1, "both processes compiled the design"
    mtimes = {json.loads(next(ln for ln in reversed(out.splitlines())
                              if ln.startswith('{"exe_mtime"')))["exe_mtime"] for out in outs}
    assert len(mtimes) == 1, "the second process relinked the simulator"
    assert [p.name for p in tmp_path.glob("run-*/results.xml")] == ["results.xml"] * 2
