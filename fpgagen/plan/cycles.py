"""The Plan's cycle estimate: a model of the Verilog engine's schedule (hw/fg_engine.v).

The RTL bench counts, per layer-table entry, the cycles the engine works on it (`dbg_busy`,
`dbg_entry`: fpgagen/verify/rtlresults.py ``cycles_per_entry``), and around them the image load
(`S_LOAD`) and the logits (`S_OUT`). This module predicts each of those counts from the graph
and the engine alone, as a sum of named terms, one per mechanism of the hardware:

    issue        the generator's beats, one per cycle (fg_conv_agu, fg_pool_agu, fg_vec_agu);
                 a conv result's NW = P_OUT / P_IN words are written in one cycle (the arena
                 is NW banks, hw/fg_arena.v), so no dot product waits for the write port; on
                 a pixel-parallel engine a beat serves a group of p_pix output pixels of a row
                 (rows are ceil(W / p_pix) groups) and a result group's p_pix x NW words are
                 written in one cycle (p_pix pixel banks)
    row_setup    the layer table loads the row (two rows for a fused pair), decode, start
    pipeline     from the last beat to the generator's done flag, the credit of the pool
                 results, the drain of the MAC array, requantizer and write port (DRAIN)
    fused_pair   a conv fused with its max-pool: the rows both issuers interleave, and what
                 the one write port lets the pool do beside the conv (`fused_pair_cycles`)
    load / logits / control   the image through fg_axis_unpack, the logits through
                 fg_logits_out, the state machine's entry and exit cycles

Each mechanism is one function or constant here with a docstring naming the RTL it models,
so a change to the RTL changes one term. This is a
model of the RTL only; the HLS engine is a different machine (fpgagen/hls/latency.py).
Constants marked "fitted" were read off RTL simulations (`bench/bench_estimate.py`), the
others are the RTL's own parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpgagen.frontend.graph import INPUT, Graph, Layer
from fpgagen.plan.engine import EngineConfig, maxpool_row_taps
from fpgagen.plan.engine_fields import table_fields
from fpgagen.plan.engine_latency import latency
from fpgagen.util.arith import ceil_div

# --- the RTL's latencies (fpgagen/plan/engine_latency.py, the table hw/fg_latency.vh renders) ---
MEM_LAT = 1 + latency("MEM_REGS")   # arena / staging read: read register + output registers
ROM_REGS = latency("MEM_REGS")      # the layer table ROM's output registers (fg_layer_table)
WRITE_CYCLES = 1     # arena write cycles per conv result: its NW words go to NW banks at once


@dataclass(frozen=True)
class EngineTiming:
    """The cycle constants of one engine instance (what fg_engine.v derives from P_IN, P_OUT)."""

    p_in: int
    p_out: int
    fields: int      # layer-table fields per row (fg_layer_table NF = len(RTL_FIELDS))
    p_pix: int = 1   # output pixels a beat

    @property
    def lv(self) -> int:
        """The MAC array's adder-tree depth, clog2(P_IN) (fg_pe_array)."""
        return max(0, math.ceil(math.log2(self.p_in)))

    @property
    def drain(self) -> int:
        """fg_engine DRAIN: last beat taken -> last arena write (A1 + memory + operand register
        + MAC array PE + LV + the split sums' levels + R0 + requantizer + the write port's
        latency + margin), from fpgagen/plan/engine_latency.py. The value the engine runs with:
        the generated top passes it as fg_engine's DRAIN, and the engine refuses to elaborate
        when its own sum of the same latencies (hw/fg_latency.vh) differs."""
        return (latency("A1") + MEM_LAT + latency("A4") + latency("PE") + self.lv
                + self.ksum_levels + latency("R0") + latency("REQUANT") + self.write_latency
                + latency("DRAIN_MARGIN"))

    @property
    def ksum_levels(self) -> int:
        """fg_ksum: one adder level per halving of the column groups, log2 NW (KSUM_LAT)."""
        return EngineConfig(self.p_in, self.p_out).result_words.bit_length() - 1

    @property
    def write_latency(self) -> int:
        """fg_writeback: a result is written 1 cycle after it arrives with one arena bank, 2
        with several (a register stage holds the chosen source before the bank rotation)."""
        banked = EngineConfig(self.p_in, self.p_out).result_words > 1
        return latency("WB_BANKED") if banked else latency("WB")

    @property
    def row_load(self) -> int:
        """S_ROW + S_ROW_WAIT: fg_layer_table reads a row in NF + 2 + ROM_REGS cycles, one
        field a cycle, plus the state machine's cycle into S_ROW and out of S_ROW_WAIT."""
        return 1 + self.fields + 2 + ROM_REGS + 1


