"""What long commands show while they run (fpgagen/util/progress.py, verify/rtlprogress.py,
silicon/synth.py's estimate): ``verify --rtl`` its phases (the Verilator build with its elapsed
time, then the simulated entries with an ETA from the Plan's cycles), ``synth`` its expected
time before it starts, and ``--json`` nothing on stdout but the JSON."""

from __future__ import annotations

import json

import pytest
from small_onnx import write_small_onnx
from test_rtl import needs_sim

from fpgagen.util.progress import Live
from fpgagen.verify.rtlprogress import RtlEstimate, RtlProgress, estimate
from fpgagen.verify.simbuild import Build


class Lines(Live):
    """A Live that keeps every line it is given (as a CI log would show the phases)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, bool]] = []

    def update(self, text: str, phase: bool = False) -> None:
        self.lines.append((text, phase))


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_phases_and_eta_of_an_rtl_run(tmp_path):
    live, clock = Lines(), Clock()
    est = RtlEstimate(("conv1", "pool1", "conv2", "gap"), (1000, 200, 600, 200), 1, 1500)
    p = RtlProgress(live, est, now=clock)
    p.building()
    clock.t += 75
    p.tick()
    assert live.lines[0] == ("Verilator build: 0:00 so far (minutes for a whole network; "
                             "cached once built)", True)
    assert live.lines[-1][0].startswith("Verilator build: 1:15 so far")
    p.simulating(Build("fpgagen_tb", tmp_path, compiled=True))
    assert live.lines[-2] == ("Verilator build: 1:15", True)
    assert live.lines[-1] == ("simulating ~3,500 cycles (the Plan's estimate): entry 1 of 4 "
                              "(conv1), 0:00", True)
    clock.t += 10  # start-up and conv1: no rate yet
    p.entries(1)
    assert p.eta_seconds() is None and live.lines[-1][0].endswith("entry 2 of 4 (pool1), 0:10")
    clock.t += 2  # pool1: 200 cycles in 2 s, 100 cycles/s; 2,300 cycles to go
    p.entries(2)
    assert p.eta_seconds() == pytest.approx(23.0)
    assert live.lines[-1][0].endswith("entry 3 of 4 (conv2), 0:12, about 0:23 left")
    clock.t += 5  # counting down between entries
    p.tick()
    assert live.lines[-1][0].endswith("0:17, about 0:18 left")
    clock.t += 3  # conv2 and gap: 800 cycles in 8 s, still 100 cycles/s
    p.entries(4)
    assert p.eta_seconds() == pytest.approx(15.0)
    assert live.lines[-1] == ("simulating ~3,500 cycles (the Plan's estimate): image 1 done, "
                              "1 more streaming, 0:20, about 0:15 left", True)
    clock.t += 60
    p.tick()
    assert live.lines[-1][0].endswith("finishing")


def test_a_cached_build_says_so(tmp_path):
    live = Lines()
    p = RtlProgress(live, RtlEstimate(("a",), (10,)), now=Clock())
    p.building()
    p.simulating(Build("t", tmp_path, compiled=False))
    assert ("Verilator build: found in the cache", True) in live.lines


def test_the_estimate_is_the_plans_cycles_per_entry():
    report = {"layers": [{"name": "conv1", "cycles_estimate": 900},
                         {"name": "pool1", "cycles_estimate": 0},
                         {"name": "cat", "cycles_estimate": 0},
                         {"name": "conv2", "cycles_estimate": 400}],
              "estimate": {"cycles": 1500, "streaming_cycles": 1200}}
    bench = {"entries": [{"name": "conv1"}, {"name": "pool1"}, {"name": "conv2"}]}
    est = estimate(report, bench, images=3)
    assert est.entries == ("conv1", "pool1", "conv2")
    assert est.cycles == (900 + 200, 0, 400)  # the load and the logits go with the first
    assert est.later_images == 2 and est.later_cycles == 2400 and est.total == 3900


def test_a_live_step_prints_phases_and_then_at_most_every_15_s(capsys):
    from fpgagen.util.progress import Steps

    with Steps().live("work") as live:
        live.update("phase one", phase=True)
        live.update("phase one, 1 s")  # within 15 s of the last line: not printed
        live.update("phase two", phase=True)
    err = capsys.readouterr().err
    assert err.splitlines()[:3] == ["work ...", "  phase one", "  phase two"]
    assert "1 s" not in err and err.splitlines()[-1].startswith("done work (")
    with Steps(quiet=True).live("work") as live:
        live.update("nothing", phase=True)
    assert capsys.readouterr() == ("", "")


@pytest.mark.slow
@needs_sim
def test_verify_rtl_shows_its_phases_and_json_stays_clean(tmp_path, cli):
    out = tmp_path / "small"
    code, _, err = cli("build", "--model", str(write_small_onnx(tmp_path / "small.onnx")),
                       "--pe", "8x8", "-q", "-o", str(out))
    assert code == 0, err
    code, stdout, err = cli("verify", str(out), "--rtl", "--stream", "1", "--json")
    assert code == 0, err
    assert err == "", err
    assert json.loads(stdout)["rtl"]["bit_exact"] is True, stdout[:300]
    code, stdout, err = cli("verify", str(out), "--rtl", "--stream", "1")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == "RTL simulation (Verilator build + cocotb run) ..."
    assert "  Verilator build: found in the cache" in lines  # the --json run built it
    sim = [ln for ln in lines if ln.startswith("  simulating ~")]
    assert sim and "entry 1 of " in sim[0], err
    assert lines[-1].startswith("done RTL simulation")
    assert "RTL simulation bit-exact" in stdout
