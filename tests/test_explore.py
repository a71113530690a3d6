"""``fpgagen explore`` and `fpgagen.explore` (fpgagen/dse): the points, their order and fields,
the Pareto front, the files, resume, bad input, the Ray backend, training, the energy model."""

from __future__ import annotations

import json
import math

import pytest

import fpgagen
from fpgagen.dse.explore import COLUMNS, JOURNAL, RESULTS_JSON
from fpgagen.dse.pareto import dominates, objectives, pareto_front
from fpgagen.dse.space import split_list
from fpgagen.frontend.zoo import load_model
from fpgagen.plan.boards import load_board
from fpgagen.plan.energy import SOURCE, estimate_energy
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision

SMALL = dict(models="digits", boards="zc706,pynq", precisions="8,w4a8", engines="auto,4x16")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    return fpgagen.explore(**SMALL, out=out), out


def test_every_point_in_sweep_order_with_its_fields(small):
    res, out = small
    coords = [(p["model"], p["board"], p["precision"], p["engine"]) for p in res.points]
    assert coords == [("digits", b, p, e) for b in ("zc706", "pynq-z2") for p in ("8", "w4a8")
                      for e in ("auto", "4x16")]
    for p in res.points:
        assert set(p) == set(COLUMNS)
        assert p["fits"] and p["feasible"] and p["error"] is None
        assert p["pe"] == ("4x16" if p["engine"] == "4x16" else p["pe"])
        assert p["streaming_fps"] > 0 and p["energy_mj_estimated"] > 0
        assert p["logits_sqnr_db"] is not None and p["top1_fixed"] is None
    assert res.files == ["results.json", "results.csv", "fps_vs_onchip.png", "fps_vs_dsp.png"]
    assert json.loads((out / RESULTS_JSON).read_text()) == res.to_json()
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert tuple(header) == COLUMNS
    assert res.energy_model["source"] == SOURCE and "estimated" in SOURCE


def test_a_point_matches_check(small, cli):
    res, _ = small
    p = res.points[1]  # zc706, 8, 4x16
    code, out, _ = cli("check", "-m", "digits", "-b", "zc706", "--pe", "4x16", "--json")
    c = json.loads(out)
    assert code == 0
    assert (p["onchip_bytes"], p["bram36"], p["dsp"], p["latency_cycles"], p["streaming_fps"]) \
        == (c["total_bytes"], c["bram36"], c["dsp"], c["cycles"], c["streaming_fps"])


def test_the_marked_front_is_the_pareto_front(small):
    res, _ = small
    objs = objectives(False)
    score = [tuple(s * p[k] for k, s in objs) for p in res.points]
    for p, sc in zip(res.points, score, strict=True):
        beaten = any(dominates(o, sc) for o in score)
        assert p["pareto"] == (not beaten), p["index"]
    assert res.pareto == [p["index"] for p in res.points if p["pareto"]]
    assert res.pareto


def test_pareto_front_by_hand():
    pts = [{"feasible": True, "streaming_fps": f, "onchip_bytes": b, "dsp": 1,
            "energy_mj_estimated": 1.0, "logits_sqnr_db": 30.0} for f, b in
           ((10, 100), (20, 100), (20, 50), (5, 10))]
    pts.append({**pts[2], "feasible": False, "onchip_bytes": 1})
    pts.append({**pts[0], "logits_sqnr_db": None})  # exact: infinitely good
    assert pareto_front(pts, False) == [False, False, True, True, False, True]


