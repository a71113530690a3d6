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


# --- synth says how long it will take ---------------------------------------------------------

def test_the_synth_estimate_follows_the_design_size():
    from fpgagen.silicon.estimate import duration, synth_expectation, synth_seconds

    small = {"engine": {"p_in": 8, "p_out": 8}, "memory": {"bram36": 13}}
    default = {"engine": {"p_in": 16, "p_out": 64}, "memory": {"bram36": 537}}
    # the measurements the model was fitted to, within a factor of 1.5
    assert 3.4 * 60 / 1.5 < synth_seconds(small) < 3.4 * 60 * 1.5
    assert 53 * 60 / 1.5 < synth_seconds(default) < 53 * 60 * 1.5
    assert synth_seconds({"engine": {}}) is None
    line = synth_expectation(default)
    assert line.startswith("Yosys synth_xilinx of this design (1,024 MACs, 537 BRAM36) is "
                           f"expected to take about {duration(synth_seconds(default))} (from ")
    assert [duration(s) for s in (42, 200, 3180, 7200)] == ["40 s", "3 min", "53 min", "2.0 h"]


def test_synth_says_its_expected_time_before_it_starts(tmp_path, monkeypatch, capsys):
    """Before Yosys starts (a fake here: the real one takes minutes), the expected time; with
    --json nothing on stderr and only the JSON on stdout."""
    from fpgagen.cli.main import main
    from fpgagen.silicon import synth

    assert main(["build", "--model", "squeezenet", "--input-size", "32", "--pe", "8x8", "-q",
                 "-o", str(tmp_path / "b")]) == 0
    calls = []

    def fake(rtl_dir, part, workdir, steps, expected_s=None):
        calls.append((capsys.readouterr().err, expected_s))
        raise synth.FpgagenError("stopped here")

    monkeypatch.setattr(synth, "synth_xilinx", fake)
    capsys.readouterr()
    assert main(["synth", str(tmp_path / "b")]) == 2
    said, expected = calls[0]
    assert said.startswith("Yosys synth_xilinx of this design (64 MACs, ") and expected > 60
    capsys.readouterr()
    assert main(["synth", str(tmp_path / "b"), "--json"]) == 2
    assert calls[1][0] == ""
    assert capsys.readouterr().out == ""
