"""Engine parameters: the P_in x P_out MAC array that executes every layer (docs/design.md §4).

One engine runs the whole network layer by layer. Its two parameters shape every memory:

- ``p_in``: input-channel lanes. One activation word holds ``p_in`` channels of one pixel (HWC,
  channels padded up to a multiple of ``p_in``); one weight word holds ``p_in x p_out``
  weights. A concat is free only when its producers write whole words, so ``p_in`` must divide
  the channel offset of every concat input.
- ``p_out``: output channels computed in parallel. Each MAC is one DSP slice and the average
  pool scales ``p_in`` lanes, so ``p_in * (p_out + 1)`` is bounded by the part's DSP count.
- ``pack``: two MACs per DSP (output channels 2j, 2j+1 share the activation; Xilinx WP486,
  hw/fg_mul2.v), where the part's DSP slice takes the packed operand exactly
  (`pack_problem`): then ``p_in * (p_out / 2 + 1)`` DSPs. Both engines pack (the HLS core's
  ``mul2``, templates/hls/fpgagen.cpp.j2).
- ``avg_dsp``: DSPs per average-pool lane: its sum (SUM_W bits) times M (16 bits unsigned) is
  one DSP slice while the sum fits the slice's wide operand (`avgpool_lane_dsps`), two when
  it does not (16-bit activations on a DSP48E1); set by the planner from the widths.
- ``p_pix``: output pixels per beat. Each weight word serves ``p_pix`` adjacent output pixels
  of a row (a pixel group), so the array is ``p_in x p_out x p_pix`` MACs while the weight
  memory still delivers one ``p_in x p_out`` word a cycle: the lever when the weight bits a
  cycle, not the DSPs, bound the array. The arena is ``p_pix`` pixel banks (pixel x of a row
  in bank x mod p_pix, every row padded to ceil(W / p_pix) groups), so a group's pixels are
  read and written in one cycle. Any integer (not only powers of two): a stride-s conv on the
  arena needs gcd(s, p_pix) = 1 (`pixel_stride_problem`).

`default_engine` picks them from the board and the graph; `parse_pe` reads ``--pe AxB`` or
``--pe AxBxC`` (C = p_pix).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph
from fpgagen.plan.boards import DSP_NARROW_BITS, DSP_OPERAND_BITS, Board
from fpgagen.quant.precision import Precision
from fpgagen.util.arith import ceil_div

DEFAULT_P_IN = 16
MAX_LANES = 1024
# the most output pixels a beat: the arena is p_pix pixel banks and each beat's taps rotate
# over them (a p_pix:1 multiplexer per lane)
MAX_PIX = 16
_PE_RE = re.compile(r"^\s*(\d+)\s*[xX*]\s*(\d+)\s*(?:[xX*]\s*(\d+)\s*)?$")


@dataclass(frozen=True)
class EngineConfig:
    """The MAC array: ``p_in`` input-channel lanes times ``p_out`` output channels times
    ``p_pix`` output pixels, with two MACs per DSP when ``pack`` (set by the planner where the
    part allows it, `pack_problem`)."""

    p_in: int
    p_out: int
    pack: bool = False
    p_pix: int = 1
    avg_dsp: int = 1  # DSPs per average-pool lane (`avgpool_lane_dsps`)

    def __post_init__(self) -> None:
        problem = engine_shape_problem(self.p_in, self.p_out, self.p_pix)
        if problem:
            raise FpgagenError(problem)
        if self.pack and self.p_out % 2:
            raise FpgagenError(f"engine {self}: packing two MACs per DSP needs an even P_out")
        if self.avg_dsp < 1:
            raise AssertionError(f"engine {self}: avg_dsp {self.avg_dsp}")

    @property
    def macs(self) -> int:
        """MACs per cycle: P_in x P_out for each of the p_pix pixels of a beat."""
        return self.p_in * self.p_out * self.p_pix

    @property
    def weight_lanes(self) -> int:
        """Weights per weight word (per cycle): P_in x P_out, whatever p_pix (the pixels of a
        beat share the word)."""
        return self.p_in * self.p_out

    @property
    def avg_lanes(self) -> int:
        """Lanes of the average pool's scale (sum x M, one DSP each, hw/fg_avgpool.v): one
        word of P_in lanes a beat, on a pixel-parallel engine too."""
        return self.p_in

    @property
    def dsp(self) -> int:
        """DSP slices the engine uses (estimated: synthesis decides): one per MAC, or one per
        pair of MACs when packed, plus ``avg_dsp`` per lane (`avg_lanes`) for the average
        pool's scale (the SUM_W-bit sum times the 16-bit M, hw/fg_avgpool.v and the HLS core's
        avgpool unit, both at those widths: one DSP a lane at w8a8). Nothing else multiplies at run
        time: addresses and loop bounds come from counters and compiler-computed steps."""
        return (self.macs // 2 if self.pack else self.macs) + self.avg_lanes * self.avg_dsp

    @property
    def result_words(self) -> int:
        """Arena words one conv result (P_OUT lanes) takes: P_OUT / P_IN, at least 1. The
        arena is that many banks (`fpgagen.plan.plan.arena_banks`), so a result's words are written
        in one cycle and a max-pool beat reads that many words (both engines, the weight
        layout and the estimate read it here)."""
        return max(1, self.p_out // self.p_in)

    def __str__(self) -> str:
        return f"{self.p_in}x{self.p_out}" + (f"x{self.p_pix}" if self.p_pix > 1 else "")


def conv_beats(kernel: int, in_blocks: int, taps: int = 1) -> int:
    """Array beats (= weight words) of one conv dot product: K kernel rows x ceil(K / T) tap
    groups x input words, T kernel columns sharing a beat on the packed staging memory
    (`Plan.stage_taps`, 1 elsewhere). The weight layout, the RTL estimate and the HLS
    schedule all count with this one function."""
    return kernel * ceil_div(kernel, taps) * in_blocks


def maxpool_reuse(kernel: int, stride: int) -> bool:
    """Whether a max-pool row's later windows start at column K - S: when S < K <= 2S the
    K - S columns a window shares with the one before are carried (their max kept) instead
    of read again (hw/fg_maxpool.v, the HLS pool loop). One rule for both engines, the
    layer table's ``reuse`` field and both estimates."""
    return stride < kernel <= 2 * stride


