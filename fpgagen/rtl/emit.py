"""Verilog generator: Plan + QGraph -> the files of ``rtl/`` (templates/rtl/*.j2 + hw/*.v).

The generated top (``fpgagen_top.v``) only sets the parameters of the hand-written engine
(hw/fg_engine.v) from the same layer table, datapath widths and memory images the HLS generator
reads; the memories are initialized from ``$readmemh`` files, one per memory as Vivado expects:
``layers.hex`` (the engine's layer table, fpgagen/machine/engine_table.py: one 32-bit field per
line, ``len(RTL_FIELDS)`` lines per row), ``weights.hex`` and ``biases.hex``. The hw/ modules the
top needs are copied beside it, so the folder is self-contained for Vivado; ``fpgagen_tb.v`` is the
simulation-only bench that ``fpgagen verify --rtl`` runs on Verilator.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

from fpgagen.machine.columns import arena_columns, banked_col_params, col_params, part_columns
from fpgagen.machine.context import Machine, common_context
from fpgagen.machine.engine_table import table_words
from fpgagen.machine.memimage import to_hex_words
from fpgagen.plan.cycles import timing
from fpgagen.plan.engine_fields import table_fields
from fpgagen.plan.plan import ACTIVATIONS, INPUT_STAGING
from fpgagen.rtl.headers import HEADERS
from fpgagen.rtl.vivado import emit_vivado, vivado_context
from fpgagen.util.arith import ceil_div
from fpgagen.util.resources import data_dir
from fpgagen.util.templating import render

# the hand-written modules under fpgagen_top (hw/README.md describes each)
HW_MODULES = ("fg_engine", "fg_layer_table", "fg_conv_agu", "fg_pool_agu", "fg_vec_agu",
              "fg_count", "fg_delay", "fg_mul", "fg_mul2", "fg_pe_array", "fg_ksum", "fg_avgpool",
              "fg_add", "fg_maxpool", "fg_requant", "fg_writeback", "fg_logits_out", "fg_arena",
              "fg_col_ram", "fg_sdp_ram", "fg_rom", "fg_axis_unpack", "fg_axis_out", "fg_axil_ctrl",
              "fg_stage_slots", "fg_fused_pair", "fg_credit", "fg_pixmax", "fg_wload",
              "fg_crc32")
# the Verilog includes they read, copied beside them (rendered from Python tables: the table's
# fields, the pipeline latencies; fpgagen/rtl/headers.py)
HW_HEADERS = tuple(HEADERS)
TOP = "fpgagen_top"
TB = "fpgagen_tb"
RAM_STYLE = {"uram": "ultra", "bram": "block"}


def rtl_context(m: Machine) -> dict[str, object]:
    """What the RTL templates read: the machine's common figures and the Verilog top's own
    (the table's field count and counter width, the Plan's block-RAM columns as fg_col_ram
    parameters, ram_style attributes)."""
    plan = m.plan
    arena, staging = plan.memories[ACTIVATIONS], plan.memories[INPUT_STAGING]
    arena_cols = arena_columns(arena, m.arena_banks, m.p_pix)
    return {
        **common_context(m),
        "max_lshift": m.max_lshift, "sum_w": m.sum_w, "m_w": m.m_w, "max_align": m.max_align,
        "nf": len(table_fields(m.p_pix)), "cw": m.counter_bits,
        "p_pix": m.p_pix, "stage_banks": m.stage_banks,
        # the arena's banks the bench dumps: NW word banks in each pixel bank
        "dump_banks": m.arena_banks * m.p_pix,
        # the engine's drain, from the latency table the cycle model sums (fg_engine checks it)
        "drain": timing(plan.engine).drain,
        "ram_style": {name: RAM_STYLE[m.impl(name)] for name in plan.memories},
        # the Plan's block-RAM columns, built as separate memories (fpgagen/machine/columns.py)
        "arena_cols": [{"offset": c.offset, "width": c.width, "ultra": c.ultra}
                       for c in arena_cols],
        "arena_col": col_params(arena_cols),
        "stage_col": banked_col_params([part_columns(p, staging.width) for p in staging.parts]),
        "stage_last_entry": m.stage_last_entry,
        # the weights: in the bitstream (memory-init files) or loaded at run time (weights.bin)
        "weights_init": m.weights_init, "wload": m.weight_load,
    }


def bench_info(m: Machine, ctx: dict[str, object]) -> dict[str, object]:
    """What the RTL bench's Python side needs to compare and count (rtl/bench.json)."""
    graph = m.qgraph.graph
    return {
        "model": graph.name, "p_in": m.p_in, "p_out": m.p_out,
        "act_w": ctx["act_w"], "out_w": ctx["out_w"], "out_signed": ctx["out_signed"],
        "out_count": ctx["out_count"],
        # the streams (fpgagen/plan/streams.py): the bench packs and unpacks with the driver's code
        **{k: ctx[k] for k in ("tdata_bits", "in_width", "in_signed", "in_values", "in_beats",
                               "out_beats", "out_last_bytes", "build_id_hex")},
        "entries": [{"name": e.name, "macs": graph.macs(graph.layer(e.name))} for e in m.table],
        "views": [{**asdict(v), "width": m.qgraph.type(v.name).width} for v in m.views],
        # the arena's columns, dumped one file each per bank
        # (fpgagen_tb.v: <prefix><entry>_b<bank>_c<k>.hex; word a in bank a mod banks)
        "arena_columns": ctx["arena_cols"], "arena_banks": ctx["arena_banks"],
        "output": graph.output,
        # pixel banks (a pixel-parallel engine): pixel x of a row in pixel bank x mod p_pix at
        # group x div p_pix, rows of ceil(W / p_pix) groups; dumps of NW banks each
        **({"p_pix": m.p_pix} if m.p_pix > 1 else {}),
        # the weight load (weights.bin: driver/, or the caller's): needed before the first
        # image when the bitstream holds no weights
        "weights_init": m.weights_init, "wload": m.weight_load.as_dict(),
        "weights_crc": m.weights_crc,
    }


