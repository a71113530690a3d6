"""Engine parameters: the default P_in x P_out per board, and --pe parsing."""

from __future__ import annotations

import pytest

from fpgagen import graph as g
from fpgagen.boards import load_board
from fpgagen.engine import EngineConfig, default_engine, parse_pe
from fpgagen.errors import FpgagenError
from fpgagen.precision import parse_precision
from fpgagen.zoo import load_model

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
