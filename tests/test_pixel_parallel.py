"""Pixel parallelism (EngineConfig.p_pix): the engine's arithmetic, --pe, the banked arena,
the staging banks of the conv on the image, the table's group addresses and the cycle
model's terms."""

from __future__ import annotations

import json
import math

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.zoo import load_model
from fpgagen.plan import cycles
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import (
    EngineConfig,
    maxpool_row_taps,
    parse_pe,
    pixel_stride_problem,
)
from fpgagen.plan.plan import ACTIVATIONS, INPUT_STAGING, STAGING_SLOTS, make_plan
from fpgagen.quant.precision import parse_precision

W8 = parse_precision("8")
ZCU102 = load_board("zcu102")


def test_parse_pe_takes_the_pixel_dimension():
    assert parse_pe("16x64x4") == EngineConfig(16, 64, p_pix=4)
    assert parse_pe("16x64x3") == EngineConfig(16, 64, p_pix=3)   # not only powers of two
    assert parse_pe("16x64") == EngineConfig(16, 64) == parse_pe("16x64x1")
    assert str(parse_pe("16 X 64 * 5")) == "16x64x5"
    assert str(parse_pe("16x64x1")) == "16x64"
    for bad in ("16x64x0", "16x64x17", "16x64x", "16x64x4x2", "16x64xa"):
        with pytest.raises(FpgagenError) as exc:
            parse_pe(bad)
        assert "\n" not in str(exc.value)


def test_macs_dsps_and_weight_lanes():
    eng = EngineConfig(16, 64, pack=True, p_pix=4)
    assert eng.macs == 16 * 64 * 4
    assert eng.weight_lanes == 16 * 64            # a weight word serves the 4 pixels
    # packed MAC pairs, plus the average pool's lanes (one word a beat)
    assert eng.dsp == 16 * 64 * 4 // 2 + 16
    assert EngineConfig(16, 64, pack=True).dsp == 16 * 64 // 2 + 16   # unchanged at p_pix 1


def test_stride_rule():
    """Taps x0 + j of a beat's pixels lie in distinct pixel banks: the engine runs arena convs
    of stride 1 on several pixels a beat; the conv on the image has its own staging banks."""
    net = g.make_graph("s2", (16, 16, 3), [
        g.conv("c1", g.INPUT, 16, 3, stride=2, pad=1), g.conv("c2", "c1", 16, 3, stride=2,
                                                               pad=1),
        g.avgpool("gap", "c2")])
    assert pixel_stride_problem(net, 1) is None
    assert "c2" in pixel_stride_problem(net, 3) and "stride 2" in pixel_stride_problem(net, 3)
    with pytest.raises(FpgagenError, match="c2"):
        make_plan(net, ZCU102, W8, EngineConfig(16, 16, p_pix=2))
    ok = g.make_graph("s1", (16, 16, 3), [
        g.conv("c1", g.INPUT, 16, 3, stride=2, pad=1), g.conv("c2", "c1", 16, 3, pad=1),
        g.maxpool("p2", "c2", 3, 2), g.avgpool("gap", "p2")])
    make_plan(ok, ZCU102, W8, EngineConfig(16, 16, p_pix=3))
    # the logits stream from one pixel bank: a one-pixel output
    wide_out = g.make_graph("wo", (8, 8, 3), [g.conv("c1", g.INPUT, 4, 3, pad=1)])
    assert "one pixel" in pixel_stride_problem(wide_out, 2)


@pytest.mark.parametrize("pix", [2, 3, 4])
def test_arena_rows_are_pixel_groups(pix):
    """Every tensor row is ceil(W / p_pix) groups in each of the p_pix pixel banks: the arena
    memory is p_pix x NW identical parts."""
    net = load_model("squeezenet")
    one = make_plan(net, ZCU102, W8, EngineConfig(16, 64, pack=True))
    many = make_plan(net, ZCU102, W8, EngineConfig(16, 64, pack=True, p_pix=pix))
    for name, t in many.tensors.items():
        if t.kind == "arena":
            h, w, _ = t.shape
            rows = t.ring_rows or h
            assert t.words == rows * math.ceil(w / pix) * t.words_per_pixel, name
    arena = many.memories[ACTIVATIONS]
    assert len(arena.parts) == pix * 4 and len(set(arena.parts)) == 1
    assert arena.depth == pix * 4 * arena.parts[0].depth
    assert many.arena_bytes >= one.arena_bytes   # rows padded to whole groups
    assert many.activations.arena_words == many.activations.lower_bound_words