def maxpool_row_taps(kernel: int, stride: int, out_w: int, p_pix: int = 1) -> int:
    """Beats per input word group of one max-pool output row. One pixel a beat: K x K taps for
    its first window, K x S for each later one with `maxpool_reuse`, else K x K. On a
    pixel-parallel engine a beat reads up to p_pix consecutive pixels of one window row (they
    lie in distinct pixel banks), so a window takes K x ceil(K / p_pix) beats, no column
    carried."""
    if p_pix > 1:
        return out_w * kernel * ceil_div(kernel, p_pix)
    later = kernel * stride if maxpool_reuse(kernel, stride) else kernel * kernel
    return kernel * kernel + (out_w - 1) * later


def conv_split(kernel: int, in_blocks: int, out_channels: int, engine: EngineConfig,
               reads_image: bool) -> int:
    """Input-word groups G of a narrow 1x1 conv (1 = none): the array's P_OUT columns are G
    groups of P_OUT / G, group g takes input word cb * G + g of the beat (the arena reads
    NW = `EngineConfig.result_words` consecutive words at once, hw/fg_arena.v), and the G
    partial sums of an output channel are added before the requantizer (hw/fg_ksum.v).

    Why: unsplit, a squeeze conv with 16 output channels on 64 columns uses a quarter of the
    array (fire2/3 squeeze on the ZC706 16x64: 27k cycles); split, it takes in_blocks / G beats
    per output pixel. G is the largest power of two <= NW with out_channels <= P_OUT / G (one output
    group) that divides in_blocks. Only 1x1 convs on the arena: a larger kernel's taps are not
    consecutive words, and the image is not in the arena. A packed engine keeps two columns a group
    (a DSP's two MACs share one activation). The weight layout (`fpgagen.machine.memimage`), both
    engines and both estimates use this one rule.
    """
    if kernel != 1 or reads_image:
        return 1
    min_cols = 2 if engine.pack else 1
    g = 1
    while (2 * g <= engine.result_words and out_channels <= engine.p_out // (2 * g)
           and in_blocks % (2 * g) == 0 and engine.p_out // (2 * g) >= min_cols):
        g *= 2
    return g


def engine_shape_problem(p_in: int, p_out: int, p_pix: int = 1) -> str | None:
    """Why the RTL cannot be built with this array, or None when it can.

    hw/fg_engine.v refuses at elaboration (``$error``) unless one of P_in, P_out divides the
    other by a power of two; fpgagen keeps both powers of two (what the tests prove, and what
    `default_engine` gives), which implies that. ``p_pix`` is any integer 1..MAX_PIX. Caught
    here, when the engine is made, so a bad ``--pe`` stops before any work instead of after a
    build that passes C-sim.
    """
    for name, value in (("P_in", p_in), ("P_out", p_out)):
        if not 1 <= value <= MAX_LANES:
            return f"engine {name} must be 1..{MAX_LANES}, got {value}"
    if not 1 <= p_pix <= MAX_PIX:
        return f"engine pixels a beat (p_pix) must be 1..{MAX_PIX}, got {p_pix}"
    bad = [f"{name} = {v}" for name, v in (("P_in", p_in), ("P_out", p_out)) if v & (v - 1)]
    if bad:
        verb = "is not a power" if len(bad) == 1 else "are not powers"
        return (f"engine {p_in}x{p_out} is not supported: {' and '.join(bad)} {verb} of two "
                f"(the engine needs P_in and P_out in 1, 2, 4, ..., {MAX_LANES}, so that one "
                "divides the other)")
    return None


def parse_pe(text: str) -> EngineConfig:
    """Parse ``--pe`` text such as ``8x8``, ``16x32`` (P_in x P_out, one pixel a beat) or
    ``16x64x4`` (P_in x P_out x p_pix)."""
    m = _PE_RE.match(str(text))
    if not m:
        raise FpgagenError(f"bad --pe {text!r} (expected P_INxP_OUT or P_INxP_OUTxP_PIX, e.g. "
                           "16x32 or 16x64x4)")
    return EngineConfig(int(m.group(1)), int(m.group(2)), p_pix=int(m.group(3) or 1))


def pixel_stride_problem(graph: Graph, p_pix: int) -> str | None:
    """Why an engine of ``p_pix`` pixels a beat cannot run ``graph``, or None.

    A conv on the arena reads, for the p_pix output pixels of a beat at one kernel column,
    the input pixels x0 + j*s (j < p_pix, stride s). They lie in p_pix distinct pixel banks
    (x mod p_pix) exactly when gcd(s, p_pix) = 1; the engine reads them today for s = 1 (bank
    b at the group of x0 or the next one, the words rotated by x0 mod p_pix), so a conv on the
    arena with a stride above 1 needs p_pix = 1. The conv on the image reads the staging
    memory, banked for its stride (`fpgagen.plan.plan.staging_banks`), and max-pools read a
    window's columns, not pixels at a stride: neither is bound by this rule. The logits
    stream from pixel bank 0: the network's output must be one pixel.
    """
    if p_pix <= 1:
        return None
    for lay in graph.layers:
        if lay.op == "conv" and INPUT not in lay.inputs and lay.stride != 1:
            return (f"conv {lay.name!r} has stride {lay.stride}: an engine of {p_pix} pixels a "
                    f"beat reads a conv's taps x0 + j from {p_pix} pixel banks, at stride 1 "
                    f"only (stride {lay.stride} would need pixels x0 + j*{lay.stride}); use "
                    "p_pix 1 for this model")
    h, w, _ = graph.shape(graph.output)
    if (h, w) != (1, 1):
        return (f"the output {graph.output!r} is {h}x{w} pixels: an engine of {p_pix} pixels a "
                "beat streams the logits from one pixel bank, so the output must be one pixel "
                "(use p_pix 1 for this model)")
    return None


def _largest_pow2_dividing(n: int, cap: int) -> int:
    p = 1
    while p * 2 <= cap and n % (p * 2) == 0:
        p *= 2
    return p


def _largest_pow2_at_most(n: int) -> int:
    p = 1
    while p * 2 <= n:
        p *= 2
    return p


def dsp_engine(board: Board, p_in: int = DEFAULT_P_IN) -> EngineConfig:
    """The largest array the board's DSPs allow with ``p_in`` lanes: P_out is the largest power
    of two with P_in * (P_out + 1) <= DSPs (`EngineConfig.dsp`). This is the board's default
    engine before a model narrows P_in to its channel counts or the planner halves P_out to fit
    the memories (`fpgagen boards` shows it; `default_engine` and `make_plan` refine it)."""
    p_out = _largest_pow2_at_most(max(1, (board.dsp - p_in) // p_in))
    return EngineConfig(p_in, min(p_out, MAX_LANES))


def avgpool_sum_width(act_w: int, pixels: int) -> int:
    """Bits of the average pool's exact sum of ``pixels`` arena values of ``act_w`` bits
    (signed, with a guard bit): the width hw/fg_avgpool.v's SUM_W and the HLS core's sum_t
    must reach."""
    return act_w + 2 + (pixels - 1).bit_length()


def avgpool_lane_dsps(sum_bits: int, mult_bits: int, dsp_slice: str) -> int:
    """DSP slices of one average-pool lane's product: a ``sum_bits`` signed sum times an
    unsigned ``mult_bits`` M (a signed ``mult_bits + 1`` operand). One slice when the two fit
    its multiplier (DSP48E1 25x18, DSP48E2 27x18) either way round, else two (the sum is at
    most 32 bits, `fpgagen.machine.rules`): w8a8 SqueezeNet, 18 x 17 bits, one."""
    wide, narrow = DSP_OPERAND_BITS[dsp_slice], DSP_NARROW_BITS
    a, b = sorted((sum_bits, mult_bits + 1), reverse=True)
    return 1 if a <= wide and b <= narrow else 2


def mac_operand_bits(act_w: int, in_w: int) -> int:
    """The MAC array's activation operand: the widest of the activations and the image, one bit
    wider so unsigned and signed values share it (hw/fg_engine.v XA_W). Its most negative
    value never occurs, which is what lets `pack_problem` use the tight field shift."""
    return max(act_w, in_w) + 1


def pack_problem(dsp_slice: str, xa_w: int, w_w: int) -> str | None:
    """Why two MACs cannot share one DSP slice at these widths, or None when they can.

    hw/fg_mul2.v multiplies the activation (``xa_w`` bits) by the packed weight
    ``w_hi * 2^S + w_lo`` with S = xa_w + w_w - 1, which is exact because the activation is
    never -2^(xa_w-1) (`mac_operand_bits`). The packed weight is S + w_w + 1 = xa_w + 2 w_w
    bits and must fit the slice's wide multiplier operand (DSP48E1 25, DSP48E2 27 bits), the
    activation its 18-bit one. w8a8 (9 + 16 = 25) packs on both; 16-bit activations or
    weights on neither; 9-bit weights with 8-bit activations (27) only on a DSP48E2.
    """
    wide = DSP_OPERAND_BITS[dsp_slice]
    packed = xa_w + 2 * w_w
    if packed > wide or xa_w > DSP_NARROW_BITS:
        return (f"two MACs per {dsp_slice} need a {packed}-bit packed weight (activation "
                f"{xa_w} + 2 x weight {w_w} bits) within its {wide}x{DSP_NARROW_BITS} "
                "multiplier")
    return None


def packed_dsp_engine(board: Board, xa_w: int, w_w: int,
                      p_in: int = DEFAULT_P_IN) -> EngineConfig | None:
    """The largest packed array the board's DSPs allow with ``p_in`` lanes (P_out the largest
    power of two with P_in * (P_out / 2 + 1) <= DSPs), or None when its DSP slice cannot pack
    these widths (`pack_problem`). ZC706 w8a8: 16x64 in 512 + 16 DSPs, where one MAC per DSP
    gives 16x32. The Plan takes it as the default when it is enough faster
    (`fpgagen.plan.plan.PACK_MIN_SPEEDUP`); `default_engine` is the one-MAC-per-DSP array."""
    if pack_problem(board.dsp_slice, xa_w, w_w):
        return None
    p_out = _largest_pow2_at_most(max(1, 2 * ((board.dsp - p_in) // p_in)))
    return EngineConfig(p_in, max(2, min(p_out, MAX_LANES)), pack=True)


def p_in_note(graph: Graph, p_in: int) -> str:
    """Why `default_engine` chose fewer than `DEFAULT_P_IN` lanes ("" when it did not): the
    first concat input or add whose channel count the default does not divide."""
    if p_in >= DEFAULT_P_IN:
        return ""
    for lay in graph.layers:
        names = lay.inputs if lay.op == "concat" else (lay.name,) if lay.op == "add" else ()
        for t in names:
            c = graph.shape(t)[2]
            if c % DEFAULT_P_IN:
                what = f"{t}, an input of concat {lay.name}," if lay.op == "concat" else lay.name
                return (f"P_in {p_in} instead of {DEFAULT_P_IN}: {what} has {c} channels, and "
                        "P_in must divide the channels of every concat input and add")
    return ""


def default_engine(board: Board, precision: Precision, graph: Graph) -> EngineConfig:
    """The engine fpgagen builds for a board and graph unless ``--pe`` says otherwise.

    P_in starts at 16 lanes and drops to the largest power of two that divides the channel
    count of every concat input and every add (so concats are written in place and adds line up
    word for word; ZynqNet's 368 channels still allow 16). P_out is the largest power of two with
    P_in * (P_out + 1) <= the board's DSP count (`EngineConfig.dsp`; ZC706: 16x32, PYNQ-Z2:
    16x8, Ultra96: 16x16, ZCU104: 16x64). ``precision`` is accepted so that a future
    DSP-per-MAC rule for wide operands (above the DSP48's 18x25 multiplier) can shrink the
    array; today every MAC counts as one DSP, whatever the width.
    """
    del precision  # reserved: one DSP per MAC at every width for now
    p_in, why = DEFAULT_P_IN, ""
    for lay in graph.layers:
        if lay.op == "concat":
            for t in lay.inputs:
                c = graph.shape(t)[2]
                if _largest_pow2_dividing(c, p_in) < p_in:
                    p_in = _largest_pow2_dividing(c, p_in)
                    why = f"concat {lay.name!r} input {t!r} has {c} channels"
        elif lay.op == "add":
            c = graph.shape(lay.name)[2]
            if _largest_pow2_dividing(c, p_in) < p_in:
                p_in = _largest_pow2_dividing(c, p_in)
                why = f"add {lay.name!r} has {c} channels"
    _check_image_lanes(graph, p_in, why)
    return dsp_engine(board, p_in)


def _check_image_lanes(graph: Graph, p_in: int, why: str) -> None:
    """The conv on the image takes all its channels in the P_in lanes: when the concats and
    adds force P_in below that, no engine runs the graph; say which layers disagree."""
    channels = graph.input_shape[2]
    readers = [lay.name for lay in graph.layers if lay.op == "conv" and INPUT in lay.inputs]
    if readers and channels > p_in:
        need = _largest_pow2_at_most(2 * channels - 1)  # the smallest power of two >= channels
        raise FpgagenError(f"no engine runs {graph.name}: {why}, so P_in (a power of two "
                           f"dividing it) is at most {p_in}, but conv {readers[0]!r} reads the "
                           f"{channels}-channel input image, which needs P_in >= {channels}; "
                           f"give concat inputs and adds multiples of {need} channels")
