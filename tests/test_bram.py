"""BRAM18/BRAM36/URAM mapping against hand-computed cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fpgagen.plan.bram import (
    BRAM18_DEPTH,
    BRAM36_DEPTH,
    URAM_DEPTH,
    bram36_total,
    map_bram,
    map_memories,
    map_memory,
)


def test_16_bits_by_1000_is_one_bram18():
    m = map_memory(16, 1000)
    assert (m.bram18, m.bram36, m.uram) == (1, 0, 0)
    assert m.bram36_equiv == 0.5
    assert str(m) == "1 x 18b (1 x BRAM18 1Kx18)"


def test_72_by_4096_is_8_bram36_or_one_uram():
    m = map_memory(72, 4096)
    assert (m.bram36, m.bram18, m.uram) == (8, 0, 0)
    u = map_memory(72, 4096, uram=True)
    assert (u.bram36, u.bram18, u.uram) == (0, 0, 1)


@pytest.mark.parametrize(("width", "depth", "halves"), [
    (1, 10, 1),            # 16Kx1 BRAM18
    (1, 32768, 2),         # one BRAM36 32Kx1
    (9, 4096, 2),          # one BRAM36 4Kx9
    (36, 1500, 3),         # 1Kx36 BRAM36 + a 512x36 BRAM18 tail
    (72, 512, 2),          # one BRAM36 512x72
    (73, 512, 3),          # 512x72 + a 1-bit BRAM18
    (4096, 2800, 684),     # 57 columns of 72 bits (4104 >= 4096), ceil(2800/512) = 6 deep
])
def test_hand_computed_costs(width, depth, halves):
    assert map_bram(width, depth).halves == halves


def test_128_by_1024_exact():
    # 128 bits x 1K: two 512x72 stacks cost 2 x 2 BRAM36 = 8 halves; 72b (2 BRAM36) + 36b
    # (1 BRAM36 1Kx36) + 18b (1 BRAM18 1Kx18) + 2b (1 BRAM18 8Kx2) = 4 + 2 + 1 + 1 = 8 halves.
    assert map_bram(128, 1024).halves == 8


def test_wide_weight_memory_is_columns_side_by_side():
    m = map_bram(4096, 2800)
    assert [(c.width, c.count, c.bram36, c.bram18) for c in m.columns] == [(72, 57, 6, 0)]
    assert m.bram36 == 342


def test_uram_limited_by_the_part():
    ms = map_memories([(2048, 1400), (128, 30032), (24, 50176)], bram36=200, uram=96)
    assert sum(m.uram for m in ms) <= 96
    assert bram36_total(ms) <= 200
    none = map_memories([(8192, 1400)], bram36=10_000, uram=0)
    assert none[0].uram == 0 and none[0].bram36 == 342


def test_a_memory_is_all_bram_or_all_uram():
    """One HLS BIND_STORAGE per array: the Plan never splits a memory between the two."""
    ms = map_memories([(2048, 1400), (128, 30032), (24, 50176)], bram36=200, uram=96)
    assert any(m.uram for m in ms)
    for m in ms:
        assert all(c.uram for c in m.columns) or not any(c.uram for c in m.columns)
        assert not m.uram or sum(c.width * c.count for c in m.columns) >= m.width


def test_identical_parts_map_alike_and_count_n_times():
    # four staging banks of 24 x 12,544: 4 URAM together, or 4 x 6.5 BRAM36
    (bank,) = map_memories([(24, 12544)], bram36=20, uram=96, counts=[4])
    assert bank.uram == 4 and bank.bram36 == bank.bram18 == 0
    (bank,) = map_memories([(24, 12544)], bram36=20, uram=3, counts=[4])  # 4 URAM > 3
    assert bank.uram == 0 and bank == map_bram(24, 12544)


def test_roms_never_go_to_uram():
    shapes = [(2048, 1400), (128, 30032)]
    free = map_memories(shapes, bram36=50, uram=96)
    assert free[0].uram > 0  # the cheapest mapping would put the big one in URAM
    rom, ram = map_memories(shapes, bram36=50, uram=96, uram_ok=[False, True])
    assert rom.uram == 0 and rom == map_bram(2048, 1400) and ram.uram > 0


def test_uram_not_used_when_bram_is_cheaper():
    # 16 x 1000 is half a BRAM36; a URAM would be 8 BRAM36 worth of bits.
    (m,) = map_memories([(16, 1000)], bram36=100, uram=64)
    assert (m.uram, m.bram18) == (0, 1)


def test_bram36_total_pairs_halves_across_memories():
    a, b = map_bram(16, 1000), map_bram(8, 1000)
    assert bram36_total([a, b]) == 1


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 600), st.integers(1, 70000), st.booleans())
def test_mapping_covers_the_memory(width, depth, uram):
    m = map_memory(width, depth, uram)
    assert sum(c.width * c.count for c in m.columns) >= width
    for c in m.columns:
        if c.uram:
            assert c.uram * URAM_DEPTH >= depth and c.width == 72
        else:
            d36 = BRAM36_DEPTH[c.width]
            d18 = BRAM18_DEPTH.get(c.width, 0)
            assert c.bram36 * d36 + c.bram18 * d18 >= depth
            assert c.bram18 <= 1  # a BRAM18 only as a half-depth tail
    # never worse than the plain best single-aspect mapping
    plain = min(-(-width // w) * (2 * -(-depth // d)) for w, d in BRAM36_DEPTH.items())
    assert m.halves + 16 * m.uram <= plain
