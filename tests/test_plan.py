"""The Plan: weight layout, memories, totals, cycles; a pure function of widths."""

from __future__ import annotations

import math

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.zoo import ZOO, load_model
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import ACTIVATIONS, BIASES, INPUT_STAGING, STAGING_SLOTS, WEIGHTS, make_plan
from fpgagen.quant.precision import parse_precision

ZC706 = load_board("zynq")


@pytest.fixture(scope="module")
def default_plan():
    return make_plan(load_model("squeezenet"), ZC706, parse_precision(None))


def test_default_build_fits_zc706(default_plan):
    p = default_plan
    # two MACs per DSP48E1: 16x64 in 528 of the 900 DSPs (16x32 with one MAC per DSP)
    assert (p.engine.p_in, p.engine.p_out, p.engine.pack) == (16, 64, True)
    assert p.arena_bytes == p.arena_lower_bound_bytes == 480_512
    assert p.arena_unfused_bytes == 982_144
    assert p.total_bytes <= ZC706.onchip_bytes
    assert p.bram36 <= ZC706.bram36 and p.uram == 0
    assert p.total_bytes == (p.weights_bytes + p.arena_bytes + p.staging_bytes)


def test_weight_layout_is_contiguous(default_plan):
    p = default_plan
    base = bias = 0
    for w in p.weights.values():
        assert (w.base, w.bias_base) == (base, bias)
        base += w.words
        bias += w.bias_words
    assert p.memories[WEIGHTS].depth == base and p.memories[BIASES].depth == bias
    assert p.memories[WEIGHTS].width == 16 * 64 * 8 == p.weight_word_bits
    assert p.memories[BIASES].width == 64 * 16 == p.bias_word_bits


def test_weight_layout_of_conv1_and_fire9(default_plan):
    # 3x3, 3 -> 64 on the image: 4 kernel columns per word (4 x 3 of 16 lanes), so
    # 1 group x 3 kernel rows x 1 tap group
    conv1 = default_plan.weights["conv1"]
    assert default_plan.stage_taps == conv1.taps == 4
    assert (conv1.out_groups, conv1.kernel, conv1.in_blocks, conv1.words) == (1, 3, 1, 3)
    assert conv1.word_address(0, 2, 0, 0) == conv1.base + 2
    e3 = default_plan.weights["fire9_expand3x3"]  # 3x3, 64 -> 256
    assert (e3.out_groups, e3.in_blocks, e3.words, e3.split) == (4, 4, 4 * 9 * 4, 1)
    assert e3.word_address(0, 0, 1, 0) == e3.base + 4
    # 1x1, 64 -> 16: split 4 ways (conv_split), its 4 input words in one beat: one word
    sq = default_plan.weights["fire2_squeeze1x1"]
    assert (sq.out_groups, sq.in_blocks, sq.split, sq.words) == (1, 4, 4, 1)
    sq5 = default_plan.weights["fire5_squeeze1x1"]  # 1x1, 256 -> 32: 2 ways, 8 beats
    assert (sq5.split, sq5.words) == (2, 8)


def test_logical_weight_bytes(default_plan):
    graph = default_plan.graph
    bits = sum(graph.params(lay) * 8 + lay.out_channels * 8 for lay in graph.layers
               if lay.op == "conv")  # weights at 8 bits, biases at 16 = 8 + 8 extra
    assert default_plan.weights_logical_bytes == bits // 8
    assert default_plan.weights_logical_bytes <= default_plan.weights_bytes


def test_staging_buffers(default_plan):
    inp = default_plan.memories[INPUT_STAGING]
    # two image slots (the next image loads while one computes), 4 banks of 2 x 12,544 words
    assert (inp.width, inp.depth, inp.bytes) == (24, 2 * 224 * 224, 2 * 224 * 224 * 3)
    assert [p.depth for p in inp.parts] == [2 * 12_544] * 4
    # a slot is not padded to a power of two: its base is an added constant
    assert inp.mapping.bram36 + inp.mapping.bram18 / 2 < 4 * 22
    assert default_plan.staging_bytes == inp.bytes
    assert default_plan.memories[ACTIVATIONS].width == 128


