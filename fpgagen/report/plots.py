"""Pictures of a build, drawn from report.json alone, as PNG files next to report.md.

Every picture is two steps. A pure *series* function reads the report (a dict, as report.json
holds it) and returns the numbers the picture shows, or None when the report lacks them (an
older build, a report before ``verify --rtl``); the tests compare these with report.json
instead of reading pixels. A *draw* function turns a series into PNG bytes. `draw_report`
runs both for every picture and writes the files; `fpgagen.report.report.write_report` calls it
each time report.md is written, so a report updated by ``verify --rtl`` shows the measured
cycles.

Matplotlib runs without pyplot: a `Figure` on an explicit Agg canvas (`FigureCanvasAgg`), so
no backend is switched, no figure registry fills up and nothing global is left behind; the
style is matplotlib's default inside a style context, so a user's matplotlibrc changes neither
the look nor the bytes. Pillow writes the PNG with one text chunk, a digest of the series and
of this code (no software version, no date): the same report gives byte-identical files, and
a picture whose digest already matches is not drawn again. matplotlib is imported on first
draw only, so commands that write no report, or change nothing a picture shows, do not pay
for it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.quant.quality import MIN_USEFUL_SQNR_DB
from fpgagen.util.arith import ceil_div
from fpgagen.util.locking import write_bytes_atomic

DPI = 100
# the PNG text chunk naming what a report picture was drawn from (see draw_report)
STAMP_KEY = "fpgagen-source"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# above this many classes the confusion matrix has no per-cell counts and no tick per class
CONFUSION_TEXT_MAX = 30

# one colour per meaning, the same in every picture
ESTIMATE_COLOR, MEASURED_COLOR, MODELLED_COLOR = "#8da0cb", "#e07b39", "#66c2a5"
OP_COLORS = {"conv": "#4c72b0", "maxpool": "#dd8452", "avgpool": "#c44e52", "concat": "#55a868",
             "add": "#8172b3"}
OTHER_COLOR, RING_COLOR, SYNTH_COLOR = "#937860", "#da8bc3", "#333333"
MEMORY_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
                 "#8c8c8c", "#ccb974", "#64b5cd")

# the label of the bar for cycles outside the layers: image load, logits out, control
REST = "rest (I/O, control)"


# --- series: what each picture shows, read from report.json ------------------------------------

@dataclass(frozen=True)
class CycleSeries:
    """Cycles and MAC utilization per layer: the Plan's estimate, the HLS schedule's modelled
    cycles (fpgagen/hls/latency.py, what csynth should report), the RTL's measurement.

    ``layers`` are the layers that cost cycles in either source (a concat written in place by
    its producers costs none), then `REST`: the total minus the layers, so each source's bars
    sum to its total. ``measured`` is None before ``verify --rtl``; an entry is None for a layer
    the RTL runs in place. Utilization is MACs / (cycles x P_in x P_out), None without MACs.
    """

    layers: tuple[str, ...]
    estimate: tuple[int, ...]
    measured: tuple[int | None, ...] | None
    estimate_total: int
    measured_total: int | None
    util_estimate: tuple[float | None, ...]
    util_measured: tuple[float | None, ...] | None
    macs_per_cycle: int
    modelled: tuple[int | None, ...] | None = None
    modelled_total: int | None = None


def cycle_series(report: Mapping[str, Any]) -> CycleSeries | None:
    layers = report.get("layers") or []
    if not layers or "estimate" not in report:
        return None
    rtl = report.get("rtl") or {}
    per_layer = rtl.get("cycles_per_layer") if rtl.get("cycles") else None
    per_mac = report["engine"]["p_in"] * report["engine"]["p_out"]
    hls = report.get("hls") or {}
    per_model = hls.get("cycles_per_layer") or None
    kept = [lay for lay in layers
            if lay["cycles_estimate"] or (per_layer and per_layer.get(lay["name"]))
            or (per_model and per_model.get(lay["name"]))]
    names = (*(lay["name"] for lay in kept), REST)

    def util(cycles: Sequence[int | None]) -> tuple[float | None, ...]:
        return (*(lay["macs"] / (c * per_mac) if lay["macs"] and c else None
                  for lay, c in zip(kept, cycles, strict=True)), None)

    est_total = report["estimate"]["cycles"]
    est_layers = [lay["cycles_estimate"] for lay in kept]
    est = (*est_layers, est_total - sum(lay["cycles_estimate"] for lay in layers))
    meas = util_meas = meas_total = None
    if per_layer is not None:
        meas_total = rtl["cycles"]
        cyc = [per_layer.get(lay["name"]) for lay in kept]
        meas = (*cyc, meas_total - sum(v for v in per_layer.values() if v))
        util_meas = util(cyc)
    model = model_total = None
    if per_model is not None:
        model_total = hls["cycles"]
        model = (*(per_model.get(lay["name"]) for lay in kept),
                 model_total - sum(v for v in per_model.values() if v))
    return CycleSeries(names, est, meas, est_total, meas_total, util(est_layers), util_meas,
                       per_mac, model, model_total)


@dataclass(frozen=True)
class SqnrSeries:
    """SQNR per layer in dB on the build's image (``math.inf``: no error at all)."""

    layers: tuple[str, ...]
    db: tuple[float, ...]
    input_db: float | None


