"""The Plan's cycle estimate (fpgagen/plan/cycles.py) against the RTL: every layer-table entry
within 3 % of the cycles the Verilator bench counts, on small builds that exercise each term
(bench/bench_estimate.py prints the same table for SqueezeNet 1.1 on every board)."""

from __future__ import annotations

import argparse
import json

import pytest
from test_rtl import needs_sim
from timing_onnx import write_timing_onnx

from fpgagen.cli.common import model_from_args
from fpgagen.frontend.zoo import load_model
from fpgagen.plan.boards import load_board
from fpgagen.plan.cycles import compare
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision
from fpgagen.verify import rtlbench, rtlfigures

BOUND = 0.03
ZC706 = load_board("zc706")


def _engine(pe: tuple[int, ...]) -> EngineConfig:
    return EngineConfig(pe[0], pe[1], p_pix=pe[2] if len(pe) > 2 else 1)


def _plan(model: str, pe: tuple[int, ...]):
    graph = model_from_args(argparse.Namespace(model=model, input_size=None))
    return make_plan(graph, ZC706, parse_precision("8"), _engine(pe))


def test_cycles_are_the_sum_of_named_terms():
    plan = make_plan(load_model("squeezenet"), ZC706, parse_precision("8"))
    for c in plan.costs:
        assert c.cycles == sum(v for _, v in c.terms), c.layer
        assert (c.op == "concat") == (not c.terms)
    assert plan.total_cycles == sum(c.cycles for c in plan.costs) + sum(
        v for _, v in plan.io_terms)
    assert dict(plan.io_terms)["load"] >= 224 * 224   # a pixel a cycle at best


def test_banked_arena_on_wide_engines():
    """16x128: a result is 8 arena words, written in one cycle (8 banks, hw/fg_arena.v), so
    fire2's expand1x1 (1 beat a result) costs its beats; conv1 (3 beats a result) leaves the
    port free 2 cycles in 3, so its fused pool runs beside it; a pool beat reads all 8 banks
    (pool3: 8 words per pixel in one beat per tap, 16x32: in 4)."""
    sq = load_model("squeezenet")
    wide = {c.layer: dict(c.terms) for c in
            make_plan(sq, ZC706, parse_precision("8"), EngineConfig(16, 128)).costs}
    narrow = {c.layer: dict(c.terms) for c in
              make_plan(sq, ZC706, parse_precision("8"), EngineConfig(16, 32)).costs}
    e1 = wide["fire2_expand1x1"]
    assert e1["issue"] == 55 * 55 and "write_port" not in e1
    assert sum(e1.values()) < 55 * 55 + 200
    assert sum(wide["conv1"].values()) < 1.02 * wide["conv1"]["issue"]
    assert sum(wide["pool1"].values()) < 2 * 55 * (9 + 54 * 6)      # about its last row
    assert wide["pool3"]["issue"] == 27 * 1 * (9 + 26 * 6)
    assert narrow["pool3"]["issue"] == 27 * 4 * (9 + 26 * 6)


def _assert_within(build, model: str, pe: tuple[int, int]) -> None:
    run = rtlbench.run_rtl(build / "rtl", build / "vectors" / "input.hex",
                           build / "rtl_sim" / "cycles", dump=False)
    assert json.loads((build / "report.json").read_text())["engine"]["p_out"] == pe[1]
    plan = _plan(model, pe)
    rows = compare(plan.costs, plan.io_terms, rtlfigures.mac_figures(run, build / "rtl")[
        "cycles_per_layer"], run.host["load_cycles"], run.cycles)
    bad = [f"{r.name}: RTL {r.rtl}, estimate {r.estimate} ({100 * r.error:+.1f} %)"
           for r in rows if abs(r.error) > BOUND]
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module", params=[(8, 64), (16, 8), (8, 16, 3)],
                ids=["8x64", "16x8", "8x16x3"])
def timing_build(request, tmp_path_factory):
    """The timing net (tests/timing_onnx.py) on an engine with P_OUT > P_IN (8 arena banks: a
    result written in one cycle, max-pool beats of 8 words), one with P_OUT < P_IN (lane
    groups) and one of 3 pixels a beat (pixel groups, pool chunks, staging banks)."""
    from fpgagen.cli.main import main

    tmp = tmp_path_factory.mktemp("timing")
    model = str(write_timing_onnx(tmp / "timing.onnx"))
    pe = request.param
    out = tmp / "b"
    assert main(["build", "--model", model, "--pe", "x".join(map(str, pe)), "-q",
                 "-o", str(out)]) == 0
    return out, model, pe


@pytest.mark.slow
@needs_sim
def test_estimate_within_3_percent_of_rtl(timing_build):
    """Fused conv1 + pool beside it (S_FZ) or after it, fused conv on the arena + pool
    (S_ALT), banked writes, wide pool reads, lane groups, add, unfused pool, average pool,
    load, logits."""
    build, model, pe = timing_build
    _assert_within(build, model, pe)


def n_pool3_issue(plan) -> int:
    return next(dict(c.terms)["issue"] for c in plan.costs if c.layer == "pool3")


def test_timing_net_exercises_every_term(tmp_path):
    """What the RTL test above relies on: each mechanism has an entry on one of its engines."""
    from fpgagen.plan.plan import arena_groups

    model = str(write_timing_onnx(tmp_path / "timing.onnx"))
    wide, narrow = _plan(model, (8, 64)), _plan(model, (16, 8))
    assert [(f.conv, f.pool) for f in wide.fusions] == [("conv1", "pool1"), ("conv3", "pool2")]
    w = {c.layer: dict(c.terms) for c in wide.costs}
    assert all("write_port" not in t for t in w.values())      # 8 words a result, one cycle
    assert w["conv1"]["fused_pair"] == 0     # a write a result (8 banks): the pool runs beside
    # pool3 (2x2/2 to 2x2, 24 channels): 3 words a pixel, read in one beat per tap (8 banks);
    # 16x8: 2 words, one bank, 2 beats per tap
    assert w["pool3"]["issue"] == 2 * 2 * 4 and n_pool3_issue(narrow) == 2 * 2 * 4 * 2
    assert w["pool2"]["fused_pair"] > 0 and w["conv3"]["fused_pair"] > 0   # S_ALT
    assert {c.op for c in wide.costs} >= {"add", "avgpool", "maxpool"}
    assert arena_groups(narrow.engine) == 2
    n = {c.layer: dict(c.terms) for c in narrow.costs}
    assert n["conv1"].get("fused_pair", 0) == 0                  # its pool runs beside it