def test_memories_are_the_ones_both_cores_build(default_plan):
    # no output memory: the RTL (hw/fg_logits_out.v) and the HLS core stream the logits out of
    # the arena, so the Plan counts none (it did once: 1 BRAM18 the cores never built)
    assert list(default_plan.memories) == [ACTIVATIONS, INPUT_STAGING, WEIGHTS, BIASES]
    # two staging slots; the bias ROM (1024 x 65), written as one array, is built in one block
    # aspect: 29 x 36-bit BRAM18 (map_one_array), 14.5 BRAM36 as the columns 14 x 72 + 18 were
    assert default_plan.bram36 == 537 and default_plan.bram18 == 45
    assert default_plan.total_bytes == 2_045_312
    # the HLS core's staging holds one image: 4 banks of 12,544 words, 9.5 BRAM36 each
    # instead of 18 (the Verilog core's two slots); everything else is the same memory
    hls = default_plan.hls_memories
    assert [p.depth for p in hls[INPUT_STAGING].parts] == [12_544] * 4
    assert {n: m for n, m in hls.items() if n != INPUT_STAGING} == {
        n: m for n, m in default_plan.memories.items() if n != INPUT_STAGING}
    assert (default_plan.hls_bram36, default_plan.hls_uram) == (537 - 4 * (18 - 9.5), 0)
    assert default_plan.hls_total_bytes == default_plan.total_bytes - 224 * 224 * 3
    # 16x64: a conv result is 4 arena words, so the arena is 4 banks of 7,508 words (word a
    # in bank a mod 4), written in one cycle (hw/fg_arena.v)
    arena = default_plan.memories[ACTIVATIONS]
    assert [p.depth for p in arena.parts] == [7_508] * 4 and arena.depth == 30_032


def test_cycle_estimates(default_plan):
    # the RTL cycle model's named terms (fpgagen/plan/cycles.py; tests/test_rtl_cycles.py holds
    # them to the RTL within 3 %)
    cost = {c.layer: dict(c.terms) for c in default_plan.costs}
    assert cost["conv1"]["issue"] == 111 * 111 * 1 * 3 * 1  # 3 beats: one per kernel row
    # 9 taps for a row's first window, then 6: the shared column's 3 taps are carried; the
    # pool runs alongside conv1 (which reads the image), so about its last row is left over
    assert sum(cost["pool1"].values()) < 2 * 4 * (9 + 54 * 6)
    assert cost["fire2_concat"] == {}
    assert cost["pool10"]["issue"] == 13 * 13 * math.ceil(1000 / 16)
    # 16x64: a result is 4 arena words, written in one cycle (4 arena banks); expand1x1 has
    # one beat a result, so it costs its beats and no write cycles
    assert "write_port" not in cost["fire2_expand1x1"]
    assert cost["fire2_expand1x1"]["issue"] == 55 * 55 * 1
    # the squeeze (64 -> 16) split 4 ways: its 4 input words in one beat per pixel
    assert cost["fire2_squeeze1x1"]["issue"] == 55 * 55 * 1
    # a max-pool beat reads all 4 banks: pool3's 8 words per pixel in 2 beats per tap
    assert cost["pool3"]["issue"] == 27 * 2 * (9 + 26 * 6)
    assert default_plan.fps == pytest.approx(200e6 / default_plan.total_cycles)
    steps = {c.layer: c.step for c in default_plan.costs}
    assert steps["pool1"] == steps["conv1"] == 1


def test_plan_is_pure():
    graph, prec = load_model("zynqnet"), parse_precision("w8a16")
    a = make_plan(graph, ZC706, prec)
    b = make_plan(graph, ZC706, prec)
    assert a == b


@pytest.mark.parametrize("model", list(ZOO))
def test_every_zoo_model_plans_at_w16(model):
    p = make_plan(load_model(model), ZC706, parse_precision("16"), fuse=False)
    assert p.arena_bytes == p.arena_lower_bound_bytes == p.arena_unfused_bytes
    assert p.memories[ACTIVATIONS].width == 16 * 16


def test_no_fuse_records_no_fusion():
    p = make_plan(load_model("squeezenet"), ZC706, parse_precision("8"), fuse=False)
    assert p.fusions == () and p.arena_bytes == 982_144


def test_wide_precision_needs_no_quantization():
    p = make_plan(load_model("zynqnet"), ZC706, parse_precision("ap_fixed<32,16>"))
    assert p.memories[WEIGHTS].width == 16 * 32 * 32
    assert p.total_bytes > 8192 * 1024