def sqnr_series(report: Mapping[str, Any]) -> SqnrSeries | None:
    layers = [lay for lay in report.get("layers") or [] if "sqnr_db" in lay]
    if not layers:
        return None
    q = report.get("quality") or {}

    def db(v: float | None) -> float:
        return math.inf if v is None else float(v)

    return SqnrSeries(tuple(lay["name"] for lay in layers),
                      tuple(db(lay["sqnr_db"]) for lay in layers),
                      db(q["input_sqnr_db"]) if "input_sqnr_db" in q else None)


@dataclass(frozen=True)
class ArenaBox:
    """One tensor in the arena: words ``lo..hi`` (exclusive) over steps ``first..last``."""

    name: str
    kind: str  # arena, ring or view (memory.py's placement kinds)
    op: str
    first: int
    last: int
    lo: float
    hi: float
    note: str = ""
    parent: str | None = None  # a view's concat (the one that owns its words)


@dataclass(frozen=True)
class ArenaSeries:
    """The activation arena over the schedule: every tensor's box, the arena's size and bound.

    A view owns no words: it is a channel slice of every pixel of its concat, interleaved, and
    is drawn as the band of the concat's box its share of the channels would take, from the
    step that writes it (a concat of concats: the band of the outermost one, which owns the
    words)."""

    steps: tuple[str, ...]  # the layers of step 1, 2, ... joined by "+"
    boxes: tuple[ArenaBox, ...]
    arena_words: int
    lower_bound_words: int
    word_bits: int


def arena_series(report: Mapping[str, Any]) -> ArenaSeries | None:
    mem = report.get("memory") or {}
    rows = mem.get("layers") or []
    arena = next((m for m in mem.get("memories") or [] if m["name"] == "activations"), None)
    if not rows or arena is None:
        return None
    ops = {lay["name"]: lay["op"] for lay in report.get("layers") or []}
    by_name = {r["name"]: r for r in rows}
    step_layers: dict[int, list[str]] = {}
    for r in rows:
        step_layers.setdefault(r["step"], []).append(r["name"])
    steps = tuple("+".join(step_layers.get(s, [])) for s in range(1, max(step_layers) + 1))
    fused = {f["conv"]: f["pool"] for f in report.get("fusion") or []}
    p_in = report["engine"]["p_in"]
    boxes = []
    for r in rows:
        first, last = r["live_steps"]
        op = ops.get(r["name"], r["op"])
        if r["storage"] == "view":
            root = by_name[r["view_of"]]
            while root["storage"] == "view":
                root = by_name[root["view_of"]]
            share = root["arena_words"] / root["channels_padded"]  # words per channel
            channel = (r["arena_offset_words"] - root["arena_offset_words"]) * p_in
            lo = root["arena_offset_words"] + share * channel
            boxes.append(ArenaBox(r["name"], "view", op, r["step"], last, lo,
                                  lo + share * r["channels_padded"], parent=root["name"]))
        elif r["arena_words"]:
            note = (f"ring of {r['ring_rows']} rows -> {fused[r['name']]}"
                    if r["storage"] == "ring" and r["name"] in fused else "")
            lo = r["arena_offset_words"]
            boxes.append(ArenaBox(r["name"], r["storage"], op, first, last, lo,
                                  lo + r["arena_words"], note))
    bound_bits = mem.get("activation_lower_bound_bytes", 0) * 8
    return ArenaSeries(steps, tuple(boxes), arena["depth"], ceil_div(bound_bits, arena["width"]),
                       arena["width"])