def timing(engine: EngineConfig) -> EngineTiming:
    """The constants of ``engine``'s RTL instance (the layer table's field count included)."""
    return EngineTiming(engine.p_in, engine.p_out, len(table_fields(engine.p_pix)),
                        engine.p_pix)


# --- fitted: fixed cycles per entry beyond the RTL constants above, by the issuer that runs it
# (the start pulse and the generator's registered `go`, `gen_done`, `credit_zero`, the exit of
# S_DRAIN); read off `bench/bench_estimate.py` runs, see docs/hardware.md "Measured figures" ---
START_CONV = 2 + 2   # S_PREP, S_START; fg_conv_agu's first beat and registered done
START_VEC = 2 + 2    # fg_vec_agu (its configuration is registered before the start pulse)
START_POOL = 2 + 2
POOL_WRITE_LAT = latency("A1") + MEM_LAT + latency("MAXPOOL") + 1 + 1   # + queue + write


def pix_latency(p_pix: int) -> int:
    """hw/fg_engine.v PIX_LAT: on a pixel-parallel engine a max-pool chunk's words are rotated
    into place (a register) and reduced by fg_pixmax (clog2(p_pix) levels) before the running
    max; 0 with one pixel a beat."""
    return 1 + (p_pix - 1).bit_length() if p_pix > 1 else 0


def pool_write_latency(p_pix: int) -> int:
    """A max-pool window's last beat -> its write: POOL_WRITE_LAT plus `pix_latency`. (An
    S_ALT pool segment waits for its last write: `pix_latency` more per segment.)"""
    return POOL_WRITE_LAT + pix_latency(p_pix)
# S_ALT: an iteration's conv segment costs the conv entry its S_ALT_WAIT (DRAIN) and this many
# more (S_ALT_PLAN twice, the pool segment's 3-cycle wait, the generator's resume); a pool
# segment costs the pool entry its row's beats and this many (settle, resume, the last
# window's write before credit_zero); the first conv segment this many (fitted)
ALT_CONV_ITER = 5
ALT_POOL_ITER = 10
ALT_FIRST = 5
# S_FZ: a pool row starts this many cycles after its conv rows are written (fz_rows_in,
# pool_inc and the generator's go are registers) (fitted)
FZ_POOL_RESUME = 4
# S_FZ with the write port full: a pool row stopped by the conv has issued this many beats
# more than a rate of 0 gives (its queued windows, less the gate's register delays) (fitted)
FZ_STALL_AHEAD = 4


def conv_results(graph: Graph, lay: Layer, engine: EngineConfig) -> int:
    """Dot products of a conv: output pixels x output groups of P_OUT channels; on a
    pixel-parallel engine, pixel groups (rows of ceil(W / p_pix)) x output groups."""
    h, w, c = graph.shape(lay.name)
    return h * ceil_div(w, engine.p_pix) * ceil_div(c, engine.p_out)


def conv_issue(graph: Graph, lay: Layer, engine: EngineConfig, beats: int) -> int:
    """fg_conv_agu: one beat per cycle over the whole nest (cb, kx, ky, og, ox, oy); ``beats``
    of one dot product, the Plan's `WeightLayout.beats_per_result` (the weight words of one
    output group: split convs and packed taps included)."""
    return conv_results(graph, lay, engine) * beats


def pool_groups(channels: int, engine: EngineConfig) -> int:
    """Beats per tap of a max-pool: a beat reads NW words at once (every arena bank, hw/
    fg_arena.v), so a pixel's ceil(C / P_IN) words take ceil(words / NW) beats."""
    words = ceil_div(channels, engine.p_in)
    return ceil_div(words, engine.result_words)


def maxpool_issue(graph: Graph, lay: Layer, engine: EngineConfig) -> int:
    """fg_pool_agu: every tap of a window is a beat (taps off the image too) for each group
    of NW words (`pool_groups`); when S < K <= 2S a row's later windows start at column
    K - S (fg_maxpool carries the shared columns): K x S beats instead of K x K."""
    h, w, c = graph.shape(lay.name)
    return h * pool_groups(c, engine) * maxpool_row_taps(lay.kernel, lay.stride, w,
                                                         engine.p_pix)


def maxpool_row_issue(graph: Graph, lay: Layer, engine: EngineConfig) -> int:
    """Beats of one output row of a max-pool (what a fused pair hands out at a time)."""
    return maxpool_issue(graph, lay, engine) // graph.shape(lay.name)[0]


