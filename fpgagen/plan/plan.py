"""The Plan: everything decided for a network on a board, once (docs/design.md §1, §3, §4).

`make_plan(graph, board, precision, engine=None, fuse=True)` is a pure function of its inputs.
It needs only bit widths (from ``precision``), never quantized values, so ``fpgagen check`` is
instant and works for any width. The report, the HLS generator and the RTL generator all read
the same `Plan` and recompute none of it:

- ``engine``: the P_in x P_out MAC array (`fpgagen.plan.engine`);
- ``activations``: schedule (steps), conv->max-pool fusions, every tensor's arena placement and
  the arena size next to its liveness lower bound (`fpgagen.plan.memory`);
- ``weights``: per conv layer, its base address and word count in the weight memory and in the
  bias memory (layout below);
- ``memories``: every on-chip memory as width x depth with its BRAM18/BRAM36/URAM mapping
  (`fpgagen.plan.bram`) and, for the weights and biases, where their contents come from
  (``init``: the bitstream or the stream at run time; see "Weight source" below);
- ``costs``: a cycle estimate per layer, named terms of a model of the RTL schedule
  (`fpgagen.plan.cycles`), ``io_terms`` the image load and logits, and fps at the board clock.

Weight memory layout. One word feeds the whole array: P_in x P_out weights, lane (o, i) at bits
``[(o * P_in + i) * Ww, +Ww)``. For each conv layer in schedule order, words run::

    for og in range(ceil(Cout / P_out)):       # output-channel group
        for ky in range(K): for kx in range(K):
            for cb in range(ceil(Cin / P_in)):  # input-channel block
                word = W[ky, kx, cb*P_in + i, og*P_out + o]   (0 where out of range)

so a layer occupies ``ceil(Cout/P_out) * K * K * ceil(Cin/P_in)`` words from its ``base``.
The conv on the image packs ``stage_taps`` = T kernel columns per word instead (its few
channels leave most lanes idle): ``kx`` runs over ceil(K / T) tap groups and lane
``t * Cin + c`` holds ``W[ky, g*T + t, c, og*P_out + o]``; the input staging memory is then T
banks (pixel p in bank p mod T) so the engine reads T neighbouring pixels per cycle. The
bias memory holds one word of P_out biases (lane o at bits ``[o * Wb, +Wb)``) per layer per og.
When layers use different widths, the word uses the widest and narrower values are
sign-extended, so each memory stays one plain array.

Weight source. The weight and bias memories are RAMs with a write port in every build (a
host can load new weights of the same shapes through in_stream, hw/fg_wload.v). Where their
contents come from at power-up is ``weight_source``:

- ``bitstream``: block RAM initialized by the bitstream (``init = "bitstream"``), valid from
  reset; never URAM (UltraScale+ URAM has no initial contents);
- ``runtime``: no initial contents (``init = "stream"``): the memories may be URAM, a host
  loads ``weights.bin`` before the first image and the core refuses to start until it has.

`make_plan`'s ``weight_source`` asks for one of them or ``auto`` (the default): the bitstream
whenever the design fits the part that way (two staging slots, else one), else run-time
weights when that fits, else the bitstream plan (which does not fit). So the boards whose
designs fit today keep bitstream weights; the engine-size search tries both sources for each
engine before it narrows the engine (a larger engine with run-time weights beats a smaller
one with bitstream weights: a load costs milliseconds once, a narrower engine every image).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph
from fpgagen.plan import cycles
from fpgagen.plan.boards import Board
from fpgagen.plan.bram import (
    URAM_WIDTH,
    BlockMapping,
    bram36_total,
    map_bram,
    map_memories,
    map_with_uram,
)
from fpgagen.plan.engine import (
    EngineConfig,
    avgpool_lane_dsps,
    avgpool_sum_width,
    conv_beats,
    conv_split,
    default_engine,
    mac_operand_bits,
    p_in_note,
    pack_problem,
    packed_dsp_engine,
    pixel_stride_problem,
)
from fpgagen.plan.memory import (
    ARENA,
    RING,
    VIEW,
    ActivationPlan,
    Fusion,
    Step,
    TensorPlacement,
    plan_activations,
)
from fpgagen.plan.streams import stream_format
from fpgagen.quant.precision import Precision
from fpgagen.quant.quantize import AVG_MULT_BITS
from fpgagen.util.arith import ceil_div

# Memory names, in the order the report lists them. There is no output memory: both cores
# stream the logits straight from the arena (hw/fg_logits_out.v, the HLS core's send loop).
ACTIVATIONS, INPUT_STAGING, WEIGHTS, BIASES = (
    "activations", "input_staging", "weights", "biases")
# images the Verilog core's input staging memory holds: the next image loads while this one
# computes (each staging bank is two slots deep, slot 1 at word ceil(H*W / T): an added base,
# not a top address bit, so no slot is padded to a power of two; hw/fg_engine.v). A design
# that fits the part only with one slot gets one (`Plan.staging_slots`): the next image then
# loads once the image's staging readers are done. The HLS core is one function call per
# image (load, layers, logits, in order) and never overlaps a load with the layers, so its
# staging holds one image whatever this says (`Plan.hls_memories`).
STAGING_SLOTS = 2
# images the HLS core's staging memory holds
HLS_STAGING_SLOTS = 1
# the memories with contents (weights and biases): from the bitstream (memory-init files) or
# loaded at run time (weight_source)
ROMS = frozenset({WEIGHTS, BIASES})
# where they come from: the policy asked for (make_plan's weight_source), and the two results
AUTO, BITSTREAM, RUNTIME = "auto", "bitstream", "runtime"
WEIGHT_SOURCES = (AUTO, BITSTREAM, RUNTIME)
# Memory.init of a memory with contents
INIT_BITSTREAM, INIT_STREAM = "bitstream", "stream"


@dataclass(frozen=True)
class WeightLayout:
    """Where one conv layer's weights and biases sit in the weight and bias memories."""

    layer: str
    base: int
    words: int
    out_groups: int
    kernel: int
    in_blocks: int
    weight_width: int
    bias_base: int
    bias_width: int
    logical_bits: int
    taps: int = 1  # kernel columns per word: > 1 only for the conv on the image (packed taps)
    split: int = 1  # input-word groups of a narrow 1x1 conv (`fpgagen.plan.engine.conv_split`)

    @property
    def bias_words(self) -> int:
        return self.out_groups

    @property
    def beats_per_result(self) -> int:
        """Array beats of one dot product: the weight words of one output group."""
        return self.words // self.out_groups

    @property
    def tap_groups(self) -> int:
        """Words per kernel row: K, or ceil(K / taps) when taps are packed into the lanes."""
        return ceil_div(self.kernel, self.taps)

    def word_address(self, og: int, ky: int, kx: int, cb: int) -> int:
        """Weight-memory address of the word for output group og, kernel row ky, column kx (the
        tap group when taps are packed), input block cb (the beat cb of in_blocks / split when
        the conv is split: that word holds input blocks cb * split .. + split - 1)."""
        beats = self.in_blocks // self.split
        return self.base + ((og * self.kernel + ky) * self.tap_groups + kx) * beats + cb


