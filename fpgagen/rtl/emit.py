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
import zlib
from pathlib import Path

from fpgagen.errors import FpgagenError
from fpgagen.hls.emit import BANNER, hls_context
from fpgagen.machine.columns import arena_columns, banked_col_params, col_params, part_columns
from fpgagen.machine.engine_table import counter_bits, rtl_table, table_words
from fpgagen.machine.layertable import (
    OP_ADD,
    OP_AVGPOOL,
    avgpool_sum_width,
    datapath,
    last_staging_reader,
    layer_table,
)
from fpgagen.machine.memimage import bias_image, to_hex_words, weight_image
from fpgagen.plan.cycles import timing
from fpgagen.plan.engine import mac_operand_bits, pack_problem
from fpgagen.plan.engine_fields import RTL_FIELDS
from fpgagen.plan.plan import ACTIVATIONS, INPUT_STAGING, Plan, arena_banks
from fpgagen.plan.streams import build_stream_format
from fpgagen.quant.quantize import QGraph
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
              "fg_stage_slots", "fg_fused_pair", "fg_credit")
# the Verilog includes they read, copied beside them (rendered from Python tables: the table's
# fields, the pipeline latencies; fpgagen/rtl/headers.py)
HW_HEADERS = tuple(HEADERS)
TOP = "fpgagen_top"
TB = "fpgagen_tb"
RAM_STYLE = {"uram": "ultra", "bram": "block"}


def rtl_context(plan: Plan, qgraph: QGraph) -> dict[str, object]:
    """What the RTL templates read: the HLS context plus Verilog-specific figures."""
    ctx = hls_context(plan, qgraph)
    table = layer_table(plan, qgraph)
    min_shift = min([e.shift for e in table] + [0])
    ctx["max_lshift"] = min(32, -min_shift)
    act_w = int(ctx["act_w"])  # type: ignore[arg-type]
    # the average pool's sum (exact for its pixel count) and multiplier widths
    avg = [e for e in table if e.op == OP_AVGPOOL]
    sum_w = max([avgpool_sum_width(act_w, e.in_h * e.in_w) for e in avg] + [act_w + 2])
    if sum_w > 32:  # refused before any work by fpgagen.machine.rules; a guard here
        raise FpgagenError(f"the average pool's sum needs {sum_w} bits; the engine supports 32 "
                           "(use narrower activations)")
    ctx["sum_w"] = sum_w
    # two MACs per DSP: the Plan decided from the board and the widths; the widths here are
    # the engine's own (XA_W, W_W), so check that they agree
    if plan.engine.pack:
        xa_w = mac_operand_bits(act_w, int(ctx["in_w"]))  # type: ignore[arg-type]
        problem = pack_problem(plan.board.dsp_slice, xa_w, int(ctx["w_w"]))  # type: ignore
        if problem:
            raise AssertionError(f"the Plan packs engine {plan.engine}, but {problem}")
    ctx["pack"] = int(plan.engine.pack)
    ctx["m_w"] = max([e.avg_mult.bit_length() for e in avg] + [1])
    ctx["max_align"] = max([max(e.align0, e.align1) for e in table if e.op == OP_ADD] + [0])
    ctx["nf"] = len(RTL_FIELDS)
    # the engine's drain, from the latency table the cycle model sums (fg_engine checks it)
    ctx["drain"] = timing(plan.engine).drain
    ctx["cw"] = counter_bits(rtl_table(table, plan.stage_taps))
    ctx["ram_style"] = {k: RAM_STYLE[v] for k, v in ctx["impl"].items()}  # type: ignore[union-attr]
    # the Plan's block-RAM columns, built as separate memories (fpgagen/machine/columns.py)
    arena, staging = plan.memories[ACTIVATIONS], plan.memories[INPUT_STAGING]
    if arena.width != plan.engine.p_in * act_w:
        raise AssertionError(f"arena word {arena.width} bits != P_IN x ACT_W")
    banks = arena_banks(plan.engine)
    arena_cols = arena_columns(arena, banks)
    ctx["arena_banks"] = banks
    ctx["arena_bank_depth"] = max(2, arena.parts[0].depth)
    ctx["arena_cols"] = [{"offset": c.offset, "width": c.width, "ultra": c.ultra}
                         for c in arena_cols]
    ctx["arena_col"] = col_params(arena_cols)
    ctx["stage_col"] = banked_col_params([part_columns(m, staging.width)
                                          for m in staging.parts])
    ctx["banner"] = BANNER
    ctx.update(stream_context(plan, qgraph))
    ctx["wmem_depth"] = max(2, int(ctx["wmem_depth"]))  # type: ignore[arg-type]
    ctx["bmem_depth"] = max(2, int(ctx["bmem_depth"]))  # type: ignore[arg-type]
    ctx["stage_depth"] = max(2, int(ctx["stage_depth"]))  # type: ignore[arg-type]
    ctx["stage_last_entry"] = last_staging_reader(table)
    ctx["stage_slots"] = plan.staging_slots
    return ctx