def vec_issue(graph: Graph, lay: Layer, engine: EngineConfig) -> int:
    """fg_vec_agu: the global average pool reads every input pixel's words once, one word a
    beat (on a pixel-parallel engine too: the pixel's phase picks its bank); an add reads
    operand a, then b, per word (one arena read port: II = 2), on a pixel-parallel engine a
    word of every pixel of a group a beat."""
    if lay.op == "avgpool":
        hi, wi, c = graph.in_shape(lay)
        return hi * wi * ceil_div(c, engine.p_in)
    h, w, c = graph.shape(lay.name)
    return 2 * h * ceil_div(w, engine.p_pix) * ceil_div(c, engine.p_in)


@dataclass(frozen=True)
class FusedPair:
    """The cycles a fused conv -> max-pool pair counts for each of its two entries."""

    conv: dict[str, int]
    pool: dict[str, int]


def fused_pair_cycles(graph: Graph, conv: Layer, pool: Layer, ring_rows: int,
                      engine: EngineConfig, beats: int, t: EngineTiming) -> FusedPair:
    """A conv and the max-pool it feeds through a ring of ``ring_rows`` rows (fg_engine S_FZ
    when the conv reads the staging memory, S_ALT_* when it reads the arena).

    S_FZ (conv on the image): both generators run at once. Conv row r waits until the pool
    has issued rows past r + pad - R (`fz_gate`: its ring slot was read); pool row p waits until
    the conv rows under its window are written (`fz_rows_in`, DRAIN after their last beat).
    The conv has the write port first (one cycle per result, every bank at once); a pool window
    needs one write and may have 3 in flight (fg_writeback's queue of PF_DEPTH = 4), so beside
    the conv it runs at ``min(1, free write share x beats per window)`` beats a cycle: 1 when
    conv1 has 3 beats a result (it writes 1 cycle in 3); 0 when the conv writes every cycle
    (one beat a result: the pool runs only while the conv waits for the ring,
    FZ_STALL_AHEAD beats excepted).
    S_ALT (conv on the arena, one read port): conv rows up to what the next pool row needs,
    a DRAIN, that pool row, and so on.

    The bench counts the pair's cycles for the conv until its last row is issued, then for the
    pool (`dbg_entry`); the S_ALT pool segments count for the pool.
    """
    ch, cw, _ = graph.shape(conv.name)
    ph = graph.shape(pool.name)[0]
    k, s, pad = pool.kernel, pool.stride, pool.pad
    # results (pixel groups x output groups) per conv row
    per_row = ceil_div(cw, engine.p_pix) * ceil_div(graph.shape(conv.name)[2], engine.p_out)
    conv_row = per_row * beats
    conv_writes = per_row * WRITE_CYCLES
    pool_row = maxpool_row_issue(graph, pool, engine)
    windows = graph.shape(pool.name)[1] * pool_groups(graph.shape(pool.name)[2], engine)
    beats_per_window = pool_row / windows
    free = 1.0 - conv_writes / conv_row
    # a pool beat runs while fewer than 3 windows wait for the port
    beside = min(1.0, free * beats_per_window)

    def need(p: int) -> int:  # conv rows written before pool row p may start
        return min(ch, p * s + k - pad)

    setup = dict(row_setup=2 * t.row_load + START_CONV)
    if conv.inputs[0] != INPUT:
        # S_ALT: iteration p issues the conv rows pool row p needs (if any), then pool row p;
        # the bench counts the pool segments for the pool, the rest for the conv until its
        # last row is issued, all after that (the last conv segment's wait) for the pool
        segments = len({need(p) for p in range(ph)})
        issue = conv_issue(graph, conv, engine, beats)
        return FusedPair(
            conv=dict(issue=issue,
                      fused_pair=ALT_FIRST + (segments - 1) * (t.drain + ALT_CONV_ITER),
                      **setup),
            pool=dict(issue=pool_row * ph,
                      fused_pair=ph * (ALT_POOL_ITER + pix_latency(t.p_pix)) + t.drain,
                      pipeline=t.drain))
    # S_FZ: a row-level event simulation (a few hundred events)
    lag = t.drain + FZ_POOL_RESUME   # a conv row's last beat -> the pool row it completes
    ahead = False
    now = 0.0
    r = p = 0                       # next conv row, next pool row
    conv_left = float(conv_row)     # cycles of the current conv row left
    pool_left = float(pool_row)
    conv_end: list[float] = []      # when each conv row's last beat was issued
    conv_done_at = 0.0
    while p < ph:
        written = sum(1 for e in conv_end if e + lag <= now + 1e-9)
        conv_on = r < ch and r + pad - ring_rows < s * p
        pool_on = written >= need(p)
        rate = (beside if conv_on else 1.0) if pool_on else 0.0
        if pool_on and conv_on and rate == 0 and not ahead:
            ahead = True
            pool_left -= min(FZ_STALL_AHEAD, pool_left - 1)
        ahead = ahead and conv_on
        steps = []
        if conv_on:
            steps.append(conv_left)
        if rate > 0:
            steps.append(pool_left / rate)
        pending = [e + lag - now for e in conv_end if e + lag > now + 1e-9]
        steps += pending[:1]
        if not steps:  # cannot happen with the Plan's rings (K + S rows); never spin
            break
        dt = min(steps)
        now += dt
        if conv_on:
            conv_left -= dt
            if conv_left <= 1e-9:
                conv_end.append(now)
                r += 1
                conv_left = float(conv_row)
                if r == ch:
                    conv_done_at = now
        if rate > 0:
            pool_left -= dt * rate
            if pool_left <= 1e-9:
                p += 1
                pool_left = float(pool_row)
    conv_cycles = round(conv_done_at)
    pool_cycles = round(now) - conv_cycles
    issue = conv_issue(graph, conv, engine, beats)
    return FusedPair(
        conv=dict(issue=issue, fused_pair=conv_cycles - conv_row * ch, **setup),
        pool=dict(fused_pair=pool_cycles, pipeline=pool_write_latency(t.p_pix) + t.drain))


