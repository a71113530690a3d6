"""The Plan's cycle estimate (fpgagen/rtl_cycles.py) against the RTL: every layer-table entry
within 3 % of the cycles the Verilator bench counts, on small builds that exercise each term
(bench/bench_estimate.py prints the same table for SqueezeNet 1.1 on every board)."""

from __future__ import annotations

import argparse
import json

import pytest
from test_rtl import needs_sim
from timing_onnx import write_timing_onnx

from fpgagen import rtlsim
from fpgagen.boards import load_board
from fpgagen.commands.common import model_from_args
from fpgagen.engine import EngineConfig
from fpgagen.plan import make_plan
from fpgagen.precision import parse_precision
from fpgagen.rtl_cycles import compare
from fpgagen.zoo import load_model

BOUND = 0.03
ZC706 = load_board("zc706")


def _plan(model: str, pe: tuple[int, int]):
    graph = model_from_args(argparse.Namespace(model=model, input_size=None))
    return make_plan(graph, ZC706, parse_precision("8"), EngineConfig(*pe))


def test_cycles_are_the_sum_of_named_terms():
    plan = make_plan(load_model("squeezenet"), ZC706, parse_precision("8"))
    for c in plan.costs:
        assert c.cycles == sum(v for _, v in c.terms), c.layer
        assert (c.op == "concat") == (not c.terms)
    assert plan.total_cycles == sum(c.cycles for c in plan.costs) + sum(
        v for _, v in plan.io_terms)
    assert dict(plan.io_terms)["load"] >= 224 * 224   # a pixel a cycle at best


def test_write_port_bound_on_wide_engines():
    """16x128: a result is 8 arena words; fire2's expand1x1 has 1 beat per result, so each
    result costs 8 cycles; conv1's results fill every write slot, so its fused pool runs
    after it (16x32: beside it, only its last row is left)."""
    sq = load_model("squeezenet")
    wide = {c.layer: dict(c.terms) for c in
            make_plan(sq, ZC706, parse_precision("8"), EngineConfig(16, 128)).costs}
    narrow = {c.layer: dict(c.terms) for c in
              make_plan(sq, ZC706, parse_precision("8"), EngineConfig(16, 32)).costs}
    e1 = wide["fire2_expand1x1"]
    assert e1["issue"] == 55 * 55 and e1["write_port"] == 7 * (55 * 55 - 1)
    assert narrow["fire2_expand1x1"]["write_port"] == 55 * 55 * 2 - 1  # 2 groups of 32
    pool1_beats = 55 * 4 * (9 + 54 * 6)
    assert sum(wide["conv1"].values()) > 111 * 111 * 8 + 0.9 * pool1_beats
    assert sum(narrow["pool1"].values()) < 2 * pool1_beats // 55


def _assert_within(build, model: str, pe: tuple[int, int]) -> None:
    run = rtlsim.run_rtl(build / "rtl", build / "vectors" / "input.hex",
                         build / "rtl_sim" / "cycles", dump=False)
    assert json.loads((build / "report.json").read_text())["engine"]["p_out"] == pe[1]
    plan = _plan(model, pe)
    rows = compare(plan.costs, plan.io_terms, rtlsim.mac_figures(run, build / "rtl")[
        "cycles_per_layer"], run.host["load_cycles"], run.cycles)
    bad = [f"{r.name}: RTL {r.rtl}, estimate {r.estimate} ({100 * r.error:+.1f} %)"
           for r in rows if abs(r.error) > BOUND]
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module", params=[(8, 64), (16, 8)], ids=["8x64", "16x8"])
def timing_build(request, tmp_path_factory):
    """The timing net (tests/timing_onnx.py) on an engine with P_OUT > P_IN (8 write cycles a
    result: conv1's results fill the port, the 1x1 convs are write-bound) and one with
    P_OUT < P_IN (lane groups)."""
    from fpgagen.cli import main

    tmp = tmp_path_factory.mktemp("timing")
    model = str(write_timing_onnx(tmp / "timing.onnx"))
    pe = request.param
    out = tmp / "b"
    assert main(["build", "--model", model, "--pe", f"{pe[0]}x{pe[1]}", "-q",
                 "-o", str(out)]) == 0
    return out, model, pe


@needs_sim
def test_estimate_within_3_percent_of_rtl(timing_build):
    """Fused conv1 + pool beside it (S_FZ) or after it, fused conv on the arena + pool
    (S_ALT), the write-port bound, lane groups, add, unfused pool, average pool, load, logits."""
    build, model, pe = timing_build
    _assert_within(build, model, pe)


def test_timing_net_exercises_every_term(tmp_path):
    """What the RTL test above relies on: each mechanism has an entry on one of its engines."""
    from fpgagen.plan import arena_groups

    model = str(write_timing_onnx(tmp_path / "timing.onnx"))
    wide, narrow = _plan(model, (8, 64)), _plan(model, (16, 8))
    assert [(f.conv, f.pool) for f in wide.fusions] == [("conv1", "pool1"), ("conv3", "pool2")]
    w = {c.layer: dict(c.terms) for c in wide.costs}
    assert w["conv2"]["write_port"] > w["conv2"]["issue"]     # 2 beats a result, 8 writes
    assert w["conv1"]["fused_pair"] > 0                          # its results fill the port
    assert w["pool2"]["fused_pair"] > 0 and w["conv3"]["fused_pair"] > 0   # S_ALT
    assert {c.op for c in wide.costs} >= {"add", "avgpool", "maxpool"}
    assert arena_groups(narrow.engine) == 2
    n = {c.layer: dict(c.terms) for c in narrow.costs}
    assert n["conv1"].get("fused_pair", 0) == 0                  # its pool runs beside it