def test_uram_holds_rams_not_roms_on_zcu104():
    graph, zcu104 = load_model("squeezenet"), load_board("zcu104")
    wide = make_plan(graph, zcu104, parse_precision("8"), EngineConfig(16, 64))
    assert 0 < wide.uram <= 96
    assert wide.memories[ACTIVATIONS].mapping.uram > 0
    # ROMs stay in BRAM: UltraScale+ URAM cannot be initialized by the bitstream, so on the
    # DSP-sized 16x64 array SqueezeNet 1.1's weights (342 BRAM36) overflow the 312 BRAM36
    assert wide.memories[WEIGHTS].mapping.uram == 0 and wide.memories[BIASES].mapping.uram == 0
    assert wide.memories[WEIGHTS].mapping.bram36 == 342 and wide.bram36 > 312
    # ... so the default halves P_out to the widest array that fits
    p = make_plan(graph, zcu104, parse_precision("8"))
    assert (p.engine.p_in, p.engine.p_out) == (16, 32)
    assert p.memories[WEIGHTS].mapping.bram36 == 285 and p.bram36 <= 312 and p.uram <= 96


def test_default_engine_stays_when_nothing_fits():
    p = make_plan(load_model("squeezenet"), load_board("pynq-z2"), parse_precision("8"))
    assert (p.engine.p_in, p.engine.p_out) == (16, 8) and p.bram36 > 140


def test_explicit_engine_and_its_errors():
    graph = load_model("squeezenet")
    p = make_plan(graph, ZC706, parse_precision("8"), EngineConfig(8, 8))
    assert p.memories[WEIGHTS].width == 8 * 8 * 8
    with pytest.raises(FpgagenError, match="P_in=128"):
        make_plan(graph, ZC706, parse_precision("8"), EngineConfig(128, 4))


def test_grouped_conv_is_refused():
    net = g.make_graph("dw", (8, 8, 16), [g.conv("a", "input", 16, 3, groups=16)])
    with pytest.raises(FpgagenError, match="grouped"):
        make_plan(net, ZC706, parse_precision("8"))