def test_staging_banks():
    """SqueezeNet 1.1's conv1 (3x3/2, 3 channels) on 16 lanes: 4 taps a beat; 4 pixels a beat
    at stride 2 span 2 * 3 + 4 = 10 pixels: 16 staging banks (a power of two); one pixel a
    beat: the 4 banks of the packed taps."""
    p = make_plan(load_model("squeezenet"), ZCU102, W8, EngineConfig(16, 64, pack=True, p_pix=4))
    assert p.stage_taps == 4 and p.stage_banks == 16
    assert p.weights["conv1"].beats_per_result == 3
    stage = p.memories[INPUT_STAGING]
    assert len(stage.parts) == 16
    assert stage.depth == STAGING_SLOTS * 16 * math.ceil(224 * 224 / 16)
    one = make_plan(load_model("squeezenet"), ZCU102, W8, EngineConfig(16, 64, pack=True))
    assert one.stage_banks == 4 and len(one.memories[INPUT_STAGING].parts) == 4
    # no conv changes its weight layout with p_pix
    assert {n: w.words for n, w in p.weights.items()} == \
        {n: w.words for n, w in one.weights.items()}


def test_maxpool_beats():
    # one pixel a beat: K x K, then K x S with the column carry
    assert maxpool_row_taps(3, 2, 27) == 9 + 26 * 6
    # p_pix pixels of a window row a beat, no carry
    assert maxpool_row_taps(3, 2, 27, 4) == 27 * 3
    assert maxpool_row_taps(3, 2, 27, 2) == 27 * 3 * 2


def test_cycle_terms_scale_with_pixel_groups():
    """The issue terms: a conv's results are pixel groups x output groups, the average pool
    reads a group's p_pix pixels x NW words a beat."""
    net = load_model("squeezenet")
    eng = EngineConfig(16, 64, pack=True, p_pix=4)
    p = make_plan(net, ZCU102, W8, eng)
    terms = {c.layer: dict(c.terms) for c in p.costs}
    # fire2 expand3x3: 55 x 55 x 64 out of 16 in, 3x3: 55 rows x 14 groups x 1 og x 9 beats
    assert terms["fire2_expand3x3"]["issue"] == 55 * 14 * 9
    # conv10: 13 x 13 x 1000 out of 512: 13 x 4 groups x 16 og x 32 beats
    assert terms["conv10"]["issue"] == 13 * 4 * 16 * 32
    # pool10: one word a beat: 13 x 13 pixels x 63 words
    assert terms["pool10"]["issue"] == 13 * 13 * 63
    # pool3: 27 rows x 2 word groups x 27 windows x 3 beats
    assert terms["pool3"]["issue"] == 27 * 2 * 27 * 3
    # conv1 on the staging memory: 111 rows x 28 groups x 3 beats (3 rows of 4 taps)
    assert terms["conv1"]["issue"] == 111 * 28 * 3
    assert cycles.timing(eng).p_pix == 4


def test_pixel_parallel_estimate_on_the_zcu102():
    """The design's point: 16x64x4 packed (2,112 DSPs of 2,520) at the weight bandwidth of a
    16x64 array, estimated at well over twice the 16x128 default's streaming rate."""
    net = load_model("squeezenet")
    wide = make_plan(net, ZCU102, W8, EngineConfig(16, 64, pack=True, p_pix=4))
    base = make_plan(net, ZCU102, W8)
    assert wide.engine.dsp <= ZCU102.dsp
    assert wide.weight_word_bits == 16 * 64 * 8 < base.weight_word_bits
    assert wide.streaming_cycles * 2 < base.streaming_cycles


def test_check_plans_it(cli):
    """`check` plans and estimates a pixel-parallel engine, and says its pixels."""
    code, out, _ = cli("check", "--model", "digits", "--pe", "4x8x2", "--json")
    assert code == 0
    eng = json.loads(out)["engine"]
    assert (eng["p_in"], eng["p_out"], eng["p_pix"], eng["macs_per_cycle"]) == (4, 8, 2, 64)
