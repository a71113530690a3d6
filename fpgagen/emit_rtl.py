"""Verilog generator: Plan + QGraph -> the files of ``rtl/`` (templates/rtl/*.j2 + hw/*.v).

The generated top (``fpgagen_top.v``) only sets the parameters of the hand-written engine
(hw/fg_engine.v) from the same layer table, datapath widths and memory images the HLS
generator reads; the memories are initialized from ``$readmemh`` files, one per memory as
Vivado expects: ``layers.hex`` (the layer table, 36 fields of 32 bits per row),
``weights.hex`` and ``biases.hex``. The hw/ modules the top needs are copied beside it, so
the folder is self-contained for Vivado; ``fpgagen_tb.v`` is the simulation-only bench that
``fpgagen verify --rtl`` runs on Verilator.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .emit_hls import BANNER, hls_context
from .layertable import FIELD_NAMES, layer_table
from .memimage import bias_image, to_hex_words, weight_image
from .plan import Plan
from .quantize import QGraph
from .resources import data_dir
from .templating import render

# the field order fg_engine.v decodes (its F_* localparams)
ENGINE_FIELDS = (
    "op", "in_h", "in_w", "in_blocks", "in_base", "in_stride", "in_ring", "in_staging",
    "in_signed", "in2_base", "in2_stride", "in2_signed", "align0", "align1", "out_h", "out_w",
    "out_blocks", "out_base", "out_stride", "out_ring", "out_signed", "out_width", "kernel",
    "stride", "pad", "out_groups", "w_base", "b_base", "bias_shift", "shift", "rounding",
    "saturation", "relu", "avg_mult", "fuse_pool", "fused")
TABLE_FIELD_BITS = 32
HW_MODULES = ("fg_engine", "fg_pe_array", "fg_requant", "fg_maxpool", "fg_sdp_ram", "fg_rom",
              "fg_axis_in", "fg_axis_out")
TOP = "fpgagen_top"
TB = "fpgagen_tb"
RAM_STYLE = {"uram": "ultra", "bram": "block"}


def rtl_context(plan: Plan, qgraph: QGraph) -> dict[str, object]:
    """What the RTL templates read: the HLS context plus Verilog-specific figures."""
    if FIELD_NAMES != ENGINE_FIELDS:
        raise AssertionError("layer table fields changed: update fg_engine.v and ENGINE_FIELDS")
    ctx = hls_context(plan, qgraph)
    table = layer_table(plan, qgraph)
    min_shift = min([e.shift for e in table] + [0])
    ctx["max_lshift"] = min(32, -min_shift)
    ctx["ram_style"] = {k: RAM_STYLE[v] for k, v in ctx["impl"].items()}  # type: ignore[union-attr]
    ctx["banner"] = BANNER
    ctx["wmem_depth"] = max(2, int(ctx["wmem_depth"]))  # type: ignore[arg-type]
    ctx["bmem_depth"] = max(2, int(ctx["bmem_depth"]))  # type: ignore[arg-type]
    ctx["arena_depth"] = max(2, int(ctx["arena_depth"]))  # type: ignore[arg-type]
    ctx["stage_depth"] = max(2, int(ctx["stage_depth"]))  # type: ignore[arg-type]
    return ctx


def bench_info(plan: Plan, qgraph: QGraph, ctx: dict[str, object]) -> dict[str, object]:
    """What the RTL bench's Python side needs to compare and count (rtl/bench.json)."""
    graph = qgraph.graph
    table = layer_table(plan, qgraph)
    return {
        "model": graph.name, "p_in": plan.engine.p_in, "p_out": plan.engine.p_out,
        "act_w": ctx["act_w"], "in_bits": ctx["in_bits"], "out_w": ctx["out_w"],
        "out_bits": ctx["out_bits"], "out_signed": ctx["out_signed"],
        "in_count": int(ctx["stage_depth"]) * int(ctx["in_c"]),  # type: ignore[arg-type]
        "out_count": ctx["out_count"],
        "entries": [{"name": e.name, "macs": graph.macs(graph.layer(e.name))} for e in table],
        "views": ctx["views"],
        "output": graph.output,
    }


def _write_hex(path: Path, words: list[str], depth: int, digits: int) -> None:
    words = words + ["0" * digits] * (depth - len(words))
    path.write_text("\n".join(words) + "\n")


def emit_rtl(out: Path, plan: Plan, qgraph: QGraph) -> list[Path]:
    """Write the Verilog top, its bench, the memory images and the hw/ modules into ``out``."""
    ctx = rtl_context(plan, qgraph)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (TOP, TB):
        path = out / f"{name}.v"
        path.write_text(render(f"rtl/{name}.v.j2", **ctx))
        written.append(path)
    p_in, p_out = plan.engine.p_in, plan.engine.p_out
    dp_w, dp_b = int(ctx["w_w"]), int(ctx["b_w"])  # type: ignore[arg-type]
    table = np.array([e.values() for e in layer_table(plan, qgraph)], dtype=np.int64)
    mems = (
        ("layers.hex", table, TABLE_FIELD_BITS, table.shape[0]),
        ("weights.hex", weight_image(plan, qgraph).reshape(-1, p_out * p_in), dp_w,
         int(ctx["wmem_depth"])),  # type: ignore[arg-type]
        ("biases.hex", bias_image(plan, qgraph), dp_b, int(ctx["bmem_depth"])),  # type: ignore
    )
    for fname, lanes, bits, depth in mems:
        rows = lanes.reshape(lanes.shape[0], -1)
        words = to_hex_words(rows, bits) if rows.shape[0] else []
        path = out / fname
        _write_hex(path, words, depth, -(-rows.shape[1] * bits // 4))
        written.append(path)
    bench = out / "bench.json"
    bench.write_text(json.dumps(bench_info(plan, qgraph, ctx), indent=1) + "\n")
    written.append(bench)
    hw = data_dir("hw")
    for mod in HW_MODULES:
        dst = out / f"{mod}.v"
        shutil.copyfile(hw / f"{mod}.v", dst)
        written.append(dst)
    return written
