"""Analytic latency of the HLS engine's schedule (templates/hls/fpgagen.cpp.j2), per layer.

The generated C++ runs every unit as one pipelined loop at II=1 over its whole loop nest, so a
call of a unit costs its trip count plus the pipeline's fill (its depth). The trip counts here
are exactly the ones the C++ executes (tests/test_hls.py counts them in C-simulation and
compares layer by layer); the depths are *modelled*: what Vitis HLS is expected to schedule
for each loop body at the board clock, named below, not measured (no Vitis HLS runs here).
So the total is what csynth's latency report should show to within the depth guesses, one
call at a time.

Trip counts, for a layer-table entry (fpgagen/machine/layertable.py), T = its taps (kernel rows x
kernel column groups x input blocks, columns packed FG_TAPS to a beat on the image):

- conv: per output pixel and output group T steps (T / G for a 1x1 conv split into G column
  groups, `fpgagen.plan.engine.conv_split`: a step reads G words of the pixel): the result
  (P_OUT / P_IN arena words, in as many arena banks, or one lane group's word) is written in
  one cycle, at the next output's first step; plus one tail step per call for the last result.
  A conv fused with a max-pool is called once per pool row that needs new conv rows (row
  jobs), an unfused conv once.
- max-pool: per output row and input block K x K steps for the first window, K x S for each
  other when S < K <= 2S (the K - S shared columns' max is carried), else K x K (one call per
  pool row when fused).
- average pool: one step per input pixel and block. add: two steps per output word (the
  arena memories have one read port each, and the two operands may share a bank: operand a,
  then b).
- image load: a pixel per cycle (a beat per cycle while fewer than C values are buffered);
  logits: one per cycle.

With p_pix pixels a beat (`EngineConfig.p_pix`: the arena's pixel banks, every row padded to
ceil(W / p_pix) groups) the conv's steps serve a group of p_pix output pixels of a row
(ceil(W_out / p_pix) groups a row), a max-pool window takes K x ceil(K / p_pix) steps (a
window row's column chunks of p_pix pixels, no column carried), an add's two steps serve a
group (ceil(W / p_pix) a row), and the average pool still takes one pixel a step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpgagen.machine.context import Machine
from fpgagen.machine.layertable import OP_ADD, OP_AVGPOOL, OP_CONV, OP_MAXPOOL, LayerEntry
from fpgagen.plan.engine import conv_beats, maxpool_row_taps
from fpgagen.plan.plan import Plan
from fpgagen.util.arith import ceil_div

# Pipeline depths (cycles from a loop's first iteration issued to its last one retired) and
# per-call overheads: MODELLED for a 7-series / UltraScale+ part at 200 MHz, not measured.
CONV_DEPTH = 12   # operand read 2 (BRAM output register) + P_IN-input adder tree 4 + accumulate 1
#                   + requantize 3 + arena write 1 + loop control 1; a split conv's column-group
#                   fold (log2 NW two-input adds) and a packed pair's field extraction (wiring)
#                   are assumed to fit in these stages
POOL_DEPTH = 6    # arena read 2 + compare 1 + write 1 + loop control 2
AVG_DEPTH = 9     # arena read 2 + sum 1 + multiply by M 3 (DSP) + requantize 2 + write 1
ADD_DEPTH = 7     # arena read 2 + align and add 1 + requantize 3 + write 1
LOAD_DEPTH = 3    # stream read 1 + buffer shift 1 + staging write 1
SEND_DEPTH = 4    # arena read 2 + beat assembly 1 + stream write 1
CALL_OVERHEAD = 2   # entering and leaving a non-inlined unit (ap_ctrl handshake)
LAYER_OVERHEAD = 4  # reading the layer table's row into registers, the layer loop's control

DEPTHS = {"conv": CONV_DEPTH, "pool": POOL_DEPTH, "avg": AVG_DEPTH, "add": ADD_DEPTH,
          "load": LOAD_DEPTH, "send": SEND_DEPTH}


@dataclass(frozen=True)
class LoopRun:
    """One pipelined loop kind of one layer: its calls and their trip counts (in call order)."""

    kind: str
    trips: tuple[int, ...]

    @property
    def calls(self) -> int:
        return len(self.trips)

    @property
    def total_trips(self) -> int:
        return sum(self.trips)

    @property
    def cycles(self) -> int:
        """Modelled: the trips plus each call's pipeline depth and call overhead."""
        return self.total_trips + self.calls * (DEPTHS[self.kind] + CALL_OVERHEAD)


@dataclass(frozen=True)
class LayerLatency:
    """One layer-table entry's loops (a fused pool's rows belong to the pool's entry)."""

    name: str
    loops: tuple[LoopRun, ...]

    @property
    def cycles(self) -> int:
        return sum(r.cycles for r in self.loops) + (LAYER_OVERHEAD if self.loops else 0)


@dataclass(frozen=True)
class HlsLatency:
    """The whole schedule: image load, every entry, logits out (cycles are modelled)."""

    load: LoopRun
    layers: tuple[LayerLatency, ...]
    send: LoopRun

    @property
    def total_cycles(self) -> int:
        return self.load.cycles + sum(la.cycles for la in self.layers) + self.send.cycles

    def trip_range(self, kind: str) -> tuple[int, int]:
        """(min, max) trips of one call of ``kind`` over the network (LOOP_TRIPCOUNT)."""
        trips = [t for la in self.layers for r in la.loops if r.kind == kind for t in r.trips]
        return (min(trips), max(trips)) if trips else (1, 1)


