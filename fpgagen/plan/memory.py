"""Activation memory: schedule, liveness, conv->max-pool fusion and the arena (docs/design.md §3).

The engine runs one schedule step after another (the graph's topological layer order; step 0
loads the image). Every tensor except the input image lives in one arena, a memory whose word
holds ``p_in`` channels of one pixel (HWC, channels padded up to a multiple of ``p_in``), at a
word offset chosen here:

- the input image is not in the arena: it sits in an input staging buffer whose word holds all
  C_in values of one pixel, so a 3-channel image is not padded to 16 lanes;
- a concat output is one tensor; its producers are *views*: they own no storage and write their
  channel slice in place (channel offsets are multiples of ``p_in``, so slices are whole words);
- a conv whose only reader is a max-pool is *fused* with it: the engine interleaves conv rows
  and pool rows, so the conv output is a *ring* of R rows (row r in slot r mod R: the pool's
  K rows, plus S when the conv reads the image, see find_fusions), not a whole tensor. The
  pair shares one step, so the conv's input, the ring and the pool's output are live
  together, as they are in hardware.

On an engine of p_pix pixels a beat (`fpgagen.plan.engine.EngineConfig.p_pix`) the arena is
p_pix pixel banks: pixel x of a row lives in bank x mod p_pix at the group address of x div
p_pix, and every row is padded to ceil(W / p_pix) groups, so the addresses here (offsets,
sizes, the arena's depth) count words of one pixel bank: a tensor of H x W pixels takes
H x ceil(W / p_pix) x words-per-pixel of each bank. With p_pix = 1 that is the plain arena.

A tensor is live from the step that writes it (for a concat, its first producer) to the last
step that reads it (or any of its views); the network output stays live to the last step. The
lower bound of any arena is the largest sum of live words over the steps; `allocate` tries
several placement orders and fits and keeps the best, and reaches the bound on every zoo model.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph, Shape
from fpgagen.util.arith import ceil_div

ARENA, VIEW, RING, STAGING = "arena", "view", "ring", "staging"


@dataclass(frozen=True)
class Step:
    """One schedule step: usually one layer; a fused conv + max-pool pair shares a step."""

    index: int
    layers: tuple[str, ...]


@dataclass(frozen=True)
class Fusion:
    """A conv whose output rows feed a max-pool through a ring of ``ring_rows`` rows."""

    conv: str
    pool: str
    ring_rows: int
    step: int


@dataclass(frozen=True)
class TensorPlacement:
    """Where one tensor lives and when.

    ``kind``: ``arena`` (own storage), ``view`` (a channel slice of concat ``parent``, no storage
    of its own), ``ring`` (a fused conv's output: ``ring_rows`` rows, row r in slot r mod
    ``ring_rows``) or ``staging`` (the input image, outside the arena). ``offset`` is the word
    address of pixel (0, 0) in the arena (for a view: the parent's offset plus
    ``channel_offset / p_in``); consecutive pixels are ``pixel_stride`` words apart and
    ``words_per_pixel`` of them belong to this tensor. ``words`` is the storage the tensor owns
    (0 for a view). ``start``/``end`` are the first and last live steps (inclusive).
    """

    name: str
    kind: str
    shape: Shape
    width: int
    channels_padded: int
    words_per_pixel: int
    pixel_stride: int
    words: int
    offset: int
    start: int
    end: int
    logical_bytes: int
    parent: str | None = None
    channel_offset: int = 0
    ring_rows: int = 0


@dataclass(frozen=True)
class Block:
    """An allocation request: ``size`` words live over steps ``start..end`` (inclusive)."""

    name: str
    start: int
    end: int
    size: int

    def overlaps(self, other: Block) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True)
class Allocation:
    """Offsets for a set of blocks, the arena size they need and the heuristic that won."""

    offsets: Mapping[str, int]
    words: int
    strategy: str


@dataclass(frozen=True)
class ActivationPlan:
    """The activation side of the Plan: schedule, fusions, placements and arena size."""

    steps: tuple[Step, ...]
    fusions: tuple[Fusion, ...]
    tensors: Mapping[str, TensorPlacement]
    p_in: int
    word_bits: int
    arena_words: int        # words of each pixel bank (the whole arena when p_pix = 1)
    lower_bound_words: int
    logical_peak_bytes: int
    peak_step: int
    strategy: str
    p_pix: int = 1          # pixel banks

    @property
    def arena_bytes(self) -> int:
        return ceil_div(self.arena_words * self.p_pix * self.word_bits, 8)

    @property
    def lower_bound_bytes(self) -> int:
        return ceil_div(self.lower_bound_words * self.p_pix * self.word_bits, 8)


# --- allocation ---------------------------------------------------------------------------------

def live_words(blocks: Iterable[Block]) -> dict[int, int]:
    """Sum of live words at every step that has a live block."""
    totals: dict[int, int] = {}
    for b in blocks:
        for s in range(b.start, b.end + 1):
            totals[s] = totals.get(s, 0) + b.size
    return totals


def lower_bound(blocks: Iterable[Block]) -> int:
    """No arena can be smaller than the largest sum of simultaneously live words."""
    return max(live_words(blocks).values(), default=0)


def _place(order: list[Block], best_fit: bool) -> tuple[dict[str, int], int]:
    placed: list[tuple[Block, int]] = []
    offsets: dict[str, int] = {}
    top = 0
    for b in order:
        busy = sorted((off, off + p.size) for p, off in placed if p.overlaps(b))
        gaps: list[tuple[int, int]] = []  # (start, length) of free gaps below the busy top
        cursor = 0
        for lo, hi in busy:
            if lo > cursor:
                gaps.append((cursor, lo - cursor))
            cursor = max(cursor, hi)
        fitting = [(length, start) for start, length in gaps if length >= b.size]
        where = cursor  # on top of everything live, unless a gap below fits
        if fitting:
            where = min(fitting)[1] if best_fit else min(s for _, s in fitting)
        offsets[b.name] = where
        placed.append((b, where))
        top = max(top, where + b.size)
    return offsets, top


_ORDERS: tuple[tuple[str, Callable[[Block], tuple[int, ...]]], ...] = (
    ("size", lambda b: (-b.size, b.start)),
    ("start", lambda b: (b.start, -b.size)),
    ("lifetime", lambda b: (b.start - b.end, -b.size)),
    ("area", lambda b: (-b.size * (b.end - b.start + 1), b.start)),
    ("end", lambda b: (-b.end, -b.size)),
    ("start-long", lambda b: (b.start, -b.end)),
)


def allocate(blocks: Iterable[Block], tries: int = 400, seed: int = 0) -> Allocation:
    """Offsets for ``blocks`` so that blocks live at the same step never overlap in memory.

    Greedy placement (first fit and best fit) over several orders (by size, start, lifetime,
    size x lifetime, end); the first result that reaches the liveness lower bound wins. If none
    does, seeded random orders are tried (``tries`` of them, deterministic for a seed) and the
    smallest arena found is kept, so the result is optimal whenever it equals `lower_bound`.
    """
    items = list(blocks)
    if not items:
        return Allocation(MappingProxyType({}), 0, "empty")
    bound = lower_bound(items)
    best: tuple[int, dict[str, int], str] | None = None
    candidates: list[tuple[str, list[Block]]] = [
        (name, sorted(items, key=key)) for name, key in _ORDERS]
    rng = random.Random(seed)
    for i in range(tries):
        shuffled = items[:]
        rng.shuffle(shuffled)
        candidates.append((f"random#{i}", shuffled))
    for name, order in candidates:
        for best_fit in (False, True):
            offsets, top = _place(order, best_fit)
            if best is None or top < best[0]:
                best = (top, offsets, f"{name}/{'best' if best_fit else 'first'}-fit")
            if best[0] == bound:
                return Allocation(MappingProxyType(best[1]), best[0], best[2])
    assert best is not None
    return Allocation(MappingProxyType(best[1]), best[0], best[2])


# --- liveness -----------------------------------------------------------------------------------

def find_fusions(graph: Graph) -> list[tuple[str, str, int]]:
    """(conv, pool, ring rows) for every max-pool whose input is a conv read by nothing else.

    The ring holds the pool's K rows. When the conv reads the input image (staging, not the
    arena), the RTL engine runs the pool rows *concurrently* with the conv rows (the arena's
    read port is free), so the ring holds S more rows: the conv writes the next pool row's
    rows while the pool reads the current one (SqueezeNet 1.1: 5 rows of conv1, 35,520 bytes,
    below the arena's peak; the pool's 74k cycles hide under conv1's 222k)."""
    out = []
    for lay in graph.layers:
        if lay.op != "maxpool":
            continue
        src = lay.inputs[0]
        if src == INPUT or src == graph.output or graph.layer(src).op != "conv":
            continue
        if len(graph.consumers(src)) == 1:
            conv = graph.layer(src)
            rows = lay.kernel + (lay.stride if conv.inputs[0] == INPUT else 0)
            out.append((src, lay.name, min(rows, graph.shape(src)[0])))
    return out


def _schedule(graph: Graph, fused_pools: Mapping[str, str]) -> tuple[tuple[Step, ...],
                                                                       dict[str, int]]:
    step_of: dict[str, int] = {INPUT: 0}
    groups: list[list[str]] = []
    for lay in graph.layers:
        if lay.name in fused_pools:
            conv_step = step_of[fused_pools[lay.name]]
            groups[conv_step - 1].append(lay.name)
            step_of[lay.name] = conv_step
        else:
            groups.append([lay.name])
            step_of[lay.name] = len(groups)
    steps = tuple(Step(i + 1, tuple(names)) for i, names in enumerate(groups))
    return steps, step_of


def _concat_parents(graph: Graph, p_in: int) -> dict[str, tuple[str, int]]:
    """For every concat input: (the concat, its channel offset there). Checks in-place rules."""
    parent: dict[str, tuple[str, int]] = {}
    for lay in graph.layers:
        if lay.op != "concat":
            continue
        offset = 0
        for t in lay.inputs:
            where = f"concat {lay.name!r} input {t!r}"
            if t == INPUT:
                raise FpgagenError(f"{where}: the input image cannot be concatenated in place "
                                   "(it lives in the input staging buffer)")
            if t in parent:
                raise FpgagenError(f"{where} already feeds concat {parent[t][0]!r}; a tensor "
                                   "can be written in place into one concat only")
            if offset % p_in:
                raise FpgagenError(f"{where} starts at channel {offset}, not a multiple of the "
                                   f"engine's P_in={p_in} (concat inputs are written in place, "
                                   f"whole words of P_in channels); choose --pe with a P_in "
                                   f"dividing it, or give the inputs before it a multiple of "
                                   f"{p_in} channels")
            parent[t] = (lay.name, offset)
            offset += graph.shape(t)[2]
    return parent


def _root(t: str, parent: Mapping[str, tuple[str, int]]) -> tuple[str, int]:
    offset = 0
    while t in parent:
        t, off = parent[t]
        offset += off
    return t, offset


def plan_activations(graph: Graph, p_in: int, widths: Mapping[str, int],
                     fuse: bool = True, p_pix: int = 1) -> ActivationPlan:
    """Schedule, fuse, compute liveness and place every tensor of ``graph`` in the arena.

    ``widths`` gives the bits per value of every tensor (``"input"`` included). The arena word
    is ``p_in`` values at the widest arena tensor's width (narrower tensors are sign-extended),
    so the arena is one plain memory. ``p_pix`` pixel banks: every row is ceil(W / p_pix)
    pixel groups, and the words counted are those of one bank (see the module docstring).
    """
    fusions_raw = find_fusions(graph) if fuse else []
    fused_pools = {pool: conv for conv, pool, _ in fusions_raw}
    rings = {conv: rows for conv, _, rows in fusions_raw}
    steps, step_of = _schedule(graph, fused_pools)
    last = len(steps)
    parent = _concat_parents(graph, p_in)
    readers: dict[str, list[int]] = {}
    for lay in graph.layers:
        for t in lay.inputs:
            readers.setdefault(t, []).append(step_of[lay.name])

    def words_per_pixel(t: str) -> int:
        return ceil_div(graph.shape(t)[2], p_in)

    # Lifetimes of storage roots, gathered over their views.
    span: dict[str, list[int]] = {}
    for t in (lay.name for lay in graph.layers):
        root, _ = _root(t, parent)
        ends = readers.get(t, []) + ([last] if t == graph.output else [])
        lo, hi = span.get(root, [step_of[t], step_of[t]])
        span[root] = [min(lo, step_of[t]), max([hi, step_of[t], *ends])]

    blocks, logical = [], {}
    for lay in graph.layers:
        t = lay.name
        if t in parent:
            continue
        h, w, c = graph.shape(t)
        rows = rings.get(t, h)
        size = rows * ceil_div(w, p_pix) * words_per_pixel(t)
        blocks.append(Block(t, span[t][0], span[t][1], size))
        logical[t] = ceil_div(rows * w * c * widths[t], 8)
    alloc = allocate(blocks)
    by_step = live_words(blocks)
    bound = max(by_step.values(), default=0)
    peak_step = min((s for s, v in by_step.items() if v == bound), default=0)
    logical_by_step: dict[int, int] = {}
    for b in blocks:
        for s in range(b.start, b.end + 1):
            logical_by_step[s] = logical_by_step.get(s, 0) + logical[b.name]

    tensors: dict[str, TensorPlacement] = {}
    h, w, c = graph.input_shape
    tensors[INPUT] = TensorPlacement(INPUT, STAGING, graph.input_shape, widths[INPUT], c, 1, 1,
                                     h * w, 0, 0, max(readers.get(INPUT, [0])),
                                     ceil_div(h * w * c * widths[INPUT], 8))
    block_of = {b.name: b for b in blocks}
    for lay in graph.layers:
        t = lay.name
        shape = graph.shape(t)
        wpp = words_per_pixel(t)
        root, ch_off = _root(t, parent)
        rb = block_of[root]
        if t in parent:
            tensors[t] = TensorPlacement(
                t, VIEW, shape, widths[t], wpp * p_in, wpp, words_per_pixel(root), 0,
                alloc.offsets[root] + ch_off // p_in, rb.start, rb.end,
                ceil_div(math.prod(shape) * widths[t], 8), parent=parent[t][0],
                channel_offset=ch_off)
        else:
            kind = RING if t in rings else ARENA
            tensors[t] = TensorPlacement(
                t, kind, shape, widths[t], wpp * p_in, wpp, wpp, rb.size, alloc.offsets[t],
                rb.start, rb.end, logical[t], ring_rows=rings.get(t, 0))
    arena_widths = [widths[b.name] for b in blocks]
    fusions = tuple(Fusion(conv, pool, rows, step_of[conv]) for conv, pool, rows in fusions_raw)
    return ActivationPlan(
        steps=steps, fusions=fusions, tensors=MappingProxyType(tensors), p_in=p_in,
        word_bits=p_in * max(arena_widths, default=1), arena_words=alloc.words,
        lower_bound_words=bound, logical_peak_bytes=max(logical_by_step.values(), default=0),
        peak_step=peak_step, strategy=alloc.strategy, p_pix=p_pix)
