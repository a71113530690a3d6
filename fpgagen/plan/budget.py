"""The SRAM budget: size parsing, the fit verdict, the largest consumers and what would fit.

What is judged. The Plan's ``total_bytes`` counts every on-chip memory as built (weights and
biases padded to the engine's words, the arena, the input staging buffer). Against ``--budget``
only those bytes are judged: a budget is a number of bytes, not a part. Without ``--budget``
the budget is the board's raw capacity (`Board.onchip_bytes`: BRAM36 x 4.5 KiB + URAM x
36 KiB, parity bits included because fpgagen packs words at any width, e.g. 72-bit weight
lanes, and uses those bits), and the block counts must fit too: BRAM36 equivalents <= the
part's BRAM36 and URAM <= its URAM. Block counts catch what bytes cannot: a memory whose width
or depth wastes part of every block.

DSPs are judged always, budget or not: the engine's multipliers (`EngineConfig.dsp`, one per
MAC plus one per lane for the average pool) must fit the board's part, since a budget states
bytes, not a bigger part. Only an explicit ``--pe`` can break it (the default engine is sized
from the DSPs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import Graph
from fpgagen.plan.boards import Board, all_boards
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import AUTO, BITSTREAM, INPUT_STAGING, RUNTIME, Plan, make_plan
from fpgagen.quant.precision import Precision, parse_precision
from fpgagen.quant.quality import MIN_USEFUL_SQNR_DB
from fpgagen.util.arith import ceil_div
from fpgagen.util.sizes import parse_bytes

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2,
          "mib": 1024**2, "g": 1024**3, "gb": 1024**3, "gib": 1024**3}
# on-chip memory is megabytes: a budget beyond this is a typing mistake, refused as one line
MAX_BUDGET = 1024**4  # 1 TiB

# Precisions tried, widest first, when a design does not fit.
PRECISION_LADDER = ("w16a16", "w8a16", "w16a8", "w8a8", "w4a8", "w4a4")

TOTAL_CHECK, BRAM_CHECK, URAM_CHECK, DSP_CHECK = "total bytes", "BRAM36", "URAM", "DSP"


def parse_size(text: str) -> int:
    """Bytes from ``8192KB``, ``8MB``, ``2.5MiB``, ``1048576`` (KB = KiB = 1024, MB = MiB).

    Fractions of a byte are dropped; the result must be from 1 byte to `MAX_BUDGET`.
    """
    return parse_bytes(text, _UNITS, MAX_BUDGET, "--budget",
                       example="expected e.g. 8192KB, 8MB, 2.5MiB or 1048576")


@dataclass(frozen=True)
class Check:
    """One pass/fail line of the verdict; ``judged`` is False when it is shown but not counted."""

    name: str
    used: int
    limit: int
    judged: bool

    @property
    def ok(self) -> bool:
        return self.used <= self.limit


@dataclass(frozen=True)
class Verdict:
    """Does a Plan fit: the budget, where it came from, and every check."""

    budget_bytes: int
    from_board: bool
    total_bytes: int
    checks: tuple[Check, ...]

    @property
    def fits(self) -> bool:
        return all(c.ok for c in self.checks if c.judged)

    @property
    def over_bytes(self) -> int:
        return max(0, self.total_bytes - self.budget_bytes)

    @property
    def headroom_pct(self) -> float:
        return 100.0 * (self.budget_bytes - self.total_bytes) / self.budget_bytes


def judge(plan: Plan, budget: int | None = None) -> Verdict:
    """Judge ``plan`` against ``budget`` bytes, or against the board when None (see module)."""
    board = plan.board
    from_board = budget is None
    limit = board.onchip_bytes if budget is None else budget
    checks = (Check(TOTAL_CHECK, plan.total_bytes, limit, True),
              Check(BRAM_CHECK, plan.bram36, board.bram36, from_board),
              Check(URAM_CHECK, plan.uram, board.uram, from_board),
              Check(DSP_CHECK, plan.engine.dsp, board.dsp, True))
    return Verdict(limit, from_board, plan.total_bytes, checks)


@dataclass(frozen=True)
class Consumer:
    """One item of on-chip memory, as built: a layer's weights, an arena tensor, a buffer."""

    name: str
    kind: str
    bytes: int


