"""The pictures of a sweep, PNG files beside results.json, drawn from its points alone.

- ``fps_vs_onchip.png``: streaming fps (estimated) against the on-chip bytes, every point that
  fits, the Pareto front ringed;
- ``fps_vs_dsp.png``: the same against the DSPs;
- ``accuracy_vs_params.png`` (when the sweep measured accuracy): top-1 on the digits test split
  against the parameter count, one mark per model and precision (fixed point) and the float
  reference; the architecture sweep's picture of where accuracy saturates.

Drawn as the report's pictures are (fpgagen/report/plots.py): a matplotlib Figure on an Agg
canvas in the default style, written by Pillow without date or version, so the same results
give the same bytes; a picture whose stamp (a digest of its data and the drawing code) matches
is not drawn again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpgagen.report.plots import STAMP_KEY, _figure, _styled, picture_stamp, png_text
from fpgagen.util.locking import write_bytes_atomic

FPS_ONCHIP_PNG = "fps_vs_onchip.png"
FPS_DSP_PNG = "fps_vs_dsp.png"
ACCURACY_PNG = "accuracy_vs_params.png"
COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
          "#8c8c8c", "#ccb974", "#64b5cd")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def _short(model: str, width: int = 40) -> str:
    return model if len(model) <= width else model[:width - 3] + "..."


def _fps_vs(points: Sequence[dict[str, Any]], key: str, xlabel: str, scale: float):
    fig = _figure(7.5, 4.8, left=0.9, right=0.2, bottom=1.2, top=0.45)
    ax = fig.add_subplot(1, 1, 1)
    models = list(dict.fromkeys(p["model"] for p in points))
    boards = list(dict.fromkeys(p["board"] for p in points))
    for p in points:
        if not p.get("fits"):
            continue
        color = COLORS[models.index(p["model"]) % len(COLORS)]
        marker = MARKERS[boards.index(p["board"]) % len(MARKERS)]
        ax.scatter(p[key] / scale, p["streaming_fps"], c=color, marker=marker, s=28,
                   alpha=1.0 if p.get("feasible") else 0.35, edgecolors="none")
        if p.get("pareto"):
            ax.scatter(p[key] / scale, p["streaming_fps"], s=110, facecolors="none",
                       edgecolors="black", linewidths=1.2)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("streaming fps (estimated, nominal clock)")
    ax.grid(True, which="both", alpha=0.3)
    handles = [ax.scatter([], [], c=COLORS[i % len(COLORS)], marker="o", s=28)
               for i in range(len(models))]
    handles += [ax.scatter([], [], c="grey", marker=MARKERS[i % len(MARKERS)], s=28)
                for i in range(len(boards))]
    handles.append(ax.scatter([], [], s=110, facecolors="none", edgecolors="black"))
    short = varying_labels(models)
    labels = [short[m] for m in models] + boards + ["Pareto front"]
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7, frameon=False)
    ax.set_title("Sweep: every point that fits (faded: misses a constraint)", fontsize=10)
    return fig


@_styled
def draw_fps_vs_onchip(points: Sequence[dict[str, Any]]):
    """Streaming fps against on-chip KiB."""
    return _fps_vs(points, "onchip_bytes", "on-chip memory (KiB, weights + activations)", 1024)


@_styled
def draw_fps_vs_dsp(points: Sequence[dict[str, Any]]):
    """Streaming fps against DSPs."""
    return _fps_vs(points, "dsp", "DSP slices (engine)", 1)


def accuracy_series(points: Sequence[dict[str, Any]]) -> list[tuple[str, str, int, float,
                                                                     float]]:
    """One row per (model, precision) with accuracy: (model, precision, params, top-1 fixed,
    top-1 float), in sweep order."""
    seen: dict[tuple[str, str], tuple[str, str, int, float, float]] = {}
    for p in points:
        if p.get("top1_fixed") is None:
            continue
        seen.setdefault((p["model"], p["precision"]),
                        (p["model"], p["precision"], p["params"], p["top1_fixed"],
                         p["top1_float"]))
    return list(seen.values())


def varying_labels(models: Sequence[str]) -> dict[str, str]:
    """Short labels of family specs: the metaparameters that differ between them
    (``sr=0.25 pct3x3=0.5``); other models keep their names."""
    parsed = {m: dict(item.split("=", 1) for item in m.split(":", 1)[1].split(","))
              for m in models if m.startswith("squeezenet:")}
    keys = [k for k in dict.fromkeys(k for v in parsed.values() for k in v)
            if len({v.get(k) for v in parsed.values()}) > 1]
    return {m: " ".join(f"{k}={parsed[m][k]}" for k in keys if k in parsed[m]) or _short(m)
            if m in parsed else _short(m) for m in models}


@_styled
def draw_accuracy(rows: Sequence[tuple[str, str, int, float, float]]):
    """Top-1 against parameters, each architecture labelled when there are few."""
    fig = _figure(7.5, 4.8, left=0.9, right=0.2, bottom=0.9, top=0.45)
    ax = fig.add_subplot(1, 1, 1)
    precisions = list(dict.fromkeys(r[1] for r in rows))
    floats = {r[0]: (r[2], r[4]) for r in rows}
    ax.scatter([v[0] for v in floats.values()], [100 * v[1] for v in floats.values()],
               marker="x", c="black", s=30, label="float reference")
    for i, prec in enumerate(precisions):
        sel = [r for r in rows if r[1] == prec]
        ax.scatter([r[2] for r in sel], [100 * r[3] for r in sel], s=30,
                   c=COLORS[i % len(COLORS)], marker=MARKERS[i % len(MARKERS)],
                   label=f"fixed point {prec}")
    if len(floats) <= 24:
        labels = varying_labels(list(floats))
        for m, (params, _) in floats.items():
            best = max(100 * r[3] for r in rows if r[0] == m)
            ax.annotate(labels[m], (params, best), textcoords="offset points", xytext=(4, 4),
                        fontsize=6, color="#444444")
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("top-1 on the digits test split (%)")
    ax.grid(True, which="both", alpha=0.3)
    fig.legend(loc="lower center", ncol=4, fontsize=7, frameon=False)
    ax.set_title(f"Accuracy against parameters, {len(floats)} architectures", fontsize=10)
    return fig


def _draw(out: Path, file: str, draw: Any, series: Any) -> None:
    """Draw ``series`` into ``out/file`` unless the file there was drawn from the same series
    by the same code (its stamp says so: a resumed sweep redraws nothing)."""
    stamp = picture_stamp(file, series)
    if png_text(out / file, STAMP_KEY) != stamp:
        write_bytes_atomic(out / file, draw(series, stamp=stamp))


def draw_sweep(out: Path, points: Sequence[dict[str, Any]]) -> list[str]:
    """Write the sweep's pictures into ``out``; their file names."""
    files = []
    if any(p.get("fits") for p in points):
        _draw(out, FPS_ONCHIP_PNG, draw_fps_vs_onchip, list(points))
        _draw(out, FPS_DSP_PNG, draw_fps_vs_dsp, list(points))
        files += [FPS_ONCHIP_PNG, FPS_DSP_PNG]
    rows = accuracy_series(points)
    if rows:
        _draw(out, ACCURACY_PNG, draw_accuracy, rows)
        files.append(ACCURACY_PNG)
    for stale in {FPS_ONCHIP_PNG, FPS_DSP_PNG, ACCURACY_PNG} - set(files):
        (out / stale).unlink(missing_ok=True)
    return files