def test_precision_override_for_unknown_layer(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('[model]\nprecision = "8"\n[layers.nope]\nweight = "4"\n')
    with pytest.raises(FpgagenError, match="nope"):
        make_plan(load_model("squeezenet"), ZC706, parse_precision(str(f)))


def test_per_layer_widths_widen_the_words(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('[model]\nprecision = "8"\n[layers.conv10]\nweight = "16"\n')
    p = make_plan(load_model("squeezenet"), ZC706, parse_precision(str(f)))
    assert p.weights["conv10"].weight_width == 16 and p.weights["conv1"].weight_width == 8
    assert p.weight_word_bits == 16 * 32 * 16


@pytest.mark.parametrize(("pe", "kernel", "taps"), [((16, 32), 3, 4), ((16, 32), 7, 4),
                                                   ((8, 8), 3, 2), ((4, 8), 3, 1),
                                                   ((16, 32), 1, 1), ((16, 32), 2, 2)])
def test_staging_taps(pe, kernel, taps):
    """Powers of two with taps * C_in <= P_in, no more than the kernel needs; the staging
    memory becomes that many banks and the conv's words shrink to ceil(K / taps) per row."""
    gr = g.make_graph("t", (9, 9, 3), [g.conv("c1", g.INPUT, 8, kernel, pad=kernel // 2),
                                       g.avgpool("gap", "c1")])
    p = make_plan(gr, ZC706, parse_precision("8"), EngineConfig(*pe))
    wl = p.weights["c1"]
    assert p.stage_taps == wl.taps == taps
    assert wl.words == wl.out_groups * kernel * -(-kernel // taps)
    stage = p.memories[INPUT_STAGING]
    assert stage.depth == STAGING_SLOTS * taps * -(-81 // taps)
    assert stage.mapping.depth == stage.depth


def test_one_staging_slot_when_two_do_not_fit():
    """SqueezeNet 1.0 on the ZC706 fits with one staging slot, not with two: the Plan keeps
    the design on the part and streams with less overlap (the next image loads once conv1 and
    its fused pool are done); SqueezeNet 1.1 keeps both slots."""
    sq10 = make_plan(load_model("squeezenet1_0"), ZC706, parse_precision("8"))
    assert sq10.staging_slots == 1 and sq10.bram36 <= ZC706.bram36
    assert sq10.memories[INPUT_STAGING].depth == 4 * -(-227 * 227 // 4)
    io = dict(sq10.io_terms)
    compute = sum(c.cycles for c in sq10.costs) + io["logits"]
    first = sum(c.cycles for c in sq10.costs[:2])  # conv1 and its fused pool1
    assert sq10.streaming_cycles == max(compute, first + io["load"]) + 2
    assert sq10.streaming_cycles < sq10.total_cycles
    sq11 = make_plan(load_model("squeezenet"), ZC706, parse_precision("8"))
    assert sq11.staging_slots == 2
    assert sq11.streaming_cycles == sq11.total_cycles - dict(sq11.io_terms)["load"] + 2


# --- the weight source: the bitstream or a load at run time ------------------------------------


def test_weights_stay_in_the_bitstream_where_they_fit():
    """auto keeps the ZC706, ZCU102 and ZCU104 defaults as they were: weights and biases in
    block RAM with initial contents."""
    graph = load_model("squeezenet")
    for board in ("zc706", "zcu102", "zcu104"):
        p = make_plan(graph, load_board(board), parse_precision("8"))
        assert p.weight_source == "bitstream" and p.weights_in_bitstream, board
        assert [p.memories[n].init for n in (WEIGHTS, BIASES)] == ["bitstream"] * 2
        assert p.memories[WEIGHTS].mapping.uram == p.memories[BIASES].mapping.uram == 0
        assert p.memories[ACTIVATIONS].init == p.memories[INPUT_STAGING].init == ""
        assert p.weight_policy == "auto"


def test_kv260_fits_only_with_weights_loaded_at_run_time():
    """2.3 MB of the KV260's 2.95 MB is URAM, which the bitstream cannot initialize: auto
    loads the weights at run time, into URAM, at the widest engine that fits so (16x16; at
    16x32 the arena and staging do not fit the 144 BRAM36 beside 57 URAM of weights)."""
    graph, kv260 = load_model("squeezenet"), load_board("kv260")
    p = make_plan(graph, kv260, parse_precision("8"))
    assert p.weight_source == "runtime" and not p.weights_in_bitstream
    assert (p.engine.p_in, p.engine.p_out) == (16, 16)
    assert [p.memories[n].init for n in (WEIGHTS, BIASES)] == ["stream"] * 2
    assert (p.memories[WEIGHTS].mapping.uram, p.memories[BIASES].mapping.uram) == (58, 4)
    assert p.bram36 <= kv260.bram36 and p.uram <= kv260.uram
    assert p.total_bytes <= kv260.onchip_bytes
    # with the weights in the bitstream nothing fits the block RAM
    b = make_plan(graph, kv260, parse_precision("8"), weight_source="bitstream")
    assert b.weight_source == "bitstream" and b.bram36 > kv260.bram36
    assert b.memories[WEIGHTS].mapping.uram == 0
    # at 16x32 run-time weights take 57 URAM and the rest overflows the block RAM
    p32 = make_plan(graph, kv260, parse_precision("8"), EngineConfig(16, 32),
                    weight_source="runtime")
    assert p32.memories[WEIGHTS].mapping.uram == 57 and p32.bram36 > kv260.bram36


def test_runtime_weights_move_to_uram_on_the_zcu104():
    graph, zcu104 = load_model("squeezenet"), load_board("zcu104")
    p = make_plan(graph, zcu104, parse_precision("8"), weight_source="runtime")
    assert (p.engine.p_in, p.engine.p_out) == (16, 32) and p.weight_source == "runtime"
    assert p.memories[WEIGHTS].mapping.uram == 57 and p.memories[WEIGHTS].init == "stream"
    auto = make_plan(graph, zcu104, parse_precision("8"))
    assert p.bram36 + 100 < auto.bram36  # the block RAM the weights no longer take
    # the same memories, only their blocks and contents differ
    assert {n: (m.width, m.depth) for n, m in p.memories.items()} == \
        {n: (m.width, m.depth) for n, m in auto.memories.items()}


def test_weight_source_is_checked():
    with pytest.raises(FpgagenError, match="weight source 'flash'"):
        make_plan(load_model("digits"), ZC706, parse_precision("8"), weight_source="flash")