def consumers(plan: Plan, n: int = 10) -> list[Consumer]:
    """The ``n`` largest consumers. Arena tensors share the arena over time, so their bytes
    overlap; each is listed at its own size to show which tensors set the peak."""
    items = []
    for w in plan.weights.values():
        size = ceil_div((w.words * plan.weight_word_bits + w.bias_words * plan.bias_word_bits), 8)
        items.append(Consumer(w.layer, "weights+biases", size))
    for t in plan.tensors.values():
        if t.words and t.kind != "staging":
            items.append(Consumer(t.name, f"activation ({t.kind})",
                                  ceil_div(t.words * plan.activations.word_bits, 8)))
    items.append(Consumer(INPUT_STAGING, "staging", plan.memories[INPUT_STAGING].bytes))
    items.sort(key=lambda c: (-c.bytes, c.name))
    return items[:n]


@dataclass(frozen=True)
class Rejected:
    """A precision that would fit but is not suggested: its logits SQNR is too low."""

    precision: str
    total_bytes: int
    sqnr_db: float


@dataclass(frozen=True)
class Suggestions:
    """What would make a design fit: a narrower precision (with its logits SQNR when rated),
    other boards, fusion; and the precisions that fit but are too noisy to suggest."""

    precision: str | None
    precision_total_bytes: int | None
    boards: tuple[str, ...]
    fusion_fits: bool
    engine: str | None = None  # the board's default engine, when --pe was over its DSPs
    precision_sqnr_db: float | None = None
    rejected: tuple[Rejected, ...] = ()
    # with --weight-source bitstream: the design fits with its weights loaded at run time
    runtime_fits: bool = False


def suggest(graph: Graph, board: Board, precision: Precision, engine: EngineConfig | None,
            fuse: bool, budget: int | None, rate: Callable[[str], float] | None = None,
            min_sqnr_db: float = MIN_USEFUL_SQNR_DB, weight_source: str = AUTO
            ) -> Suggestions:
    """Alternatives that fit, judged like the original (same budget, or the same board).

    Precision: the widest entry of `PRECISION_LADDER` whose plan is smaller than the current
    one, fits and, when ``rate`` (precision text -> logits SQNR in dB,
    `fpgagen.quant.quality.QualityProbe.logits_sqnr`) is given, reaches ``min_sqnr_db``: a precision
    that fits by turning the logits into noise is listed as rejected, not suggested. Boards:
    every board that fits this model at this precision by its own capacity and block counts
    (with its own default engine unless ``engine`` was given). All with ``weight_source``; and
    whether run-time weights would fit when the bitstream was asked for.
    """
    src = weight_source
    current = make_plan(graph, board, precision, engine, fuse, weight_source=src).total_bytes
    best_prec, best_total, best_db = None, None, None
    rejected: list[Rejected] = []
    for text in PRECISION_LADDER:
        plan = make_plan(graph, board, parse_precision(text), engine, fuse, weight_source=src)
        if plan.total_bytes >= current or not judge(plan, budget).fits:
            continue
        db = rate(text) if rate is not None else None
        if db is not None and db < min_sqnr_db:
            rejected.append(Rejected(text, plan.total_bytes, db))
            continue
        best_prec, best_total, best_db = text, plan.total_bytes, db
        break
    boards = tuple(b.name for b in all_boards().values()
                   if judge(make_plan(graph, b, precision, engine, fuse,
                                      weight_source=src)).fits)
    fusion_fits = (not fuse) and judge(make_plan(graph, board, precision, engine, True,
                                                 weight_source=src), budget).fits
    runtime_fits = src == BITSTREAM and judge(make_plan(
        graph, board, precision, engine, fuse, weight_source=RUNTIME), budget).fits
    return Suggestions(best_prec, best_total, boards, fusion_fits,
                       engine=_engine_that_fits(graph, board, precision, engine, fuse, budget,
                                                src),
                       precision_sqnr_db=best_db, rejected=tuple(rejected),
                       runtime_fits=runtime_fits)


def _engine_that_fits(graph: Graph, board: Board, precision: Precision,
                      engine: EngineConfig | None, fuse: bool, budget: int | None,
                      weight_source: str = AUTO) -> str | None:
    """The board's default engine, when ``engine`` needs more DSPs than the part has and the
    default fits (it is sized from the DSPs)."""
    if engine is None or engine.dsp <= board.dsp:
        return None
    try:
        plan = make_plan(graph, board, precision, None, fuse, weight_source=weight_source)
    except FpgagenError:  # the default engine's P_in rule is stricter than the one --pe meets
        return None
    return str(plan.engine) if judge(plan, budget).fits else None