def _write_hex(path: Path, words: list[str], depth: int, digits: int) -> None:
    words = words + ["0" * digits] * (depth - len(words))
    path.write_text("\n".join(words) + "\n")


def emit_rtl(out: Path, m: Machine) -> list[Path]:
    """Write the Verilog top, its bench, the memory images and the hw/ modules into ``out``."""
    ctx = rtl_context(m)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (TOP, TB):
        path = out / f"{name}.v"
        path.write_text(render(f"rtl/{name}.v.j2", **ctx))
        written.append(path)
    (out / "layers.hex").write_text("\n".join(table_words(m.rows)) + "\n")
    written.append(out / "layers.hex")
    dp = m.datapath
    mems = (("weights.hex", m.weight_words.reshape(-1, m.p_out * m.p_in), dp.w_w,
             m.weight_depth),
            ("biases.hex", m.bias_words, dp.b_w, m.bias_depth))
    for fname, lanes, bits, depth in (mems if m.weights_init else ()):
        rows = lanes.reshape(lanes.shape[0], -1)
        words = to_hex_words(rows, bits) if rows.shape[0] else []
        path = out / fname
        _write_hex(path, words, depth, ceil_div(rows.shape[1] * bits, 4))
        written.append(path)
    bench = out / "bench.json"
    bench.write_text(json.dumps(bench_info(m, ctx), indent=1) + "\n")
    written.append(bench)
    hw = data_dir("hw")
    for name in (*(f"{mod}.v" for mod in HW_MODULES), *HW_HEADERS):
        dst = out / name
        shutil.copyfile(hw / name, dst)
        written.append(dst)
    # last: the Vivado script lists the sources and memory images now in the folder
    written += emit_vivado(out, {**ctx, **vivado_context(m.plan)})
    return written
