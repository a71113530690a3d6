"""Boards from TOML: figures from the data sheets, aliases, capacity."""

from __future__ import annotations

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.plan.boards import BRAM36_BYTES, URAM_BYTES, all_boards, load_board


@pytest.mark.parametrize(("name", "part", "bram36", "uram", "dsp"), [
    ("pynq-z2", "xc7z020", 140, 0, 220), ("zc706", "xc7z045", 545, 0, 900),
    ("ultra96v2", "xczu3eg", 216, 0, 360), ("zcu104", "xczu7ev", 312, 96, 1728),
    ("zcu102", "xczu9eg", 912, 0, 2520), ("kv260", "xck26", 144, 64, 1248),
    ("vc709", "xc7vx690t", 1470, 0, 3600),
])
def test_board_figures(name, part, bram36, uram, dsp):
    b = load_board(name)
    assert b.part.startswith(part)
    assert (b.bram36, b.uram, b.dsp) == (bram36, uram, dsp)
    assert b.ff > b.lut > 0 and b.clock_mhz > 0
    assert b.onchip_bytes == bram36 * BRAM36_BYTES + uram * URAM_BYTES


def test_aliases_and_errors():
    assert load_board("zynq").name == "zc706"
    assert load_board("ZC706").name == "zc706"
    assert len(all_boards()) == 7
    with pytest.raises(FpgagenError, match=r"choose from: .*zc706"):
        load_board("de10-nano")


def test_capacity_units():
    assert BRAM36_BYTES == 4608 and URAM_BYTES == 36864
    assert load_board("zc706").onchip_bytes / 1024 == 2452.5
