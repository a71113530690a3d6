"""Mapping memories (width x depth) onto BRAM18, BRAM36 and URAM blocks with real aspect ratios.

Block RAM aspect ratios (simple dual port, Xilinx UG473/UG573):

- BRAM36: 32Kx1, 16Kx2, 8Kx4, 4Kx9, 2Kx18, 1Kx36, 512x72;
- BRAM18: 16Kx1, 8Kx2, 4Kx4, 2Kx9, 1Kx18, 512x36 (half a BRAM36: same widths, half the depth);
- URAM (UltraScale+ parts that have it): 4Kx72 only.

A memory wider than one block is built from *columns* side by side, each column a stack of
blocks of one width deep enough for the memory. Because a BRAM18 is exactly half a BRAM36 at
every width up to 36, a column of width w <= 36 costs ceil(depth / depth18(w)) BRAM18 halves
(pairs of halves are reported as BRAM36); a 72-bit column needs BRAM36 (512x72). The cheapest
BRAM columns for a width come from a small dynamic program over the width. Costs are counted in
BRAM36 equivalents (2 BRAM18 = 1 BRAM36), as the part's BRAM36 count is.

How a synthesis tool builds a memory written as ONE array of width W is not the Plan's to
choose: it picks one block aspect ratio for the whole array (assumed: the one needing the
fewest blocks, `map_one_array`), e.g. a 128-bit x 7,508 array as two 72-bit columns (30
BRAM36) where the cheapest mix of columns is 72 + 36 + 18 + 2 bits (27). So both cores write a
RAM as the Plan's columns, one array per column (hw/fg_col_ram.v, the HLS core's column arrays:
a column is one block width, and the rule builds it as exactly that column), and the Plan maps
a ROM, which both cores write as one array (bitstream-initialized: no column split in the
Verilog, one constant array in the HLS core), by `map_one_array`. docs/hardware.md states the
rule.

URAM is 8 BRAM36 worth of bits but a separate resource. `map_memories` picks, over all memories
of a design at once, which memories go to URAM (all of a memory or none of it, as one HLS
``BIND_STORAGE`` says): the fewest BRAM36 + 8 x URAM that fits the part, and when nothing fits,
the fewest BRAM36.
URAM columns only cover whole 4K-deep stacks (no BRAM tail under a URAM column).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from fpgagen.util.arith import ceil_div

BRAM36_DEPTH = {1: 32768, 2: 16384, 4: 8192, 9: 4096, 18: 2048, 36: 1024, 72: 512}
BRAM18_DEPTH = {w: d // 2 for w, d in BRAM36_DEPTH.items() if w <= 36}
URAM_WIDTH, URAM_DEPTH = 72, 4096
HALVES_PER_URAM = 16  # a URAM holds 288 Kbit = 8 BRAM36 = 16 BRAM18


def _aspect(depth: int, width: int) -> str:
    return f"{depth // 1024}Kx{width}" if depth >= 1024 else f"{depth}x{width}"


@dataclass(frozen=True)
class Column:
    """``count`` identical columns of ``width`` bits side by side, each a stack of blocks.

    Per column: ``bram36`` BRAM36 blocks, then ``bram18`` BRAM18 blocks (a half-depth tail), or
    ``uram`` URAM blocks.
    """

    width: int
    count: int
    bram36: int
    bram18: int
    uram: int

    @property
    def halves(self) -> int:
        return self.count * (2 * self.bram36 + self.bram18)

    def __str__(self) -> str:
        """E.g. ``57 x 72b (6 x 512x72)``: 57 columns, each six 512x72 BRAM36 stacked."""
        stack = []
        if self.uram:
            stack.append(f"{self.uram} x URAM {_aspect(URAM_DEPTH, URAM_WIDTH)}")
        if self.bram36:
            stack.append(f"{self.bram36} x {_aspect(BRAM36_DEPTH[self.width], self.width)}")
        if self.bram18:
            stack.append(f"{self.bram18} x BRAM18 {_aspect(BRAM18_DEPTH[self.width], self.width)}")
        return f"{self.count} x {self.width}b ({' + '.join(stack)})"


@dataclass(frozen=True)
class BlockMapping:
    """How one width x depth memory is built from blocks."""

    width: int
    depth: int
    columns: tuple[Column, ...]

    @property
    def bram36(self) -> int:
        return sum(c.count * c.bram36 for c in self.columns)

    @property
    def bram18(self) -> int:
        return sum(c.count * c.bram18 for c in self.columns)

    @property
    def uram(self) -> int:
        return sum(c.count * c.uram for c in self.columns)

    @property
    def halves(self) -> int:
        """BRAM cost in BRAM18 units (a BRAM36 counts 2)."""
        return sum(c.halves for c in self.columns)

    @property
    def bram36_equiv(self) -> float:
        return self.halves / 2

    def __str__(self) -> str:
        return " + ".join(str(c) for c in self.columns) if self.columns else "none"


def _column_halves(width: int, depth: int) -> int:
    if width == 72:
        return 2 * ceil_div(depth, BRAM36_DEPTH[72])
    return ceil_div(depth, BRAM18_DEPTH[width])


def _column(width: int, depth: int, count: int) -> Column:
    b36, b18 = divmod(_column_halves(width, depth), 2)
    return Column(width, count, b36, b18, 0)


@lru_cache(maxsize=64)
def _bram_table(width: int, depth: int) -> tuple[tuple[int, int], ...]:
    """DP over widths 0..width: (cost in halves, column width chosen) for each partial width.

    Ties go to fewer columns, then to the narrower column (less unused width). The entry for a
    width only depends on narrower ones, so the table for the widest need serves all of them.
    """
    table: list[tuple[int, int]] = [(0, 0)]
    col_cost = {w: _column_halves(w, depth) for w in BRAM36_DEPTH}
    ncols = [0]
    for w in range(1, width + 1):
        best: tuple[int, int, int] | None = None
        for cw, cost in col_cost.items():
            rest = max(0, w - cw)
            cand = (table[rest][0] + cost, ncols[rest] + 1, cw)
            if best is None or cand < best:
                best = cand
        assert best is not None
        table.append((best[0], best[2]))
        ncols.append(best[1])
    return tuple(table)


def map_bram(width: int, depth: int, _table: tuple[tuple[int, int], ...] | None = None
             ) -> BlockMapping:
    """The cheapest BRAM18/BRAM36-only mapping of a width x depth memory."""
    if width <= 0 or depth <= 0:
        return BlockMapping(max(width, 0), max(depth, 0), ())
    table = _table if _table is not None and len(_table) > width else _bram_table(width, depth)
    counts: dict[int, int] = {}
    w = width
    while w > 0:
        cw = table[w][1]
        counts[cw] = counts.get(cw, 0) + 1
        w = max(0, w - cw)
    cols = tuple(_column(cw, depth, n) for cw, n in sorted(counts.items(), reverse=True))
    return BlockMapping(width, depth, cols)


def map_one_array(width: int, depth: int) -> BlockMapping:
    """What a synthesis tool builds of ONE width x depth block-RAM array (assumed, see the module
    docstring): ceil(width / w) columns of one block width w, each a stack of blocks with a
    half-block (BRAM18) tail where half a block holds the rest, the w with the fewest BRAM18
    halves (ties: fewer columns, then the narrower block). For an array one block width wide
    (a Plan column) that is the column itself: `map_bram` never picks a column a cheaper
    aspect could replace."""
    if width <= 0 or depth <= 0:
        return BlockMapping(max(width, 0), max(depth, 0), ())
    best: tuple[tuple[int, int, int], Column] | None = None
    for w in BRAM36_DEPTH:
        n = ceil_div(width, w)
        col = _column(w, depth, n)
        key = (col.halves, n, w)
        if best is None or key < best[0]:
            best = (key, col)
    assert best is not None
    return BlockMapping(width, depth, (best[1],))


def map_with_uram(width: int, depth: int, uram_columns: int) -> BlockMapping:
    """``uram_columns`` 72-bit URAM columns, the rest of the width in BRAM (cheapest)."""
    k = max(0, min(uram_columns, ceil_div(width, URAM_WIDTH)))
    if k == 0 or depth <= 0:
        return map_bram(width, depth)
    ucol = Column(URAM_WIDTH, k, 0, 0, ceil_div(depth, URAM_DEPTH))
    rest = map_bram(max(0, width - k * URAM_WIDTH), depth, _bram_table(width, depth))
    return BlockMapping(width, depth, (ucol, *rest.columns))


def map_memory(width: int, depth: int, uram: bool = False) -> BlockMapping:
    """The cheapest mapping of one memory on its own (URAM weighed as 8 BRAM36 when allowed)."""
    best = map_bram(width, depth)
    if uram and width > 0 and depth > 0:
        for k in range(1, ceil_div(width, URAM_WIDTH) + 1):
            m = map_with_uram(width, depth, k)
            if (m.halves + HALVES_PER_URAM * m.uram, m.halves) < (
                    best.halves + HALVES_PER_URAM * best.uram, best.halves):
                best = m
    return best


def map_memories(shapes: Sequence[tuple[int, int]], bram36: int, uram: int,
                 uram_ok: Sequence[bool] | None = None,
                 counts: Sequence[int] | None = None,
                 one_array: Sequence[bool] | None = None) -> tuple[BlockMapping, ...]:
    """Map several memories (width, depth) together onto a part with ``bram36``/``uram`` blocks.

    ``uram_ok[i]`` False keeps memory i out of URAM: UltraScale+ URAM cannot be initialized by
    the bitstream, so a ROM (weights, biases) must live in BRAM (Vivado refuses a
    ``rom_style``/``$readmemh`` URAM, Vitis HLS a ``rom_1p`` ``impl=uram``). ``counts[i]``
    (default 1) says memory i stands for that many identical parts (staging banks, arena lane
    groups), which are mapped alike. ``one_array[i]`` True: memory i is written as one array
    (weights, biases), so its block RAM is what `map_one_array` says; the others are written as
    their cheapest columns (`map_bram`). Either may be URAM where ``uram_ok`` allows.

    A memory is all BRAM or all URAM (URAM columns over its whole width): that is what one
    ``BIND_STORAGE impl=`` of the HLS core can say, and both cores build the Plan's blocks, so
    the Plan offers nothing either core cannot build (a mix of URAM and BRAM columns in one
    memory saved a little URAM but the HLS core could not express it). A DP over the total URAM
    used finds, for every URAM count u <= ``uram``, the fewest BRAM halves. Among the u whose
    BRAM fits the part it keeps the one with the fewest raw blocks (BRAM36 + 8 x URAM, ties to
    less BRAM); if none fits, the one with the fewest BRAM, so the overflow is smallest.
    """
    options: list[list[BlockMapping]] = []
    allowed = list(uram_ok) if uram_ok is not None else [True] * len(shapes)
    many = list(counts) if counts is not None else [1] * len(shapes)
    whole = list(one_array) if one_array is not None else [False] * len(shapes)
    for (width, depth), may_uram, n, one in zip(shapes, allowed, many, whole, strict=True):
        opts = [map_one_array(width, depth) if one else map_bram(width, depth)]
        if may_uram and uram > 0 and width > 0 and depth > 0:
            m = map_with_uram(width, depth, ceil_div(width, URAM_WIDTH))
            if n * m.uram <= uram:
                opts.append(m)
        options.append(opts)
    # best[u] = (halves, choice indices) using exactly u URAM
    best: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}
    for opts, n in zip(options, many, strict=True):
        nxt: dict[int, tuple[int, tuple[int, ...]]] = {}
        for u, (halves, picks) in best.items():
            for i, m in enumerate(opts):
                nu = u + n * m.uram
                if nu > uram:
                    continue
                cand = (halves + n * m.halves, (*picks, i))
                if nu not in nxt or cand[0] < nxt[nu][0]:
                    nxt[nu] = cand
        best = nxt
    fitting = [(h + HALVES_PER_URAM * u, h, u) for u, (h, _) in best.items()
               if ceil_div(h, 2) <= bram36]
    if fitting:
        _, _, u = min(fitting)
    else:
        u = min(best, key=lambda k: (best[k][0], k))
    picks = best[u][1]
    return tuple(options[i][p] for i, p in enumerate(picks))


def bram36_total(mappings: Sequence[BlockMapping]) -> int:
    """BRAM36 equivalents of several memories: their BRAM18 halves pair up across memories."""
    return ceil_div(sum(m.halves for m in mappings), 2)