def stream_context(plan: Plan, qgraph: QGraph) -> dict[str, object]:
    """The stream ports' geometry (fpgagen/plan/streams.py) and the build's identity, as the top,
    its bench and bench.json read them."""
    fmt = build_stream_format(qgraph)
    return {
        "tdata_bits": fmt.tdata_bits, "in_vb": fmt.in_value_bytes, "out_vb": fmt.out_value_bytes,
        "in_values": fmt.in_values, "in_beats": fmt.in_beats, "out_beats": fmt.out_beats,
        "in_last_bytes": fmt.in_payload_bytes - (fmt.in_beats - 1) * fmt.tdata_bytes,
        "out_last_bytes": fmt.out_payload_bytes - (fmt.out_beats - 1) * fmt.tdata_bytes,
        "in_width": fmt.in_width, "in_signed": int(fmt.in_signed),
        "build_id_hex": f"{build_id(plan, qgraph):08x}",
    }


def bench_info(plan: Plan, qgraph: QGraph, ctx: dict[str, object]) -> dict[str, object]:
    """What the RTL bench's Python side needs to compare and count (rtl/bench.json)."""
    graph = qgraph.graph
    table = layer_table(plan, qgraph)
    return {
        "model": graph.name, "p_in": plan.engine.p_in, "p_out": plan.engine.p_out,
        "act_w": ctx["act_w"], "out_w": ctx["out_w"], "out_signed": ctx["out_signed"],
        "out_count": ctx["out_count"],
        # the streams (fpgagen/plan/streams.py): the bench packs and unpacks with the driver's code
        **{k: ctx[k] for k in ("tdata_bits", "in_width", "in_signed", "in_values", "in_beats",
                               "out_beats", "out_last_bytes", "build_id_hex")},
        "entries": [{"name": e.name, "macs": graph.macs(graph.layer(e.name))} for e in table],
        "views": ctx["views"],
        # the arena's columns, dumped one file each per bank
        # (fpgagen_tb.v: <prefix><entry>_b<bank>_c<k>.hex; word a in bank a mod banks)
        "arena_columns": ctx["arena_cols"], "arena_banks": ctx["arena_banks"],
        "output": graph.output,
    }


def build_id(plan: Plan, qgraph: QGraph) -> int:
    """A 32-bit identity of the machine a build describes: CRC-32 of its layer table, weight
    and bias images and stream geometry. The RTL core returns it in register 0x18, so a driver
    can refuse a bitstream that is not the build folder it was given."""
    dp = datapath(plan, qgraph)
    dp_w, dp_b = dp.w_w, dp.b_w
    crc = zlib.crc32("\n".join(table_words(rtl_table(layer_table(plan, qgraph),
                                                       plan.stage_taps))).encode())
    for lanes, bits in ((weight_image(plan, qgraph), dp_w), (bias_image(plan, qgraph), dp_b)):
        rows = lanes.reshape(lanes.shape[0], -1)
        crc = zlib.crc32("\n".join(to_hex_words(rows, bits) if rows.shape[0] else []).encode(),
                         crc)
    crc = zlib.crc32(repr(build_stream_format(qgraph)).encode(), crc)
    return crc


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
    table_rows = rtl_table(layer_table(plan, qgraph), plan.stage_taps)
    (out / "layers.hex").write_text("\n".join(table_words(table_rows)) + "\n")
    written.append(out / "layers.hex")
    mems = (
        ("weights.hex", weight_image(plan, qgraph).reshape(-1, p_out * p_in), dp_w,
         int(ctx["wmem_depth"])),  # type: ignore[arg-type]
        ("biases.hex", bias_image(plan, qgraph), dp_b, int(ctx["bmem_depth"])),  # type: ignore
    )
    for fname, lanes, bits, depth in mems:
        rows = lanes.reshape(lanes.shape[0], -1)
        words = to_hex_words(rows, bits) if rows.shape[0] else []
        path = out / fname
        _write_hex(path, words, depth, ceil_div(rows.shape[1] * bits, 4))
        written.append(path)
    bench = out / "bench.json"
    bench.write_text(json.dumps(bench_info(plan, qgraph, ctx), indent=1) + "\n")
    written.append(bench)
    hw = data_dir("hw")
    for name in (*(f"{mod}.v" for mod in HW_MODULES), *HW_HEADERS):
        dst = out / name
        shutil.copyfile(hw / name, dst)
        written.append(dst)
    # last: the Vivado script lists the sources and memory images now in the folder
    written += emit_vivado(out, {**ctx, **vivado_context(plan)})
    return written