def layer_terms(graph: Graph, lay: Layer, engine: EngineConfig, beats: int,
                t: EngineTiming) -> dict[str, int]:
    """The named terms of one unfused layer-table entry (concat: none, written in place)."""
    if lay.op == "conv":
        return dict(row_setup=t.row_load + START_CONV,
                    issue=conv_issue(graph, lay, engine, beats),
                    pipeline=t.drain)
    if lay.op == "maxpool":
        return dict(row_setup=t.row_load + START_POOL, issue=maxpool_issue(graph, lay, engine),
                    pipeline=pool_write_latency(t.p_pix) + t.drain)
    if lay.op in ("avgpool", "add"):
        return dict(row_setup=t.row_load + START_VEC, issue=vec_issue(graph, lay, engine),
                    pipeline=t.drain)
    return {}


def image_load_cycles(pixels: int, in_beats: int) -> int:
    """S_LOAD: fg_axis_unpack hands the staging memory one pixel a cycle, or fewer when the
    beats carry less than a pixel each (the beat rate bounds it): max(pixels, beats), plus the
    pixel leaves in the cycle its beat is taken)."""
    return max(pixels, in_beats)


# streaming: the control cycles between one image's ap_done and the next image's first row
# (S_DONE, S_IDLE taking ap_start, S_LOAD finding the slot full; fitted)
STREAM_CONTROL = 2


def streaming_cycles(compute: int, load: int, reader: int = 0) -> int:
    """Cycles per image in steady state, images streamed back to back: the staging memory
    holds two images and the loader fills one while the engine computes on the other, so an
    image costs its compute (layers, logits and control) or, when the load is the longer, its
    load (the engine then waits for each image): max(compute, load) + STREAM_CONTROL. With
    one slot (``reader``: the cycles until the image's staging readers are done) the next
    image loads only after those: max(compute, reader + load) + STREAM_CONTROL."""
    return max(compute, reader + load) + STREAM_CONTROL


# S_OUT's start and end around the values (fg_logits_out's first read and RD_LAT wait, its
# done pulse), S_DONE and the cycle ap_start is taken (fitted)
LOGITS_FIXED = 8


def logits_cycles(count: int) -> int:
    """S_OUT and the control cycles around the entries: fg_axis_out sends one value a cycle
    (fg_logits_out reads the next word while it does), so ``count`` logits take ``count``
    cycles, plus LOGITS_FIXED."""
    return count + LOGITS_FIXED


@dataclass(frozen=True)
class Compared:
    """One row of estimate vs RTL: a layer-table entry, the image load, or what is left."""

    name: str
    rtl: int
    estimate: int

    @property
    def error(self) -> float:
        """(estimate - RTL) / RTL: negative when the estimate is optimistic."""
        return (self.estimate - self.rtl) / self.rtl if self.rtl else 0.0


def compare(costs: tuple, io: tuple[tuple[str, int], ...], cycles_per_entry: dict[str, int],
            load: int, total: int) -> list[Compared]:
    """The Plan's estimate (``costs``, ``io``: `Plan.costs`, `Plan.io_terms`) against an RTL run
    (`fpgagen.verify.rtlfigures.mac_figures` ``cycles_per_layer``, the bench's ``load_cycles`` and
    total): one row per entry, then the image load, the logits and control cycles, the total."""
    est = {c.layer: c.cycles for c in costs}
    io_est = dict(io)
    rows = [Compared(name, cyc, est[name]) for name, cyc in cycles_per_entry.items()]
    rest = total - load - sum(cycles_per_entry.values())
    rows += [Compared("image load", load, io_est["load"]),
             Compared("logits + control", rest, io_est["logits"]),
             Compared("total", total, sum(est.values()) + sum(io_est.values()))]
    return rows