def conv_steps(e: LayerEntry, taps: int) -> int:
    """Steps per output of a conv entry: the beats of one dot product (at least 1; the result
    is written in one step, beside the next output's first beat), in_blocks / G of them for a
    conv split into G column groups (`LayerEntry.split`: a step takes G words of the pixel)."""
    return conv_beats(e.kernel, e.in_blocks // e.split, taps if e.in_staging else 1)


def load_iterations(pixels: int, channels: int, per_beat: int, beats: int) -> int:
    """Iterations of the image loader: a beat is read only when fewer than ``channels`` values
    are buffered, a pixel leaves whenever ``channels`` are in (hw/fg_axis_unpack.v)."""
    if per_beat >= channels:
        return pixels
    fill = taken = out = n = 0
    while out < pixels:
        if fill < channels and taken < beats:
            fill += per_beat
            taken += 1
        if fill >= channels:
            fill -= channels
            out += 1
        n += 1
    return n


def _conv_calls(e: LayerEntry, pool: LayerEntry | None, taps: int, p_pix: int = 1
                ) -> list[int]:
    """Trips of each call of the conv engine for one conv entry (row jobs when fused): its
    outputs' steps (a group of ``p_pix`` output pixels a step) plus one tail step that writes
    the last result."""
    row = ceil_div(e.out_w, p_pix) * e.out_groups * conv_steps(e, taps)
    if pool is None:
        return [e.out_h * row + 1]
    calls, issued, need = [], 0, pool.kernel - 1 - pool.pad
    for _ in range(pool.out_h):
        rows = min(need + 1, e.out_h)
        if rows > issued:
            calls.append((rows - issued) * row + 1)
            issued = rows
        need += pool.stride
    return calls


def _pool_trips(e: LayerEntry, rows: int, p_pix: int = 1) -> int:
    """A max-pool call of ``rows`` output rows: per row and input block, the first window
    walks K x K taps, the others K x (K - kx0) (kx0 = K - S columns carried when S < K <= 2S,
    fpgagen.machine.engine_table); with ``p_pix`` pixel banks every window K x ceil(K / p_pix)
    column chunks."""
    if p_pix > 1:
        return rows * e.in_blocks * e.out_w * e.kernel * ceil_div(e.kernel, p_pix)
    return rows * e.in_blocks * maxpool_row_taps(e.kernel, e.stride, e.out_w)


def hls_latency(plan: Plan, table: Sequence[LayerEntry], load_iters: int,
                out_count: int) -> HlsLatency:
    """The schedule's loops and modelled cycles for ``table`` (fpgagen.machine.layertable) under
    ``plan``; ``load_iters`` from `load_iterations`, ``out_count`` logits."""
    taps, pix = plan.stage_taps, plan.engine.p_pix
    layers = []
    for i, e in enumerate(table):
        loops: tuple[LoopRun, ...] = ()
        if e.op == OP_CONV:
            pool = table[i + 1] if e.fuse_pool else None
            loops = (LoopRun("conv", tuple(_conv_calls(e, pool, taps, pix))),)
        elif e.op == OP_MAXPOOL:
            calls = ([_pool_trips(e, 1, pix)] * e.out_h if e.fused
                     else [_pool_trips(e, e.out_h, pix)])
            loops = (LoopRun("pool", tuple(calls)),)
        elif e.op == OP_AVGPOOL:
            loops = (LoopRun("avg", (e.in_h * e.in_w * e.in_blocks,)),)
        elif e.op == OP_ADD:
            loops = (LoopRun("add", (2 * e.in_h * ceil_div(e.in_w, pix) * e.out_blocks,)),)
        layers.append(LayerLatency(e.name, loops))
    return HlsLatency(LoopRun("load", (load_iters,)), tuple(layers),
                      LoopRun("send", (out_count,)))


def row_jobs_max(table: Sequence[LayerEntry]) -> int:
    """The most row jobs of one entry: a fused pool's rows, else 1 (LOOP_TRIPCOUNT)."""
    return max([1] + [table[i + 1].out_h for i, e in enumerate(table) if e.fuse_pool])


def schedule_of(m: Machine) -> HlsLatency:
    """The HLS schedule of a build's machine: its layer table, image load and logits."""
    fmt = m.stream
    h, w, c = m.qgraph.graph.input_shape
    return hls_latency(m.plan, m.table,
                       load_iterations(h * w, c, fmt.in_values_per_beat, fmt.in_beats),
                       fmt.out_values)


def report_section(m: Machine) -> dict[str, object]:
    """report.json's "hls" section: the modelled cycles of the HLS schedule, per layer."""
    sched = schedule_of(m)
    total = sched.total_cycles
    return {"cycles": total, "fps": m.plan.board.clock_mhz * 1e6 / total,
            "image_load_cycles": sched.load.cycles, "logits_cycles": sched.send.cycles,
            "cycles_per_layer": {la.name: la.cycles for la in sched.layers},
            "note": "modelled (fpgagen/hls/latency.py): the C++ loops' exact trip counts plus "
                    "assumed pipeline depths; what csynth should report, not measured"}