def test_a_rerun_resumes_and_an_interrupted_one_redoes_only_what_is_missing(tmp_path):
    sweep = {**SMALL, "precisions": "8"}  # 1 quality task, 4 hardware tasks
    first = fpgagen.explore(**sweep, out=tmp_path)
    assert first.run["tasks_run"] == 5 and first.run["tasks_reused"] == 0
    before = (tmp_path / RESULTS_JSON).read_bytes()
    again = fpgagen.explore(**sweep, out=tmp_path)
    assert again.run["tasks_run"] == 0 and again.run["tasks_reused"] == 5
    assert (tmp_path / RESULTS_JSON).read_bytes() == before
    # an interruption: the journal cut after 2 tasks and its last line half-written
    lines = (tmp_path / JOURNAL).read_text().splitlines()
    (tmp_path / JOURNAL).write_text("\n".join(lines[:2]) + "\n" + lines[2][:30])
    (tmp_path / RESULTS_JSON).unlink()
    resumed = fpgagen.explore(**sweep, out=tmp_path)
    assert resumed.run["tasks_run"] == 3 and resumed.run["tasks_reused"] == 2
    assert (tmp_path / RESULTS_JSON).read_bytes() == before
    # a changed setting reruns only what it changes: a budget changes the fit, not quality
    budget = fpgagen.explore(**sweep, out=tmp_path, budget="64KB")
    assert budget.run["tasks_run"] == 4 and budget.run["tasks_reused"] == 1
    fresh = fpgagen.explore(**sweep, out=tmp_path, fresh=True)
    assert fresh.run["tasks_run"] == 5


def test_cli_json_and_table(cli, tmp_path):
    code, out, err = cli("explore", "-m", "digits", "-b", "zc706", "-p", "8,w4a8",
                         "--min-fps", "40000", "-o", str(tmp_path / "s"), "--json")
    assert code == 0, err
    res = json.loads(out)
    assert [p["feasible"] for p in res["points"]] == [True, True]
    assert res["run"]["backend"] == "local"
    code, out, err = cli("explore", "-m", "digits", "-b", "pynq", "--min-fps", "1e6", "-o",
                         str(tmp_path / "t"))
    assert code == 1 and "1 points, 0 feasible, 0 on the Pareto front" in out, out


@pytest.mark.parametrize(("args", "message"), [
    (["-m", "squeezenet:sr=0.25,squeez=2"], "unknown metaparameter 'squeez'"),
    (["-m", ","], "empty sweep: --model names nothing"),
    (["-m", "digits", "-p", ","], "empty sweep: --precision names nothing"),
    (["-m", "digits", "--max-drop", "1"], "only --accuracy digits"),
    (["-m", "digits", "--min-fps", "-3"], "--min-fps must be above 0"),
    (["-m", "digits", "--max-energy", "2 W"], "--max-energy takes joules"),
    (["-m", "digits", "--accuracy", "digits", "--max-drop", "140"], "--max-drop must be in"),
    (["-m", "squeezenet", "--accuracy", "digits"], "32x32x1"),
    (["-m", "digits", "--train", "digits"], "trains SqueezeNet family specs"),
    (["-m", "digits", "--pe", "auto,3x4"], "power of two"),
    (["-m", "digits", "-b", "zc706,zynq"], "--board names zc706 twice"),
    (["-m", "digits", "--workers", "0"], "--workers must be at least 1"),
    (["-m", "digits", "--address", "127.0.0.1:1"], "--address names a Ray cluster"),
    (["-m", "digits", "--backend", "ray", "--address", "127.0.0.1:1"],
     "cannot reach the Ray cluster at 127.0.0.1:1"),
    (["-m", "digits", "--backend", "ray", "--address", "nohost"], "is not HOST:PORT"),
    (["-m", "digits", "--backend", "ray", "--address", "auto"],
     "cannot start or join Ray at auto: Could not find any running Ray instance"),
])
def test_bad_input_is_one_line_and_writes_nothing(cli, tmp_path, args, message):
    out = tmp_path / "sweep"
    code, text, err = cli("explore", *args, "-o", str(out))
    assert code == 2 and not text and message in err and err.count("\n") == 1, err
    assert not out.exists()


def test_split_list_keeps_specs_and_expands_alternatives():
    assert split_list(["squeezenet:sr=0.25|0.5,pct3x3=0.5,data=digits", "digits,zynqnet"]) == [
        "squeezenet:sr=0.25,pct3x3=0.5,data=digits", "squeezenet:sr=0.5,pct3x3=0.5,data=digits",
        "digits", "zynqnet"]


