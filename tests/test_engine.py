"""Engine parameters: the default P_in x P_out per board, and --pe parsing."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.zoo import load_model
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import (
    EngineConfig,
    default_engine,
    mac_operand_bits,
    pack_problem,
    packed_dsp_engine,
    parse_pe,
)
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision

W8 = parse_precision("8")


@pytest.mark.parametrize(("board", "pe"), [
    ("zynq", (16, 32)), ("pynq-z2", (16, 8)), ("ultra96", (16, 16)), ("zcu104", (16, 64)),
])
def test_default_engine_per_board(board, pe):
    eng = default_engine(load_board(board), W8, load_model("squeezenet"))
    assert (eng.p_in, eng.p_out) == pe
    assert eng.macs <= load_board(board).dsp


def test_zynqnet_keeps_16_lanes():
    # fire9 expands to 368 = 23 x 16 channels: still divisible by 16
    assert default_engine(load_board("zynq"), W8, load_model("zynqnet")).p_in == 16


def test_p_in_shrinks_to_divide_concat_inputs():
    net = g.make_graph("odd", (8, 8, 3), [
        g.conv("a", "input", 24, 1), g.conv("b", "input", 12, 1), g.concat("c", "a", "b"),
        g.conv("d", "c", 10, 1)])
    eng = default_engine(load_board("zynq"), W8, net)
    assert eng.p_in == 4 and eng.p_out == 128  # 4 x 128 = 512 <= 900 DSP


def test_parse_pe():
    assert parse_pe("8x8") == EngineConfig(8, 8)
    assert parse_pe(" 16X32 ") == EngineConfig(16, 32)
    assert str(parse_pe("4*2")) == "4x2"
    for bad in ("8", "x8", "8x", "0x8", "8x-1", "axb", "2000x1", "3x5", "8x6", "6x12"):
        with pytest.raises(FpgagenError) as exc:
            parse_pe(bad)
        assert "\n" not in str(exc.value)


def test_default_engine_refuses_when_concats_leave_too_few_lanes_for_the_image():
    """5 + 6 channels force P_in = 1; the conv on the 3-channel image needs 4 lanes: no
    engine runs it, and the message names both layers (it used to build 1x512 and fail later,
    blaming the conv alone)."""
    net = g.make_graph("odd", (8, 8, 3), [
        g.conv("a", "input", 5, 1), g.conv("b", "input", 6, 1), g.concat("c", "a", "b"),
        g.conv("d", "c", 10, 1)])
    with pytest.raises(FpgagenError, match=r"no engine runs odd: concat 'c' input 'a' has 5 "
                                           r"channels.*conv 'a' reads the 3-channel input image"):
        default_engine(load_board("zynq"), W8, net)


# --- two MACs per DSP (hw/fg_mul2.v, fg_pe_array PACK) ---------------------------------------


def test_packing_arithmetic_is_exact_at_w8a8():
    """The arithmetic of hw/fg_mul2.v on Python integers, exhaustively at w8a8 (XA_W 9, W_W 8,
    S = 16): every activation but -256 (which the engine never presents) times every pair of
    weights; the packed weight fits a DSP48E1's 25 bits and both products come back exact.
    The corner -256 x -128 is the one triple the tight shift cannot hold."""
    xa_w, w_w = 9, 8
    s = xa_w + w_w - 1
    w = np.arange(-(1 << (w_w - 1)), 1 << (w_w - 1), dtype=np.int64)
    w_lo, w_hi = (a.ravel() for a in np.meshgrid(w, w))
    k = w_hi * (1 << s) + w_lo
    assert k.min() >= -(1 << 24) and k.max() < (1 << 24)  # 25 bits signed: xa_w + 2 w_w
    for x in range(-(1 << (xa_w - 1)) + 1, 1 << (xa_w - 1)):
        p = x * k + (1 << (s - 1))
        hi = p >> s
        lo = (p & ((1 << s) - 1)) - (1 << (s - 1))
        assert np.array_equal(hi, x * w_hi) and np.array_equal(lo, x * w_lo), x
    x, lo_w = -(1 << (xa_w - 1)), -(1 << (w_w - 1))
    p = x * lo_w + (1 << (s - 1))
    assert (p & ((1 << s) - 1)) - (1 << (s - 1)) != x * lo_w


@pytest.mark.parametrize(("slice_", "xa_w", "w_w", "fits"), [
    ("DSP48E1", 9, 8, True),     # w8a8: 25 bits
    ("DSP48E2", 9, 8, True),
    ("DSP48E1", 9, 9, False),    # 27 bits: only UltraScale+
    ("DSP48E2", 9, 9, True),
    ("DSP48E2", 17, 8, False),   # 16-bit activations: 33 bits
    ("DSP48E2", 9, 16, False),
    ("DSP48E1", 7, 4, True),
    ("DSP48E2", 19, 2, False),   # the activation exceeds the 18-bit operand
])
def test_pack_problem(slice_, xa_w, w_w, fits):
    problem = pack_problem(slice_, xa_w, w_w)
    assert (problem is None) == fits
    if problem:
        assert slice_ in problem and str(xa_w + 2 * w_w) in problem


@pytest.mark.parametrize(("board", "slice_"), [
    ("zc706", "DSP48E1"), ("pynq-z2", "DSP48E1"), ("vc709", "DSP48E1"),
    ("zcu102", "DSP48E2"), ("zcu104", "DSP48E2"), ("kv260", "DSP48E2"), ("ultra96", "DSP48E2"),
])
def test_board_dsp_slice(board, slice_):
    assert load_board(board).dsp_slice == slice_


def test_packed_dsp_engine_on_the_zc706():
    eng = packed_dsp_engine(load_board("zc706"), mac_operand_bits(8, 8), 8)
    assert eng == EngineConfig(16, 64, pack=True) and eng.dsp == 16 * 32 + 16 <= 900
    assert EngineConfig(16, 64).dsp == 1040  # one MAC per DSP: over the ZC706's 900
    assert packed_dsp_engine(load_board("zc706"), mac_operand_bits(16, 8), 8) is None


def test_pe_16x64_on_the_zc706_packs_and_so_does_the_default():
    net, board = load_model("squeezenet"), load_board("zc706")
    default = make_plan(net, board, W8)   # 16x64 packed: 1.85x the 16x32's estimate (>= 1.3)
    assert default.engine == EngineConfig(16, 64, pack=True)
    assert not make_plan(net, board, W8, pack=False).engine.pack  # asked not to: 16x32
    assert str(make_plan(net, board, W8, pack=False).engine) == "16x32"
    # the ZCU102 stays one MAC per DSP: 16x256 packed is under 1.3x its 16x128
    assert make_plan(net, load_board("zcu102"), W8).engine == EngineConfig(16, 128)
    packed = make_plan(net, board, W8, engine=parse_pe("16x64"))
    assert packed.engine.pack and packed.engine.dsp == 528
    assert not make_plan(net, board, W8, engine=parse_pe("16x32")).engine.pack
    # packing only where it makes the engine fit: 64x64 needs 2,112 DSPs even packed
    assert not make_plan(net, board, W8, engine=parse_pe("64x64")).engine.pack
    # 16-bit activations cannot pack on a DSP48E1: the engine stays over the DSPs
    assert not make_plan(net, board, parse_precision("16"), engine=parse_pe("16x64")).engine.pack
    with pytest.raises(FpgagenError, match="cannot pack"):
        make_plan(net, board, parse_precision("16"), engine=parse_pe("16x64"), pack=True)


def test_packed_engine_needs_an_even_p_out():
    with pytest.raises(FpgagenError, match="even P_out"):
        EngineConfig(4, 1, pack=True)


def test_the_average_pool_takes_one_dsp_a_lane_where_its_product_fits_one():
    """Its product is the SUM_W-bit sum times the 16-bit M (a 17-bit signed operand), as
    hw/fg_avgpool.v and the HLS core compute it: SqueezeNet 1.1's 13x13 map at w8a8 is an
    18 x 17 product, one DSP48E1 a lane; at 16-bit activations the sum is 26 bits, wider than
    the DSP48E1's 25-bit operand (two a lane) and within the DSP48E2's 27."""
    from fpgagen.plan.engine import avgpool_lane_dsps, avgpool_sum_width

    assert avgpool_sum_width(8, 13 * 13) == 18 and avgpool_sum_width(16, 13 * 13) == 26
    assert avgpool_lane_dsps(18, 16, "DSP48E1") == 1
    assert avgpool_lane_dsps(26, 16, "DSP48E1") == 2
    assert avgpool_lane_dsps(26, 16, "DSP48E2") == 1
    assert avgpool_lane_dsps(25, 17, "DSP48E1") == 1 and avgpool_lane_dsps(25, 18, "DSP48E1") == 2
    sq = load_model("squeezenet")
    w8 = make_plan(sq, load_board("zc706"), parse_precision(None))
    assert w8.engine.avg_dsp == 1 and w8.engine.dsp == 16 * 32 + 16
    w16 = make_plan(sq, load_board("zc706"), parse_precision("16"))
    assert w16.engine.avg_dsp == 2 and w16.engine.dsp == w16.engine.macs + 2 * 16
    assert make_plan(sq, load_board("zcu102"), parse_precision("16")).engine.avg_dsp == 1