@dataclass(frozen=True)
class Memory:
    """One on-chip memory: ``width`` bits x ``depth`` words, and the blocks that build it."""

    name: str
    width: int
    depth: int
    mapping: BlockMapping
    purpose: str
    # the separately addressed or separately written memories it is built of, each mapped on
    # its own (`mapping` sums them): the staging banks (a share of the depth each), the
    # arena's lane groups (a share of the width each, P_OUT < P_IN); the RTL builds each part
    # as these columns (fpgagen/machine/columns.py)
    parts: tuple[BlockMapping, ...] = ()
    # where the contents come from: "bitstream" (initialized, block RAM only), "stream" (loaded
    # at run time, no initial contents) or "" (no contents: the arena, the staging memory)
    init: str = ""

    @property
    def bytes(self) -> int:
        return ceil_div(self.width * self.depth, 8)


@dataclass(frozen=True)
class LayerCost:
    """Estimated RTL engine cycles of one layer-table entry (`fpgagen.plan.cycles`): ``cycles``
    is the sum of ``terms``, each (name, cycles) one mechanism of the engine (issue,
    row_setup, pipeline, fused_pair)."""

    layer: str
    op: str
    step: int
    cycles: int
    macs: int
    terms: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Plan:
    """The decisions both code generators and the report read (see the module docstring)."""

    graph: Graph
    board: Board
    precision: Precision
    engine: EngineConfig
    fuse: bool
    activations: ActivationPlan
    arena_unfused_words: int
    weights: Mapping[str, WeightLayout]
    weight_word_bits: int
    bias_word_bits: int
    memories: Mapping[str, Memory]
    costs: tuple[LayerCost, ...]
    io_cycles: int
    stage_taps: int = 1  # taps per beat of the conv on the image (staging banks), see above
    # banks of the staging memory (`staging_banks`): stage_taps, or on a pixel-parallel engine
    # enough for the p_pix pixels' taps of a beat (0: stage_taps)
    stage_banks: int = 0
    staging_slots: int = STAGING_SLOTS  # images the staging memory holds (see STAGING_SLOTS)
    # why the default engine is smaller than the board's DSPs allow ("" when it is not, or when
    # --pe chose it): a user who reads "16x32" on a 1,248-DSP board should not have to guess
    engine_note: str = ""
    # the estimate's cycles outside the layers, named: the image load, the logits
    io_terms: tuple[tuple[str, int], ...] = ()
    # the HLS core's memories where they differ from ``memories`` (the Verilog core's): its
    # input staging holds one image (HLS_STAGING_SLOTS); empty: the same as ``memories``
    hls_staging: Memory | None = None
    # where the weights and biases come from: "bitstream" or "runtime" (see the module
    # docstring), and what was asked for ("auto", "bitstream" or "runtime")
    weight_source: str = BITSTREAM
    weight_policy: str = AUTO

    # --- schedule and activations ---
    @property
    def schedule(self) -> tuple[Step, ...]:
        return self.activations.steps

    @property
    def fusions(self) -> tuple[Fusion, ...]:
        return self.activations.fusions

    @property
    def tensors(self) -> Mapping[str, TensorPlacement]:
        return self.activations.tensors

    @property
    def arena_bytes(self) -> int:
        return self.memories[ACTIVATIONS].bytes

    @property
    def arena_lower_bound_bytes(self) -> int:
        return self.activations.lower_bound_bytes

    @property
    def arena_unfused_bytes(self) -> int:
        return ceil_div(self.arena_unfused_words * self.activations.p_pix
                        * self.activations.word_bits, 8)

    # --- weights ---
    @property
    def weights_logical_bytes(self) -> int:
        """Weights and biases packed at their widths, no padding (what the model holds)."""
        return ceil_div(sum(w.logical_bits for w in self.weights.values()), 8)

    @property
    def weights_bytes(self) -> int:
        """The weight and bias memories as built (padded to P_in x P_out words)."""
        return self.memories[WEIGHTS].bytes + self.memories[BIASES].bytes

    @property
    def weights_in_bitstream(self) -> bool:
        """The bitstream holds the weights: valid from reset, no load needed."""
        return self.weight_source == BITSTREAM

    # --- totals ---
    @property
    def staging_bytes(self) -> int:
        """Input image staging (C_in values per word, H*W words); the logits need none."""
        return self.memories[INPUT_STAGING].bytes

    @property
    def total_bytes(self) -> int:
        """Bytes of every on-chip memory as built: weights + biases + arena + staging."""
        return sum(m.bytes for m in self.memories.values())

    @property
    def bram36(self) -> int:
        """BRAM36 equivalents over all memories (two BRAM18 count as one BRAM36)."""
        return bram36_total([m.mapping for m in self.memories.values()])

    @property
    def bram18(self) -> int:
        return sum(m.mapping.bram18 for m in self.memories.values())

    @property
    def uram(self) -> int:
        return sum(m.mapping.uram for m in self.memories.values())

    # --- the HLS core's memories ---
    # Both cores are built from this one Plan. They share the arena, the ROMs and the staging
    # banks' shape, but the Verilog core's staging holds `staging_slots` images (it loads the
    # next while one computes) and the HLS core's one. ``memories`` and the totals above are
    # the Verilog core's, the larger, so the fit verdict holds for either core; these are what
    # the HLS core declares (its memory gate compares the code with them).
    @property
    def hls_memories(self) -> Mapping[str, Memory]:
        if self.hls_staging is None:
            return self.memories
        return MappingProxyType({**self.memories, INPUT_STAGING: self.hls_staging})

    @property
    def hls_bram36(self) -> int:
        return bram36_total([m.mapping for m in self.hls_memories.values()])

    @property
    def hls_uram(self) -> int:
        return sum(m.mapping.uram for m in self.hls_memories.values())

    @property
    def hls_total_bytes(self) -> int:
        return sum(m.bytes for m in self.hls_memories.values())

    @property
    def total_cycles(self) -> int:
        """Latency: one image from ap_start to ap_done, its load included (what ``fps`` uses:
        a host that starts one image at a time)."""
        return self.io_cycles + sum(c.cycles for c in self.costs)

    @property
    def fps(self) -> float:
        """Images per second at the board clock for single images (``total_cycles``)."""
        return self.board.clock_mhz * 1e6 / max(1, self.total_cycles)

    @property
    def streaming_cycles(self) -> int:
        """Cycles per image when images stream back to back (the double-buffered staging):
        the next image loads while this one computes, so an image costs
        `cycles.streaming_cycles` of its compute and its load."""
        io = dict(self.io_terms)
        return cycles.streaming_cycles(sum(c.cycles for c in self.costs) + io["logits"],
                                           io["load"], self._staging_reader_cycles())

    def _staging_reader_cycles(self) -> int:
        """With one staging slot, the cycles from an image's start until its slot is free
        (its entries up to the last that reads the staging memory); 0 with two slots."""
        if self.staging_slots > 1:
            return 0
        readers = {lay.name for lay in self.graph.layers if lay.inputs[0] == INPUT}
        readers |= {f.pool for f in self.fusions if f.conv in readers}
        last = max((i for i, c in enumerate(self.costs) if c.layer in readers), default=-1)
        return sum(c.cycles for c in self.costs[:last + 1])

    @property
    def streaming_fps(self) -> float:
        """Images per second at the board clock when streaming (``streaming_cycles``)."""
        return self.board.clock_mhz * 1e6 / max(1, self.streaming_cycles)


