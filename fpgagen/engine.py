"""Engine parameters: the P_in x P_out MAC array that executes every layer (DESIGN.md §4).

One engine runs the whole network layer by layer. Its two parameters shape every memory:

- ``p_in``: input-channel lanes. One activation word holds ``p_in`` channels of one pixel (HWC,
  channels padded up to a multiple of ``p_in``); one weight word holds ``p_in x p_out``
  weights. A concat is free only when its producers write whole words, so ``p_in`` must divide
  the channel offset of every concat input.
- ``p_out``: output channels computed in parallel. Each MAC is one DSP slice and the average
  pool scales ``p_in`` lanes, so ``p_in * (p_out + 1)`` is bounded by the part's DSP count.

`default_engine` picks both from the board and the graph; `parse_pe` reads ``--pe AxB``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .boards import Board
from .errors import FpgagenError
from .graph import Graph
from .precision import Precision

DEFAULT_P_IN = 16
MAX_LANES = 1024
_PE_RE = re.compile(r"^\s*(\d+)\s*[xX*]\s*(\d+)\s*$")


@dataclass(frozen=True)
class EngineConfig:
    """The MAC array: ``p_in`` input-channel lanes times ``p_out`` output channels."""

    p_in: int
    p_out: int

    def __post_init__(self) -> None:
        for name, value in (("P_in", self.p_in), ("P_out", self.p_out)):
            if not 1 <= value <= MAX_LANES:
                raise FpgagenError(f"engine {name} must be 1..{MAX_LANES}, got {value}")

    @property
    def macs(self) -> int:
        """MACs per cycle, which is also the DSP slices the array needs (one per MAC)."""
        return self.p_in * self.p_out

    @property
    def dsp(self) -> int:
        """DSP slices the engine uses: one per MAC, plus one per input lane for the average
        pool's scale (the sum times M, hw/fg_avgpool.v). Nothing else multiplies at run time:
        addresses and loop bounds come from counters and compiler-computed steps."""
        return self.macs + self.p_in

    def __str__(self) -> str:
        return f"{self.p_in}x{self.p_out}"


def parse_pe(text: str) -> EngineConfig:
    """Parse ``--pe`` text such as ``8x8`` or ``16x32`` (P_in x P_out)."""
    m = _PE_RE.match(str(text))
    if not m:
        raise FpgagenError(f"bad --pe {text!r} (expected P_INxP_OUT, e.g. 16x32)")
    return EngineConfig(int(m.group(1)), int(m.group(2)))


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
    p_in = DEFAULT_P_IN
    for lay in graph.layers:
        if lay.op == "concat":
            for t in lay.inputs:
                p_in = _largest_pow2_dividing(graph.shape(t)[2], p_in)
        elif lay.op == "add":
            p_in = _largest_pow2_dividing(graph.shape(lay.name)[2], p_in)
    return dsp_engine(board, p_in)