@dataclass(frozen=True)
class BramSeries:
    """Block RAM by memory (the Plan's mapping) against the part, and Yosys's count if any.

    ``bram36`` per memory counts its BRAM18 halves as half a BRAM36 each; ``bram36_total`` is
    the Plan's total, where halves of different memories pair up."""

    part: str
    memories: tuple[str, ...]
    bram36: tuple[float, ...]
    uram: tuple[int, ...]
    bram36_total: int
    uram_total: int
    part_bram36: int
    part_uram: int
    synth_bram36: float | None
    synth_uram: int | None
    dsp: int | None = None  # the engine's DSPs (estimated), the part's, Yosys's count
    part_dsp: int | None = None
    synth_dsp: int | None = None


def bram_series(report: Mapping[str, Any]) -> BramSeries | None:
    mem = report.get("memory") or {}
    mems = mem.get("memories") or []
    if not mems:
        return None
    part = report.get("part_resources") or {}
    synth = report.get("synth") or {}
    return BramSeries(
        report.get("part", ""), tuple(m["name"] for m in mems),
        tuple(m["bram36"] + m["bram18"] / 2 for m in mems), tuple(m["uram"] for m in mems),
        mem["bram36"], mem["uram"], part.get("bram36", mem.get("bram36_available", 0)),
        part.get("uram", mem.get("uram_available", 0)),
        synth.get("bram36_equiv"), synth.get("uram"),
        (report.get("engine") or {}).get("dsp"), part.get("dsp", mem.get("dsp_available")),
        synth.get("dsp"))


@dataclass(frozen=True)
class ConfusionSeries:
    """A confusion matrix (rows: true class, columns: predicted) and its per-row accuracy
    (None for a class with no images); ``what`` names the model whose predictions they are
    (``golden fixed point (w8a8)``, ``float reference``)."""

    labels: tuple[str, ...]
    counts: np.ndarray
    row_accuracy: tuple[float | None, ...]
    top1: float | None
    what: str = ""


def confusion_series(counts: np.ndarray, labels: Sequence[str], what: str = ""
                     ) -> ConfusionSeries:
    c = np.asarray(counts)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] != len(labels):
        raise ValueError(f"confusion counts of shape {c.shape} for {len(labels)} labels")
    if not np.issubdtype(c.dtype, np.integer) or (c.size and c.min() < 0):
        raise ValueError("confusion counts must be non-negative integers")
    rows = c.sum(axis=1)
    acc = tuple(float(c[i, i] / rows[i]) if rows[i] else None for i in range(len(labels)))
    total = int(c.sum())
    return ConfusionSeries(tuple(labels), c.astype(np.int64), acc,
                           float(np.trace(c) / total) if total else None, what)


# --- drawing ------------------------------------------------------------------------------------