def _image_convs(graph: Graph) -> list:
    return [lay for lay in graph.layers if lay.op == "conv" and lay.inputs[0] == INPUT]


def staging_taps(graph: Graph, engine: EngineConfig) -> int:
    """Kernel columns per array beat for a conv that reads the input image.

    The image has few channels (3 of 16 lanes), so T horizontally adjacent taps share one beat,
    lane ``t * C_in + c``: T is the largest power of two with T * C_in <= P_in, and no larger
    than needed for the kernel. The staging memory is then T banks (pixel p in bank p mod T,
    `staging_banks`), so any T consecutive pixels are read in one cycle; 1 means no packing.
    """
    convs = _image_convs(graph)
    fit = engine.p_in // graph.input_shape[2]
    k = max((lay.kernel for lay in convs), default=1)
    taps = 1
    while taps * 2 <= fit and taps < k:
        taps *= 2
    return taps


def _image_convs(graph: Graph) -> list:
    return [lay for lay in graph.layers if lay.op == "conv" and lay.inputs[0] == INPUT]


def staging_banks(graph: Graph, engine: EngineConfig, taps: int) -> int:
    """Banks of the staging memory: pixel p of the image (row-major) in bank p mod B at word
    p div B. A beat of the conv on the image reads, for each of its p_pix output pixels at
    stride s, T consecutive pixels from x0 + s * j: s * (p_pix - 1) + T consecutive pixels in
    all, so B is the smallest power of two that holds them (one pixel a beat: B = T). SqueezeNet
    1.1's conv1 (3x3/2) on 4 pixels a beat: T = 4, 2 * 3 + 4 = 10 pixels, 16 banks."""
    span = max((lay.stride * (engine.p_pix - 1) + taps for lay in _image_convs(graph)),
               default=taps)
    banks = 1
    while banks < max(span, taps):
        banks *= 2
    return banks


