"""The Plan's block-RAM columns as the RTL builds them (hw/fg_col_ram.v).

The Plan counts each memory as columns of blocks side by side (fpgagen/plan/bram.py): the ZC706
arena's 128-bit word is a 72-, a 36-, an 18- and a 2-bit column. A synthesis tool given one
128-bit memory picks its own shape, and its count drifts from the Plan's (Yosys: 120 BRAM36
for the arena instead of 105.5). So the RTL writes the Plan's columns as separate memories:
this module turns a `Memory`'s parts into the columns of each part (bit offset, width, URAM or
not) and into the packed Verilog parameters of fg_col_ram. Pure functions, no I/O.

A Plan column is a block width (72, 36, 18, 9, 4, 2, 1, or 72 for URAM); the bits it holds
are that many or, for the last column of a part, fewer (a 64-bit lane group in a 72-bit
column).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from fpgagen.plan.bram import BlockMapping
from fpgagen.plan.plan import ROMS, Memory

COL_FIELD_BITS = 16  # bits per column width in fg_col_ram's COL_W


@dataclass(frozen=True)
class RtlColumn:
    """One memory column of the RTL: bits [offset, offset + width) of the word."""

    offset: int
    width: int
    ultra: bool  # UltraRAM (ram_style "ultra"), else block RAM


def part_columns(mapping: BlockMapping, width: int, offset: int = 0) -> list[RtlColumn]:
    """The columns of one part of ``width`` bits starting at bit ``offset`` of the word, in
    the mapping's order (URAM columns first, then the widest block columns)."""
    cols: list[RtlColumn] = []
    at = 0
    for col in mapping.columns:
        for _ in range(col.count):
            bits = min(col.width, width - at)
            if bits <= 0:
                raise ValueError(f"the mapping {mapping} has more columns than {width} bits need")
            cols.append(RtlColumn(offset + at, bits, col.uram > 0))
            at += bits
    if at != width:
        raise ValueError(f"the mapping {mapping} covers {at} of {width} bits")
    return cols


def width_split_columns(parts: tuple[BlockMapping, ...], width: int) -> list[RtlColumn]:
    """The columns of a memory whose parts share the address and split the width (the arena's
    lane groups): part g holds bits [g * width / n, (g + 1) * width / n)."""
    share = width // len(parts)
    return [c for g, m in enumerate(parts) for c in part_columns(m, share, g * share)]


def arena_columns(arena: Memory, banks: int, pixel_banks: int = 1) -> list[RtlColumn]:
    """The columns the RTL builds for the arena (hw/fg_arena.v): its banks split the depth
    (identical parts: one bank's columns, each bank built alike), its lane groups the width;
    its ``pixel_banks`` (a pixel-parallel engine) are that many copies of those parts."""
    if banks > 1:
        return part_columns(arena.parts[0], arena.width)
    return width_split_columns(arena.parts[:len(arena.parts) // pixel_banks], arena.width)


def col_params(cols: list[RtlColumn], n_cols: int | None = None) -> dict[str, str]:
    """fg_col_ram's N_COLS, COL_W and COL_ULTRA for ``cols`` as Verilog literals; ``n_cols``
    pads with absent (zero-width) columns, so that banks with different column counts share
    one parameter layout."""
    n = len(cols) if n_cols is None else n_cols
    if n < len(cols):
        raise ValueError(f"{len(cols)} columns do not fit {n}")
    col_w = sum(c.width << (COL_FIELD_BITS * i) for i, c in enumerate(cols))
    ultra = sum(1 << i for i, c in enumerate(cols) if c.ultra)
    return {"n": str(n), "col_w": f"{COL_FIELD_BITS * n}'h{col_w:x}",
            "ultra": f"{n}'h{ultra:x}"}


def banked_col_params(banks: list[list[RtlColumn]]) -> dict[str, str]:
    """The staging banks' columns in one layout: each bank padded to the most columns any bank
    has, bank b in the b-th field of COL_W / COL_ULTRA (hw/fg_engine.v STAGE_*)."""
    n = max(len(b) for b in banks)
    col_w = ultra = 0
    for b, cols in enumerate(banks):
        for i, c in enumerate(cols):
            col_w |= c.width << (COL_FIELD_BITS * (b * n + i))
            ultra |= int(c.ultra) << (b * n + i)
    return {"n": str(n), "col_w": f"{COL_FIELD_BITS * n * len(banks)}'h{col_w:x}",
            "ultra": f"{n * len(banks)}'h{ultra:x}"}


def written_arrays(memories: Mapping[str, Memory]) -> dict[str, tuple[BlockMapping, ...]]:
    """The arrays a core writes for each of the Plan's memories, each as the blocks it is built
    of: a RAM's parts as their block-RAM columns (`part_columns`: one array per column, its
    bits, the part's depth, that column's blocks), a ROM as one array per part (the Plan maps a
    ROM as a tool builds one array, `fpgagen.plan.bram.map_one_array`). Their blocks add up to
    the memory's: what the HLS memory gate compares the code's arrays with."""
    out: dict[str, tuple[BlockMapping, ...]] = {}
    for name, mem in memories.items():
        arrays: list[BlockMapping] = []
        for part in mem.parts or (mem.mapping,):
            if name in ROMS:
                arrays.append(part)
                continue
            cols = iter(part_columns(part, part.width))
            for col in part.columns:
                for _ in range(col.count):
                    arrays.append(BlockMapping(next(cols).width, part.depth,
                                               (replace(col, count=1),)))
        out[name] = tuple(arrays)
    return out