def test_energy_is_power_times_frame_time():
    plan = make_plan(load_model("squeezenet"), load_board("zc706"), parse_precision("8"))
    e = estimate_energy(plan)
    assert e.frame_s == pytest.approx(plan.streaming_cycles / 200e6)
    assert e.energy_j == pytest.approx((e.static_w + e.dynamic_w) * e.frame_s)
    assert 0 < e.mac_utilization <= 1 and 1 < e.power_w < 10
    small = make_plan(load_model("squeezenet"), load_board("zc706"), parse_precision("8"),
                      parse_pe_("8x8"))
    assert estimate_energy(small).dynamic_w < e.dynamic_w  # fewer DSPs, fewer blocks


def parse_pe_(text):
    from fpgagen.plan.engine import parse_pe

    return parse_pe(text)


@pytest.mark.slow
def test_ray_gives_the_local_results(tmp_path):
    """A local Ray instance with 2 CPUs runs the same sweep: results.json byte for byte; and
    a local pool of 2 processes too."""
    local = fpgagen.explore(**SMALL, out=tmp_path / "local")
    ray = fpgagen.explore(**SMALL, out=tmp_path / "ray", backend="ray", workers=2)
    pool = fpgagen.explore(**SMALL, out=tmp_path / "pool", workers=2)
    assert ray.run["backend"] == "ray" and ray.run["tasks_run"] == 10
    expected = (tmp_path / "local" / RESULTS_JSON).read_bytes()
    assert (tmp_path / "ray" / RESULTS_JSON).read_bytes() == expected
    assert (tmp_path / "pool" / RESULTS_JSON).read_bytes() == expected
    assert local.to_json() == ray.to_json() == pool.to_json()


@pytest.mark.slow
def test_an_architecture_sweep_trains_and_draws_accuracy(cli, tmp_path):
    """--train digits: two tiny variants, one epoch on 128 images, seeded: the accuracy
    picture, the same weights again on a second run (fresh)."""
    args = ("explore", "-m", "squeezenet:sr=0.25|0.5,base_e=16,incr_e=16,data=digits",
            "--train", "digits", "--epochs", "1", "--train-limit", "128", "--limit", "30",
            "-q", "--json")
    code, out, err = cli(*args, "-o", str(tmp_path / "a"))
    assert code == 0, err
    res = json.loads(out)
    assert [p["model"].split(",")[0] for p in res["points"]] == [
        "squeezenet:sr=0.25", "squeezenet:sr=0.5"]
    assert all(p["trained"] and 0 <= p["top1_fixed"] <= 1 for p in res["points"])
    assert "accuracy_vs_params.png" in res["files"]
    assert res["points"][0]["params"] < res["points"][1]["params"]
    code, out2, _ = cli(*args, "-o", str(tmp_path / "b"))
    again = json.loads(out2)
    assert code == 0 and again["points"] == res["points"]  # seeded: the same training


def test_no_nan_in_results(small):
    res, _ = small
    for p in res.points:
        for v in p.values():
            assert not (isinstance(v, float) and math.isnan(v))


@pytest.mark.slow
@pytest.mark.needs_sim
def test_an_rtl_sample_measures_the_estimates_error(tmp_path):
    """--rtl-sample 1: the feasible point with the smallest estimated latency is built and
    simulated (the 4x4 digits engine test_eval simulates too: one Verilator build, cached)."""
    res = fpgagen.explore("digits", "zc706", "8", "4x4,2x4", rtl_sample=1, out=tmp_path)
    s = res.rtl_sample
    assert s["points"] == [0]  # 4x4 is faster than 2x4
    p = res.points[0]
    assert p["rtl_bit_exact"] is True and p["rtl_latency_cycles"] > 0
    assert p["estimate_error_pct"] == pytest.approx(
        100 * (p["latency_cycles"] - p["rtl_latency_cycles"]) / p["rtl_latency_cycles"],
        abs=1e-3)
    assert abs(p["estimate_error_pct"]) < 5 and s["mean_abs_error_pct"] == abs(
        p["estimate_error_pct"])
    assert res.points[1]["rtl_latency_cycles"] is None