def _figure(width: float, height: float, left: float = 0.9, right: float = 0.2,
            bottom: float = 0.6, top: float = 0.4, hspace: float = 0.08):
    """A figure of ``width`` x ``height`` inches with fixed margins in inches: no layout engine
    (constrained layout measures every tick label twice, half the drawing time)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - top / height, hspace=hspace)
    return fig


def _label_room(labels: Sequence[str], fontsize: float) -> float:
    """Inches that rotated tick labels of ``fontsize`` points need below an axis."""
    return 0.2 + max((len(t) for t in labels), default=0) * fontsize * 0.55 / 72


def _png(fig, stamp: str | None) -> bytes:
    """The figure as PNG bytes: one Agg draw, written by Pillow (matplotlib's own dependency).
    The only text chunk is ``stamp`` (see `draw_report`): no software version, no date."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image, PngImagePlugin

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    info = PngImagePlugin.PngInfo()
    if stamp is not None:
        info.add_text(STAMP_KEY, stamp)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


# glyphs drawn unhinted at the pixel grid: the same look at these sizes, a sixth less time
_RC = {"text.hinting": "none"}


def _styled(draw: Callable[..., Any]) -> Callable[..., bytes]:
    """Run ``draw`` (which returns a Figure) in matplotlib's default style; return PNG bytes,
    stamped with the keyword argument ``stamp`` when given."""

    def run(*args: Any, stamp: str | None = None) -> bytes:
        import matplotlib.style

        with matplotlib.style.context("default"), matplotlib.rc_context(_RC):
            return _png(draw(*args), stamp)

    run.__doc__ = draw.__doc__
    run.__name__ = draw.__name__
    run.__wrapped__ = draw  # type: ignore[attr-defined]  # the Figure, for tests
    return run


def _layer_axis(ax, names: Sequence[str]) -> None:
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    ax.set_xlim(-0.6, len(names) - 0.4)


@_styled
def draw_cycles(s: CycleSeries):
    """Grouped bars: cycles per layer; below, MAC utilization per layer."""
    n = len(s.layers)
    room = _label_room(s.layers, 7)
    fig = _figure(max(7.0, 0.3 * n + 2), 6.4 + room, left=1.2, bottom=room)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    x = np.arange(n)
    sources = [(s.estimate, ESTIMATE_COLOR,
                f"estimate (the Plan; fpgagen build): {s.estimate_total:,} cycles")]
    if s.modelled is not None:
        sources.append((s.modelled, MODELLED_COLOR,
                        f"modelled HLS schedule (fpgagen/hls/latency.py; not csynth): "
                        f"{s.modelled_total:,} cycles"))
    if s.measured is not None:
        sources.append((s.measured, MEASURED_COLOR,
                        f"measured (RTL simulation; fpgagen verify --rtl): "
                        f"{s.measured_total:,} cycles"))
    w = 0.8 / len(sources)
    for k, (vals, color, label) in enumerate(sources):
        top.bar(x + (k - (len(sources) - 1) / 2) * w, [v or 0 for v in vals], w, color=color,
                label=label)
    dx = w / 2 if s.measured is not None else 0.0
    if s.modelled is not None and s.measured is not None:
        dx = w  # utilization: estimate and measurement, the outer two bars
    top.set_ylabel("cycles per image")
    shown = ["estimated"] + (["modelled (HLS)"] if s.modelled is not None else []) + (
        ["measured (RTL)"] if s.measured is not None else [])
    top.set_title("Cycles per layer: " + ", ".join(shown)
                  + ("" if s.measured is not None else "; verify --rtl measures them"))
    top.legend(fontsize=8, loc="upper center")
    top.grid(axis="y", alpha=0.3)
    top.ticklabel_format(axis="y", style="plain")
    top.yaxis.set_major_formatter("{x:,.0f}")

    def bars(vals: Sequence[float | None]) -> list[float]:
        return [100 * v if v is not None else 0.0 for v in vals]

    bottom.bar(x - dx, bars(s.util_estimate), w, color=ESTIMATE_COLOR, label="estimate")
    if s.util_measured is not None:
        bottom.bar(x + dx, bars(s.util_measured), w, color=MEASURED_COLOR, label="measured")
    bottom.set_ylim(0, 100)
    bottom.set_ylabel(f"MAC utilization %\n(MACs / cycles / {s.macs_per_cycle})")
    bottom.grid(axis="y", alpha=0.3)
    _layer_axis(bottom, s.layers)
    return fig


@_styled
def draw_sqnr(s: SqnrSeries):
    """SQNR per layer: finite values as points on a line, exact layers marked at the top."""
    n = len(s.layers)
    room = _label_room(s.layers, 7)
    fig = _figure(max(7.0, 0.3 * n + 2), 3.6 + room, bottom=room)
    ax = fig.subplots()
    finite = [v for v in s.db if math.isfinite(v)]
    top = max(max(finite, default=0.0), MIN_USEFUL_SQNR_DB) + 10
    ys = [v if math.isfinite(v) else np.nan for v in s.db]
    ax.plot(range(n), ys, "o-", color=ESTIMATE_COLOR, markersize=4,
            label="golden fixed point vs float reference (measured by fpgagen build)")
    exact = [i for i, v in enumerate(s.db) if not math.isfinite(v)]
    if exact:
        ax.plot(exact, [top] * len(exact), "^", color=MEASURED_COLOR, label="exact (no error)")
    if s.input_db is not None and math.isfinite(s.input_db):
        ax.axhline(s.input_db, color="#8c8c8c", ls="--", lw=1,
                   label=f"input image quantized: {s.input_db:.1f} dB")
    ax.axhline(MIN_USEFUL_SQNR_DB, color="#c44e52", ls=":", lw=1.2,
               label=f"{MIN_USEFUL_SQNR_DB:g} dB: below it, the fixed point is far from float "
                     "(check does not suggest such a precision)")
    ax.set_ylim(min(0.0, min(finite, default=0.0)), top + 5)
    ax.set_ylabel("SQNR (dB)")
    ax.set_title("SQNR per layer on the build's image (vectors/input)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    _layer_axis(ax, s.layers)
    return fig


@_styled
def draw_arena(s: ArenaSeries):
    """One rectangle per tensor: x over its live steps, y over its arena words."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    n = len(s.steps)
    labels = [f"{i} {name}" for i, name in enumerate(s.steps, 1)]
    room = _label_room(labels, 6) + 0.25
    fig = _figure(max(8.0, 0.3 * n + 3.5), 5.6 + room, left=1.0, right=2.9, bottom=room,
                  top=0.6)
    ax = fig.subplots()
    span = max(s.arena_words, 1)
    for b in s.boxes:
        x0, width, height = b.first - 0.45, b.last - b.first + 0.9, b.hi - b.lo
        if b.kind == "view":
            ax.add_patch(Rectangle((x0, b.lo), width, height, fill=False, ec="#333333", lw=0.6,
                                   ls="--", hatch="///"))
        else:
            color = RING_COLOR if b.kind == "ring" else OP_COLORS.get(b.op, OTHER_COLOR)
            ax.add_patch(Rectangle((x0, b.lo), width, height, fc=color, ec="white", lw=0.8,
                                   alpha=0.9, hatch="xx" if b.kind == "ring" else None))
        if height < (0.04 if b.kind == "view" else 0.025) * span:
            continue
        if b.kind == "view":  # centred in its band; the concat's own name sits at its top
            ax.text(x0 + width / 2, b.lo + height / 2, b.name, ha="center", va="center",
                    fontsize=6, clip_on=True, bbox={"fc": "white", "ec": "none", "pad": 0.5})
        else:
            label = b.name + (f"\n({b.note})" if b.note and width > 3 else "")
            ax.text(x0 + 0.08, b.hi - 0.01 * span, label, ha="left", va="top", fontsize=6,
                    clip_on=True)
    ax.axhline(s.arena_words, color="black", lw=1)
    ax.axhline(s.lower_bound_words, color="#8c8c8c", lw=1, ls=":")
    ax.set_xlim(0.4, n + 0.6)
    ax.set_ylim(0, span * 1.08)
    ax.set_xticks(range(1, n + 1))
    ax.set_xticklabels(labels, rotation=90, fontsize=6)
    ax.set_xlabel("schedule step (its layers)")
    ax.set_ylabel(f"arena word ({s.word_bits} bits)")
    ax.yaxis.set_major_formatter("{x:,.0f}")
    ax.set_title(f"Activation arena over the schedule (the Plan)\n{s.arena_words:,} words of "
                 f"{s.word_bits} bits, liveness lower bound {s.lower_bound_words:,}")
    used_ops = sorted({b.op for b in s.boxes if b.kind == "arena"})
    handles = [Patch(fc=OP_COLORS.get(op, OTHER_COLOR), label=f"{op} output") for op in used_ops]
    if any(b.kind == "ring" for b in s.boxes):
        handles.append(Patch(fc=RING_COLOR, hatch="xx", label="ring (conv fused with a pool)"))
    if any(b.kind == "view" for b in s.boxes):
        handles.append(Patch(fill=False, ls="--", hatch="///",
                             label="view: a channel slice of its concat"))
    handles += [Line2D([], [], color="black", lw=1, label=f"arena size {s.arena_words:,}"),
                Line2D([], [], color="#8c8c8c", lw=1, ls=":",
                       label=f"liveness lower bound {s.lower_bound_words:,}")]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@_styled
def draw_bram(s: BramSeries):
    """Stacked horizontal bars: each memory's block RAM, and the engine's DSPs, against the
    part's capacity; Yosys's count (after ``fpgagen synth``) as a thin bar beneath."""
    rows = [("BRAM36", s.memories, s.bram36, s.bram36_total, s.part_bram36, s.synth_bram36)]
    if s.part_uram or s.uram_total:
        rows.append(("URAM", s.memories, tuple(float(u) for u in s.uram), s.uram_total,
                     s.part_uram, s.synth_uram))
    if s.dsp is not None and s.part_dsp:
        rows.append(("DSP", ("engine (estimated)",), (float(s.dsp),), s.dsp, s.part_dsp,
                     s.synth_dsp))
    fig = _figure(9.5, 0.5 + 1.3 * len(rows), left=0.3, right=3.0, bottom=0.35, top=0.35,
                  hspace=0.7)
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for ax, (kind, names, values, total, cap, synth) in zip(axes, rows, strict=True):
        left = 0.0
        ax.barh(0, cap, 0.8, color="#eeeeee", ec="black", lw=1,
                label=f"part {s.part}: {cap:,}")
        for name, v, color in zip(names, values, MEMORY_COLORS * 4, strict=False):
            if v:
                ax.barh(0, v, 0.5, left=left, color=color, label=f"{name}: {v:,g}")
                left += v
        title = f"{kind}: the Plan {total:,} of {cap:,}"
        if synth is not None:
            ax.barh(-0.6, synth, 0.2, color=SYNTH_COLOR,
                    label=f"Yosys synth_xilinx: {synth:,g} (open estimate)")
            title += f"; Yosys synth_xilinx {synth:,g}"
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_yticks([])
        ax.set_xlim(0, max(cap, left, synth or 0) * 1.02 or 1)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.1))
    return fig


@_styled
def draw_confusion(s: ConfusionSeries):
    """The matrix as an image, colour = share of the true class; per-row accuracy beside it.
    Up to `CONFUSION_TEXT_MAX` classes each cell shows its count and each row is named."""
    from matplotlib.colors import Normalize

    n = len(s.labels)
    small = n <= CONFUSION_TEXT_MAX
    room = _label_room(s.labels, 8) if small else 0.3
    # a large matrix gets a pixel per class at least, so no class is lost to resampling
    side = max(4.0, 0.4 * n) if small else max(8.0, 1.1 * n / DPI)
    fig = _figure(side + room + 3.6, side + room + 0.9, left=room + 0.5, right=0.9,
                  bottom=room + 0.5, hspace=0.0)
    fig.subplots_adjust(wspace=0.08)
    ax, bar = fig.subplots(1, 2, width_ratios=(side, 2.0), sharey=True)
    rows = s.counts.sum(axis=1, keepdims=True)
    share = np.divide(s.counts, rows, out=np.zeros(s.counts.shape), where=rows > 0)
    im = ax.imshow(share, cmap="Blues", norm=Normalize(0, 1), aspect="auto",
                   interpolation="nearest")
    fig.colorbar(im, ax=[ax, bar], fraction=0.03, shrink=0.6, pad=0.02,
                 label="share of the true class")
    acc = [100 * a if a is not None else 0.0 for a in s.row_accuracy]
    if small:
        bar.barh(range(n), acc, color=ESTIMATE_COLOR, height=0.8)
    else:  # one polygon, not a thousand bars
        bar.fill_betweenx(np.arange(n), 0, acc, step="mid", color=ESTIMATE_COLOR, lw=0)
    bar.set_xlim(0, 100)
    bar.set_xlabel("accuracy %")
    bar.grid(axis="x", alpha=0.3)
    if small:
        for (i, j), v in np.ndenumerate(s.counts):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.5 else "black")
        for i, a in enumerate(s.row_accuracy):
            bar.text(2, i, "-" if a is None else f"{100 * a:.1f}", va="center", fontsize=7)
        ax.set_xticks(range(n))
        ax.set_xticklabels(s.labels, rotation=90, fontsize=8)
        ax.set_yticks(range(n))
        ax.set_yticklabels(s.labels, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    top1 = "" if s.top1 is None else f": top-1 {100 * s.top1:.1f} %"
    of = f" of the {s.what}" if s.what else ""
    ax.set_title(f"Confusion matrix{of}, {int(s.counts.sum()):,} images{top1}")
    return fig


def confusion_matrix_png(counts: np.ndarray, labels: Sequence[str], path: Path,
                         what: str = "") -> Path:
    """Draw ``counts`` (rows: true class, columns: predicted) of the model ``what`` names to
    ``path``; return the path."""
    path = Path(path)
    write_bytes_atomic(path, draw_confusion(confusion_series(counts, labels, what)))
    return path


# --- the report's pictures ----------------------------------------------------------------------

@dataclass(frozen=True)
class Picture:
    """One picture of report.md: its file (next to report.md), alt text and caption."""

    file: str
    alt: str
    caption: str


@dataclass(frozen=True)
class _Kind:
    file: str
    alt: str
    caption: str
    series: Callable[[Mapping[str, Any]], Any]
    draw: Callable[..., bytes]


KINDS = (
    _Kind("report_cycles.png", "cycles and MAC utilization per layer",
          "Cycles per layer: the Plan's estimate (`fpgagen build`: a model of the Verilog "
          "engine, `fpgagen/plan/cycles.py`), the HLS core's modelled cycles "
          "(`fpgagen/hls/latency.py`: what csynth should report) and, once "
          "`fpgagen verify --rtl` has run, the cycles measured in RTL simulation; the "
          "last bar is the rest of the total (image load, logits out, control). Below: MAC "
          "utilization = MACs / (cycles x P_in x P_out).", cycle_series, draw_cycles),
    _Kind("report_sqnr.png", "SQNR per layer",
          "SQNR per layer, measured by `fpgagen build` on the build's image "
          "(`vectors/input`: its `--input`, or a seeded synthetic image): the golden "
          "fixed-point model, dequantized, against the float reference.", sqnr_series,
          draw_sqnr),
    _Kind("report_arena.png", "activation arena over the schedule",
          "The activation arena over the schedule (the Plan): x = schedule step, y = arena "
          "word, one box per tensor over the steps it is live. Rings hold a fused conv's "
          "rows; a view is a producer's channel slice of its concat, interleaved in every "
          "pixel's words (drawn as its band of the concat). The input image is in the input "
          "staging memory, not in the arena.", arena_series, draw_arena),
    _Kind("report_bram.png", "block RAM by memory against the part",
          "Block RAM by memory (the Plan's mapping, an estimate) and the engine's DSPs "
          "(estimated) against the part's capacity; after `fpgagen synth`, Yosys's count "
          "beside each.", bram_series, draw_bram),
)


@functools.cache
def _code_stamp() -> bytes:
    """What the pictures' look depends on besides their data: this file and the versions of
    matplotlib and Pillow (read from their metadata: no import)."""
    from importlib.metadata import version

    return (Path(__file__).read_bytes()
            + f"matplotlib {version('matplotlib')} pillow {version('pillow')}".encode())


def picture_stamp(file: str, series: Any) -> str:
    """A digest of everything a report picture is drawn from: its series and the code."""
    return hashlib.sha256(_code_stamp() + file.encode() + repr(series).encode()).hexdigest()


def png_text(path: Path, key: str) -> str | None:
    """The value of the PNG text chunk ``key`` in ``path``; None without the file or chunk."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if not data.startswith(PNG_SIGNATURE):
        return None
    pos, want = len(PNG_SIGNATURE), key.encode("latin-1")
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"tEXt":
            name, _, value = data[pos + 8:pos + 8 + length].partition(b"\0")
            if name == want:
                return value.decode("latin-1")
        pos += 12 + length
    return None


def draw_report(out: Path, report: Mapping[str, Any]) -> list[Picture]:
    """Draw every picture the report has data for into ``out`` (each file written atomically)
    and remove a picture whose data the report no longer has; returns the pictures, in order.

    A picture whose file already shows the same data (its stamp, `picture_stamp`, matches) is
    not drawn again: a report updated with a section that no picture shows (``csim``, say)
    costs no drawing, and no matplotlib import."""
    drawn = []
    for kind in KINDS:
        series = kind.series(report)
        path = Path(out) / kind.file
        if series is None:
            path.unlink(missing_ok=True)
            continue
        stamp = picture_stamp(kind.file, series)
        if png_text(path, STAMP_KEY) != stamp:
            write_bytes_atomic(path, kind.draw(series, stamp=stamp))
        drawn.append(Picture(kind.file, kind.alt, kind.caption))
    return drawn
