"""Budget sizes, the fit verdict and the suggestions."""

from __future__ import annotations

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend.zoo import load_model
from fpgagen.plan.boards import load_board
from fpgagen.plan.budget import BRAM_CHECK, consumers, judge, parse_size, suggest
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision


@pytest.mark.parametrize(("text", "size"), [
    ("8192KB", 8192 * 1024), ("8MB", 8 * 1024**2), ("2.5MiB", 2_621_440),
    ("1048576", 1_048_576), ("512 kib", 524_288), ("1G", 1024**3), ("100B", 100),
    ("0.5KB", 512),
])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "KB", "8XB", "-1MB", "0", "0KB", "1e-9", "8 M B", "ten",
                                  "nan", "inf", "1e309", "1e999", "1e999999999", "9" * 400,
                                  "1025GiB"])
def test_parse_size_rejects(text):
    with pytest.raises(FpgagenError) as exc:
        parse_size(text)
    assert "\n" not in str(exc.value) and "--budget" in str(exc.value)


def test_parse_size_bound_is_inclusive():
    assert parse_size("1024GiB") == 1024**4


def test_budget_judges_bytes_only():
    plan = make_plan(load_model("zynqnet"), load_board("zynq"), parse_precision("16"))
    v = judge(plan, 8192 * 1024)
    assert v.fits and not v.from_board
    bram = next(c for c in v.checks if c.name == BRAM_CHECK)
    assert not bram.judged and not bram.ok  # shown, over, but not judged
    on_board = judge(plan)
    assert not on_board.fits and on_board.budget_bytes == load_board("zynq").onchip_bytes
    assert on_board.over_bytes == plan.total_bytes - on_board.budget_bytes


def test_consumers_are_sorted_and_capped():
    plan = make_plan(load_model("squeezenet"), load_board("zynq"), parse_precision("8"))
    top = consumers(plan)
    assert len(top) == 10 and [c.bytes for c in top] == sorted((c.bytes for c in top),
                                                               reverse=True)
    assert top[0].name == "conv10" and top[0].kind == "weights+biases"


def test_suggestions_for_zynqnet_w16():
    graph, board = load_model("zynqnet"), load_board("zynq")
    s = suggest(graph, board, parse_precision("16"), None, True, None)
    assert s.boards == ()  # ZynqNet at w16a16 fits no board
    assert s.precision == "w4a4" and s.precision_total_bytes <= board.onchip_bytes
    s32 = suggest(graph, board, parse_precision("ap_fixed<32,16>"), None, True, 8192 * 1024)
    assert s32.precision == "w16a16"


def test_suggestion_of_fusion():
    graph, board = load_model("squeezenet1_0"), load_board("zynq")
    budget = 2_700_000  # fused w8a8 (2.46 MB) fits, unfused (2.97 MB) does not
    assert not judge(make_plan(graph, board, parse_precision("8"), fuse=False), budget).fits
    s = suggest(graph, board, parse_precision("8"), None, False, budget)
    assert s.fusion_fits