def layer_costs(graph: Graph, engine: EngineConfig, layouts: Mapping[str, WeightLayout],
                fusions: tuple[Fusion, ...], step_of: Mapping[str, int]
                ) -> tuple[LayerCost, ...]:
    """Every layer's estimated cycles, as the RTL bench counts them per layer-table entry
    (`fpgagen.plan.cycles`: named terms; a fused pair's cycles split as the bench splits them),
    a conv's beats read from its weight layout."""
    t = cycles.timing(engine)

    def beats(name: str) -> int:
        return layouts[name].beats_per_result if name in layouts else 0

    terms: dict[str, dict[str, int]] = {}
    for f in fusions:
        pair = cycles.fused_pair_cycles(graph, graph.layer(f.conv), graph.layer(f.pool),
                                        f.ring_rows, engine, beats(f.conv), t)
        terms[f.conv], terms[f.pool] = pair.conv, pair.pool
    out = []
    for lay in graph.layers:
        named = terms.get(lay.name) or cycles.layer_terms(graph, lay, engine, beats(lay.name), t)
        out.append(LayerCost(lay.name, lay.op, step_of[lay.name], sum(named.values()),
                             graph.macs(lay), tuple(named.items())))
    return tuple(out)


def io_terms(graph: Graph, precision: Precision) -> tuple[tuple[str, int], ...]:
    """The estimate's cycles outside the layer-table entries: the image load and the logits."""
    h, w, c = graph.input_shape
    out = math.prod(graph.shape(graph.output))
    fmt = stream_format(precision.input.width, True, c, h * w * c,
                        precision.layer(graph.output).result.width, True, out)
    return (("load", cycles.image_load_cycles(h * w, fmt.in_beats)),
            ("logits", cycles.logits_cycles(out)))


