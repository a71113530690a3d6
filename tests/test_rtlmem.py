"""The Plan's block-RAM columns as the RTL builds them (fpgagen/machine/columns.py,
hw/fg_col_ram.v)."""

from __future__ import annotations

import pytest

from fpgagen.frontend.zoo import load_model
from fpgagen.machine.columns import (
    RtlColumn,
    arena_columns,
    banked_col_params,
    col_params,
    part_columns,
    width_split_columns,
)
from fpgagen.plan.boards import load_board
from fpgagen.plan.bram import map_bram, map_with_uram
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import ACTIVATIONS, INPUT_STAGING, arena_groups, make_plan
from fpgagen.quant.precision import parse_precision


def test_zc706_arena_is_the_plans_four_columns():
    """Each of the ZC706 default's 4 arena banks (16x64: a result is 4 words) is 4 columns."""
    plan = make_plan(load_model("squeezenet"), load_board("zynq"), parse_precision(None))
    arena = plan.memories[ACTIVATIONS]
    assert len(arena.parts) == 4
    cols = arena_columns(arena, 4)
    assert [(c.offset, c.width) for c in cols] == [(0, 72), (72, 36), (108, 18), (126, 2)]
    assert not any(c.ultra for c in cols)
    assert col_params(cols) == {"n": "4", "col_w": "64'h2001200240048",
                                "ultra": "4'h0"}


def test_last_column_holds_what_is_left():
    # 64 bits in the cheapest mapping: a 72-bit column holding 64
    m = map_bram(64, 512)
    assert part_columns(m, 64) == [RtlColumn(0, 64, False)]


def test_uram_columns_are_flagged_and_come_first():
    m = map_with_uram(128, 30032, 1)
    cols = part_columns(m, 128)
    assert cols[0] == RtlColumn(0, 72, True)
    assert sum(c.width for c in cols) == 128 and not any(c.ultra for c in cols[1:])


def test_a_mapping_too_narrow_or_too_wide_is_refused():
    with pytest.raises(ValueError, match="covers 72 of 128"):
        part_columns(map_bram(64, 512), 128)
    with pytest.raises(ValueError, match="more columns"):
        part_columns(map_bram(144, 512), 64)


def test_lane_groups_split_the_arena_when_p_out_is_narrower():
    plan = make_plan(load_model("squeezenet"), load_board("zynq"), parse_precision(None),
                     engine=EngineConfig(16, 8))
    assert arena_groups(plan.engine) == 2
    arena = plan.memories[ACTIVATIONS]
    assert len(arena.parts) == 2
    cols = width_split_columns(arena.parts, arena.width)
    # no column holds bits of both 64-bit lane groups
    assert all(c.offset // 64 == (c.offset + c.width - 1) // 64 for c in cols)
    assert sum(c.width for c in cols) == 128
    # and the Plan counts what the groups cost
    assert arena.mapping.halves == sum(p.halves for p in arena.parts)


def test_staging_banks_share_one_parameter_layout():
    plan = make_plan(load_model("squeezenet"), load_board("zynq"), parse_precision(None))
    staging = plan.memories[INPUT_STAGING]
    banks = [part_columns(m, staging.width) for m in staging.parts]
    assert len(banks) == plan.stage_taps == 4
    p = banked_col_params(banks)
    n = int(p["n"])
    assert n == max(len(b) for b in banks)
    value = int(p["col_w"].split("'h")[1], 16)
    for b, cols in enumerate(banks):
        widths = [value >> (16 * (b * n + i)) & 0xFFFF for i in range(n)]
        assert widths[:len(cols)] == [c.width for c in cols]
        assert sum(widths) == staging.width


def test_unequal_banks_pad_with_absent_columns():
    banks = [[RtlColumn(0, 24, False)], [RtlColumn(0, 18, False), RtlColumn(18, 6, True)]]
    assert banked_col_params(banks) == {"n": "2", "col_w": "64'h6001200000018",
                                        "ultra": "4'h8"}