def _weight_layouts(graph: Graph, precision: Precision, engine: EngineConfig, taps: int
                    ) -> dict[str, WeightLayout]:
    out: dict[str, WeightLayout] = {}
    base = bias_base = 0
    for lay in graph.layers:
        ws = graph.weight_shape(lay)
        if ws is None:
            continue
        if lay.groups != 1:
            raise FpgagenError(f"layer {lay.name!r}: grouped convolution (groups={lay.groups}) "
                               "is not supported by the engine")
        k, _, cin, cout = ws
        spec = precision.layer(lay.name)
        og, cb = ceil_div(cout, engine.p_out), ceil_div(cin, engine.p_in)
        image = lay.inputs[0] == INPUT
        t = taps if image else 1
        split = conv_split(k, cb, cout, engine, image)
        words = og * conv_beats(k, cb // split, t)
        out[lay.name] = WeightLayout(
            lay.name, base, words, og, k, cb, spec.weight.width, bias_base, spec.bias.width,
            math.prod(ws) * spec.weight.width + cout * spec.bias.width, t, split)
        base += words
        bias_base += og
    return out


def check_weight_source(text: str) -> str:
    """``--weight-source``: auto, bitstream or runtime."""
    if text not in WEIGHT_SOURCES:
        raise FpgagenError(f"weight source {text!r}: expected one of {', '.join(WEIGHT_SOURCES)}")
    return text


def make_plan(graph: Graph, board: Board, precision: Precision,
              engine: EngineConfig | None = None, fuse: bool = True,
              staging_slots: int | None = None, pack: bool | None = None,
              weight_source: str = AUTO) -> Plan:
    """Plan ``graph`` on ``board`` at ``precision`` widths (pure; see the module docstring).

    ``engine`` defaults to `default_engine` (sized by the board's DSPs), halved in P_out while
    the design does not fit the part's blocks but a narrower array would: the weight word is
    P_in x P_out wide, so a wide array pads the weights into more BRAM (ZCU104: SqueezeNet 1.1
    needs 342 BRAM36 at 16x64, 285 at 16x32). ``fuse`` turns conv->max-pool fusion on.
    ``staging_slots`` (1 or 2) fixes the images the staging memory holds; None: two, or one
    when only one fits the part.
    ``pack`` (or ``engine.pack``): two MACs per DSP, see `_with_packing` (None: only when the
    engine needs it, e.g. ``--pe 16x64`` on the ZC706).
    ``weight_source``: auto, bitstream or runtime (the module docstring's "Weight source").
    """
    precision.check_layers([lay.name for lay in graph.layers])
    policy = check_weight_source(weight_source)
    if staging_slots is not None:
        return _plan(graph, board, precision,
                     engine or default_engine(board, precision, graph), fuse, policy,
                     (staging_slots,))
    if engine is not None:
        return _with_packing(_plan(graph, board, precision, engine, fuse, policy),
                             True if engine.pack else pack)
    unpacked = _default_unpacked(graph, board, precision, fuse, pack, policy)
    if pack is False:
        return unpacked
    return _packed_default(graph, board, precision, fuse, unpacked, policy) or unpacked


def _default_unpacked(graph: Graph, board: Board, precision: Precision, fuse: bool,
                      pack: bool | None, policy: str = AUTO) -> Plan:
    """The DSP-sized default engine (one MAC per DSP), P_out halved until the memories fit."""
    eng = default_engine(board, precision, graph)
    plan = _plan(graph, board, precision, eng, fuse, policy)
    notes = [n for n in (p_in_note(graph, eng.p_in),) if n]
    while not _fits_part(plan) and eng.p_out > 1:
        eng = replace(eng, p_out=eng.p_out // 2)
        smaller = _plan(graph, board, precision, eng, fuse, policy)
        if _fits_part(smaller):
            notes.append(f"P_out halved from the DSP-sized {plan.engine} to {eng}: at "
                         f"{plan.engine} the design needs {_overflow(plan)} (its wide weight "
                         f"words pad the weights); {eng} fits")
            return _with_packing(replace(smaller, engine_note="; ".join(notes)), pack)
    # no narrower P_out fits either
    return _with_packing(replace(plan, engine_note="; ".join(notes)), pack)


# a packed default must be at least this much faster (estimated cycles per image, single
# image) than the one-MAC-per-DSP default: twice the MACs for less is not worth the wider
# weight words, the larger build and the DSP48's packed-operand path. ZC706 SqueezeNet 1.1:
# 16x64 packed is 1.85x the 16x32; PYNQ-Z2 digits 16x16 is 1.46x the 16x8; ZCU102: 16x256
# packed would be 1.25x the 16x128 on SqueezeNet 1.0 and less on 1.1, so it stays unpacked
PACK_MIN_SPEEDUP = 1.3


def _packed_default(graph: Graph, board: Board, precision: Precision, fuse: bool,
                    unpacked: Plan, policy: str = AUTO) -> Plan | None:
    """The default engine with two MACs per DSP (`packed_dsp_engine`: twice the P_out the DSPs
    give one MAC each) when the board's DSP slice packs these widths exactly, the design fits
    the part, and it is PACK_MIN_SPEEDUP faster by the estimate; else None."""
    if unpacked.engine.pack or not _fits_part(unpacked):
        return None
    eng = packed_dsp_engine(board, *mac_widths(unpacked), p_in=unpacked.engine.p_in)
    if eng is None or eng.p_out <= unpacked.engine.p_out:
        return None
    plan = _plan(graph, board, precision, replace(eng, pack=False), fuse, policy)
    if not _fits_part(plan) or plan.total_cycles * PACK_MIN_SPEEDUP > unpacked.total_cycles:
        return None
    packed = _with_packing(plan, True)
    slice_ = board.dsp_slice
    note = (f"{eng} with two MACs per {slice_} ({packed.engine.dsp} DSPs): estimated "
            f"{unpacked.total_cycles / plan.total_cycles:.2f}x the throughput of the "
            f"one-MAC-per-DSP {unpacked.engine}")
    return replace(packed, engine_note="; ".join(n for n in (unpacked.engine_note, note) if n))


# the most pixels a beat the engine search tries (each is an array copy: DSPs bind first on
# every board; fpgagen/plan/engine.py MAX_PIX is the engine's own limit)
SEARCH_MAX_PIX = 8


@dataclass(frozen=True)
class PixelChoice:
    """The fastest pixel-parallel engine for a design (`pixel_engine`) and why it is no
    larger: ``binding`` names the limit ("DSPs": one pixel more would not fit them; "memory":
    the next wider weight word, P_in x 2 P_out x W_w bits a cycle, does not fit the part's
    blocks, so the array grows in pixels instead)."""

    plan: Plan
    binding: str
    note: str


def pixel_engine(graph: Graph, board: Board, precision: Precision, fuse: bool = True,
                 p_in: int | None = None) -> PixelChoice | None:
    """The engine of several output pixels a beat that streams ``graph`` fastest on ``board``
    (None when none runs it: `pixel_stride_problem`, or p_pix 1 is fastest).

    The rule (docs/hardware.md "Pixel parallelism"): P_in as the default engine's; for each
    P_out (a power of two, 4 to 256) two MACs per DSP where the slice packs these widths
    (`pack_problem`), and the most pixels a beat (up to SEARCH_MAX_PIX) whose DSPs
    (`EngineConfig.dsp`) fit the part; keep those whose memories fit the part (the weight
    word P_in x P_out x W_w bits is the weight bandwidth: its columns of 72-bit blocks must
    fit beside the arena and staging); the fewest streaming cycles win (fewer DSPs on a tie).
    """
    if pixel_stride_problem(graph, 2):
        return None
    p_in = p_in or default_engine(board, precision, graph).p_in
    best: tuple[int, int, Plan] | None = None
    tried: list[tuple[EngineConfig, bool]] = []
    p_out = 4
    while p_out <= 256:
        base = _plan(graph, board, precision, EngineConfig(p_in, p_out), fuse)
        pack = pack_problem(board.dsp_slice, *mac_widths(base)) is None and p_out % 2 == 0
        pix = 1
        while (pix + 1 <= SEARCH_MAX_PIX and
               EngineConfig(p_in, p_out, pack, pix + 1).dsp <= board.dsp):
            pix += 1
        if pix > 1:
            eng = EngineConfig(p_in, p_out, pack, pix)
            plan = _plan(graph, board, precision, eng, fuse)
            fits = _fits_part(plan)
            tried.append((eng, fits))
            if fits and (best is None or (plan.streaming_cycles, eng.dsp) < best[:2]):
                best = (plan.streaming_cycles, eng.dsp, plan)
        p_out *= 2
    if best is None:
        return None
    plan = best[2]
    eng = plan.engine
    wider = [e for e, fits in tried if e.p_out > eng.p_out]
    if wider and not any(fits for e, fits in tried if e.p_out > eng.p_out):
        binding = "memory"
        bits = wider[0].weight_lanes * mac_widths(plan)[1]
        why = (f"a {eng.p_in}x{wider[0].p_out} weight word ({bits:,} bits a cycle) does not "
               "fit the part's blocks")
    else:
        binding = "DSPs"
        why = (f"{eng.p_pix + 1} pixels a beat would need "
               f"{EngineConfig(eng.p_in, eng.p_out, eng.pack, eng.p_pix + 1).dsp:,} DSPs")
    packed = f" with two MACs per {board.dsp_slice}" if eng.pack else ""
    bits = eng.weight_lanes * mac_widths(plan)[1]
    note = (f"{eng}{packed}: {eng.dsp:,} of {board.dsp:,} DSPs, a {bits:,}-bit weight word "
            f"serving {eng.p_pix} pixels; bound by {binding} ({why})")
    return PixelChoice(plan, binding, note)


def mac_widths(plan: Plan) -> tuple[int, int]:
    """(activation operand, weight) bits of the MAC array, as hw/fg_engine.v sizes them
    (XA_W, W_W)."""
    eng = plan.engine
    return (mac_operand_bits(plan.activations.word_bits // eng.p_in, plan.precision.input.width),
            plan.weight_word_bits // (eng.p_in * eng.p_out))


def _with_packing(plan: Plan, pack: bool | None) -> Plan:
    """The plan with its engine packed two MACs per DSP or not (`EngineConfig.pack`).

    ``pack`` None packs exactly when that makes the engine fit the part's DSPs (one MAC per
    DSP does not, two do) and its DSP slice takes the packed operand (`pack_problem`), so the
    board defaults (sized one MAC per DSP) never change and an engine too big either way keeps
    its one-per-MAC count in the DSP check; True insists (an error where it cannot), False
    never.
    """
    eng = plan.engine
    problem = pack_problem(plan.board.dsp_slice, *mac_widths(plan))
    if eng.p_out % 2:
        problem = f"P_out {eng.p_out} is odd"
    if pack is None:
        dsp = plan.board.dsp
        pack = (problem is None and replace(eng, pack=False).dsp > dsp
                and replace(eng, pack=True).dsp <= dsp)
    elif pack and problem:
        raise FpgagenError(f"engine {eng} on {plan.board.name}: cannot pack: {problem}")
    packed = replace(eng, pack=bool(pack))
    if _weight_layouts(plan.graph, plan.precision, packed, plan.stage_taps) != plan.weights:
        # packing changed a conv's split (`conv_split` keeps two columns a group): re-plan
        return replace(_plan(plan.graph, plan.board, plan.precision, packed,
                             bool(plan.fusions), plan.weight_policy),
                       engine_note=plan.engine_note)
    return replace(plan, engine=packed)


def _overflow(plan: Plan) -> str:
    """What of the board a plan overfills: ``342 BRAM36 of 312``, ..."""
    b = plan.board
    over = [f"{plan.bram36} BRAM36 of {b.bram36}" if plan.bram36 > b.bram36 else "",
            f"{plan.uram} URAM of {b.uram}" if plan.uram > b.uram else "",
            f"{plan.total_bytes:,} B of {b.onchip_bytes:,}" if plan.total_bytes > b.onchip_bytes
            else ""]
    return ", ".join(o for o in over if o)


def _fits_part(plan: Plan) -> bool:
    """The design fits the board's blocks and raw bytes (what `check` judges by default)."""
    b = plan.board
    return plan.bram36 <= b.bram36 and plan.uram <= b.uram and plan.total_bytes <= b.onchip_bytes


def _plan(graph: Graph, board: Board, precision: Precision, eng: EngineConfig,
          fuse: bool, policy: str = AUTO, slot_options: tuple[int, ...] = (STAGING_SLOTS, 1)
          ) -> Plan:
    """The plan with two staging slots, or with one when only that fits the part; with the
    weights from the bitstream or loaded at run time as ``policy`` says (auto: the bitstream
    when any slot count fits that way, else run time when that fits, else the bitstream)."""
    sources = (RUNTIME,) if policy == RUNTIME else (BITSTREAM,) if policy == BITSTREAM \
        else (BITSTREAM, RUNTIME)
    first = None
    for source in sources:
        for slots in slot_options:
            plan = _plan_slots(graph, board, precision, eng, fuse, slots, source, policy)
            first = first or plan
            if _fits_part(plan):
                return plan
    assert first is not None
    return first


def _plan_slots(graph: Graph, board: Board, precision: Precision, eng: EngineConfig,
                fuse: bool, slots: int, source: str = BITSTREAM, policy: str = AUTO) -> Plan:
    problem = pixel_stride_problem(graph, eng.p_pix)
    if problem:
        raise FpgagenError(problem)
    widths = {INPUT: precision.input.width,
              **{lay.name: precision.layer(lay.name).result.width for lay in graph.layers}}
    pix = eng.p_pix
    acts = plan_activations(graph, eng.p_in, widths, fuse, pix)
    unfused = (plan_activations(graph, eng.p_in, widths, False, pix).arena_words
               if acts.fusions else acts.arena_words)
    taps = staging_taps(graph, eng)
    stage_banks = staging_banks(graph, eng, taps)
    layouts = _weight_layouts(graph, precision, eng, taps)
    ww = max((w.weight_width for w in layouts.values()), default=1)
    wb = max((w.bias_width for w in layouts.values()), default=1)
    h, w, c = graph.input_shape
    eng = replace(eng, avg_dsp=_avgpool_lane_dsps(graph, acts.word_bits // eng.p_in, board))
    banks = arena_banks(eng)
    shapes = {
        ACTIVATIONS: (acts.word_bits, pix * banks * ceil_div(acts.arena_words, banks),
                      f"activation arena: {eng.p_in} channels of one pixel per word"
                      + (f", {banks} banks" if banks > 1 else "")
                      + (f", {pix} pixel banks" if pix > 1 else "")),
        INPUT_STAGING: (c * widths[INPUT],
                        slots * stage_banks * ceil_div(h * w, stage_banks),
                        f"input image: {c} channels of one pixel per word, "
                        + (f"{slots} images" if slots > 1 else "1 image")
                        + (f", {stage_banks} banks" if stage_banks > 1 else "")),
        WEIGHTS: (eng.p_in * eng.p_out * ww, sum(x.words for x in layouts.values()),
                  f"weights: {eng.p_in}x{eng.p_out} per word"),
        BIASES: (eng.p_out * wb, sum(x.bias_words for x in layouts.values()),
                 f"biases: {eng.p_out} per word"),
    }
    # the staging banks are separate memories (their own addresses), and so are the arena's
    # banks when P_OUT > P_IN (a conv result's words go to all of them in one cycle); when
    # P_OUT < P_IN the
    # arena is written a lane group at a time, so each group is its own memory (a block RAM
    # column must not hold bits of two groups: they have different write enables); weights
    # and biases initialized by the bitstream are BRAM only (URAM has no init), loaded at run
    # time they may be URAM. The parts of one memory are identical and mapped alike (one
    # BIND_STORAGE in the HLS core).
    # with p_pix pixel banks each word bank (or lane group) is p_pix parts, one per pixel bank
    splits = {INPUT_STAGING: (stage_banks, 1), ACTIVATIONS: (pix * banks, arena_groups(eng))}
    part_shapes = {name: (wd // splits.get(name, (1, 1))[1], dp // splits.get(name, (1, 1))[0],
                          splits.get(name, (1, 1))[0] * splits.get(name, (1, 1))[1])
                   for name, (wd, dp, _) in shapes.items()}
    # The RAMs are written as their parts' columns (one array per column in both cores), the
    # weights and biases as one array each: mapped by the rule a tool applies to one array
    # (`fpgagen.plan.bram.map_one_array`).
    runtime = source == RUNTIME
    mapped = map_memories([(wd, dp) for wd, dp, _ in part_shapes.values()], board.bram36,
                          board.uram, [runtime or name not in ROMS for name in part_shapes],
                          [n for _, _, n in part_shapes.values()],
                          [name in ROMS for name in part_shapes])
    memories = {}
    for (name, (wd, dp, purpose)), m in zip(shapes.items(), mapped, strict=True):
        mine = (m,) * part_shapes[name][2]
        init = "" if name not in ROMS else INIT_STREAM if runtime else INIT_BITSTREAM
        memories[name] = Memory(name, wd, dp, _merge_parts(wd, dp, mine), purpose, mine, init)
    hls_staging = None
    if slots != HLS_STAGING_SLOTS:
        hls_staging = _staging_of(memories[INPUT_STAGING], stage_banks,
                                  HLS_STAGING_SLOTS * ceil_div(h * w, stage_banks),
                                  f"input image: {c} channels of one pixel per word, 1 image"
                                  + (f", {stage_banks} banks" if stage_banks > 1 else ""))
    step_of = {n: s.index for s in acts.steps for n in s.layers}
    costs = layer_costs(graph, eng, layouts, acts.fusions, step_of)
    io = io_terms(graph, precision)
    return Plan(graph, board, precision, eng, fuse, acts, unfused, MappingProxyType(layouts),
                eng.p_in * eng.p_out * ww, eng.p_out * wb, MappingProxyType(memories), costs,
                io_cycles=sum(v for _, v in io), stage_taps=taps, io_terms=io,
                staging_slots=slots, hls_staging=hls_staging, stage_banks=stage_banks,
                weight_source=source, weight_policy=policy)


def _staging_of(staging: Memory, banks: int, bank_depth: int, purpose: str) -> Memory:
    """The staging memory with ``bank_depth`` words per bank, each bank in the block kind the
    Plan chose for ``staging`` (URAM stays URAM: the HLS core's staging is never more than
    the Verilog core's, so the Plan's fit verdict covers it)."""
    part = staging.parts[0]
    if part.uram:
        bank = map_with_uram(staging.width, bank_depth, ceil_div(staging.width, URAM_WIDTH))
    else:
        bank = map_bram(staging.width, bank_depth)
    parts = (bank,) * banks
    depth = banks * bank_depth
    return Memory(staging.name, staging.width, depth,
                  _merge_parts(staging.width, depth, parts), purpose, parts)


def _avgpool_lane_dsps(graph: Graph, act_w: int, board: Board) -> int:
    """DSPs per average-pool lane for this graph's widest average pool (the sum of its map at
    the arena's lane width times the 16-bit M; `fpgagen.plan.engine.avgpool_lane_dsps`)."""
    pixels = [math.prod(graph.in_shape(lay)[:2]) for lay in graph.layers if lay.op == "avgpool"]
    if not pixels:
        return 1
    return avgpool_lane_dsps(avgpool_sum_width(act_w, max(pixels)), AVG_MULT_BITS,
                             board.dsp_slice)


def weight_note(plan: Plan) -> str:
    """Where a plan's weights come from and why, for check, build and report.md."""
    uram = sum(plan.memories[n].mapping.uram for n in ROMS)
    where = f", {uram} URAM of them" if uram else ""
    if plan.weights_in_bitstream:
        return ("in the bitstream (block RAM initial contents); a load through in_stream can "
                "replace them (fpgagen pack-weights)")
    why = ("--weight-source runtime" if plan.weight_policy == RUNTIME else
           "the design fits the part only so: the bitstream cannot initialize UltraRAM, and "
           "block RAM alone is too small")
    return (f"loaded at run time through in_stream (driver/weights.bin, no initial "
            f"contents{where}): {why}; the core refuses to start until a load succeeded")


def arena_banks(engine: EngineConfig) -> int:
    """Banks the arena's words are interleaved over: P_OUT / P_IN when a conv result is several
    words, else 1. Word a lives in bank a mod NW at address a / NW, so the NW consecutive words
    of a result fall in NW different banks and are written in one cycle (hw/fg_arena.v): with
    one write port of one word a 16x128 engine would be write-bound. A pixel-parallel engine
    has these word banks in each of its p_pix pixel banks (`arena_pixel_banks`)."""
    return engine.result_words


def arena_pixel_banks(engine: EngineConfig) -> int:
    """Pixel banks of the arena: p_pix (pixel x of a row in bank x mod p_pix), each of
    `arena_banks` word banks, so a result group of p_pix pixels x NW words is written in one
    cycle."""
    return engine.p_pix


def arena_groups(engine: EngineConfig) -> int:
    """Lane groups the arena is written in: P_IN / P_OUT when a conv result fills only part of
    a word (hw/fg_writeback.v writes P_OUT lanes at a time), else 1 (whole words)."""
    p_in, p_out = engine.p_in, engine.p_out
    return p_in // p_out if p_out < p_in and p_in % p_out == 0 else 1


def _merge_parts(width: int, depth: int, parts: tuple[BlockMapping, ...]) -> BlockMapping:
    """One memory built of parts side by side (banks or lane groups): all their columns."""
    if len(parts) == 1:
        return parts[0]
    if all(b == parts[0] for b in parts):
        cols = tuple(replace(col, count=col.count * len(parts)) for col in parts[0].columns)
    else:
        cols = tuple(col for b in parts for col in b.columns)
    return BlockMapping(width, depth, cols)


def layer_rows(plan: Plan) -> list[dict[str, Any]]:
    """One dict per layer: step, storage, arena placement, weight placement, bytes, cycles."""
    rows = []
    cost = {c.layer: c for c in plan.costs}
    for lay in plan.graph.layers:
        t = plan.tensors[lay.name]
        wl = plan.weights.get(lay.name)
        row: dict[str, Any] = {
            "name": lay.name, "op": lay.op, "step": cost[lay.name].step,
            "output_shape": list(t.shape), "storage": t.kind,
            "arena_offset_words": t.offset, "arena_words": t.words,
            "arena_bytes": ceil_div(t.words * plan.activations.word_bits, 8),
            "activation_logical_bytes": t.logical_bytes if t.kind != VIEW else 0,
            "live_steps": [t.start, t.end], "channels_padded": t.channels_padded,
            "view_of": t.parent, "channel_offset": t.channel_offset if t.parent else None,
            "ring_rows": t.ring_rows or None,
            "weight_base": wl.base if wl else None, "weight_words": wl.words if wl else 0,
            # input words a beat of a narrow 1x1 conv takes at once (engine.conv_split)
            "split": wl.split if wl else None,
            "weight_bytes": (ceil_div((wl.words * plan.weight_word_bits + wl.bias_words
                                 * plan.bias_word_bits), 8) if wl else 0),
            "weight_logical_bytes": ceil_div(wl.logical_bits, 8) if wl else 0,
            "bias_base": wl.bias_base if wl else None,
            "cycles": cost[lay.name].cycles, "macs": cost[lay.name].macs,
        }
        rows.append(row)
    return rows


__all__ = ["ACTIVATIONS", "ARENA", "AUTO", "BIASES", "BITSTREAM", "HLS_STAGING_SLOTS",
           "INPUT_STAGING", "RING", "RUNTIME", "STAGING_SLOTS", "VIEW", "WEIGHTS",
           "WEIGHT_SOURCES", "LayerCost", "Memory", "Plan", "WeightLayout", "layer_rows",
           "make_plan", "weight_note"]
