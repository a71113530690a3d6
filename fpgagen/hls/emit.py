"""HLS C++ generator: Plan + QGraph -> the files of ``hls/`` (templates/hls/*.j2).

Everything the C++ needs is read from the layer table, the datapath widths and the memory images
(fpgagen/machine/layertable.py, fpgagen/machine/memimage.py), which the Verilog generator reads too.
The C++ table's row is the Verilog engine's (fpgagen/machine/engine_table.py: every step and origin
the address counters add) plus the few fields of the HLS schedule (`HLS_EXTRA`), so the C++ only
adds; its memories are the Plan's HLS memories (`Plan.hls_memories`): each RAM as the Plan's
block-RAM columns (fpgagen/machine/columns.py, one array per column; an arena column has a
pixel-bank dimension, p_pix, and a word-bank one, partitioned into p_pix x NW memories), each
ROM as one array of plain unsigned integers (`rom_chunks`), shaped by pragmas. A pixel-parallel
engine's table rows carry the phase fields (`table_fields`) before `HLS_EXTRA`.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np

from fpgagen.hls.latency import row_jobs_max, schedule_of
from fpgagen.machine.columns import RtlColumn, arena_columns, part_columns
from fpgagen.machine.context import Machine, common_context
from fpgagen.machine.engine_table import rtl_row
from fpgagen.machine.layertable import LayerEntry
from fpgagen.plan.engine_fields import table_fields
from fpgagen.plan.plan import ACTIVATIONS, INPUT_STAGING
from fpgagen.quant.fixed import clog2
from fpgagen.util.arith import ceil_div
from fpgagen.util.resources import data_dir
from fpgagen.util.templating import render

SOURCES = ("fpgagen.h", "fpgagen.cpp", "layers.h", "weights.h", "tb.cpp", "run_hls.tcl")


# the clock uncertainty run_hls.tcl sets: Vitis HLS's default, stated
CLOCK_UNCERTAINTY = 0.27
# ROM chunk widths: a plain unsigned integer type per width
CHUNK_TYPES = {8: "uint8_t", 16: "uint16_t", 32: "uint32_t", 64: "uint64_t"}


def chunk_bits(lane_bits: int, word_bits: int) -> int:
    """The chunk width of a ROM word of ``word_bits`` made of ``lane_bits``-bit lanes: at least
    a lane (so a lane spans at most two chunks), at most 32 bits unless a lane is wider, the
    widest that divides the word (no padding), else the narrowest that holds a lane."""
    fits = [k for k in CHUNK_TYPES if k >= lane_bits and (k <= 32 or lane_bits > 32)]
    if not fits:
        raise AssertionError(f"a {lane_bits}-bit ROM lane: wider than 64 bits")
    exact = [k for k in fits if word_bits % k == 0]
    return max(exact) if exact else min(fits)


def rom_chunks(lanes: np.ndarray, bits: int, chunk: int) -> np.ndarray:
    """The ROM words of ``lanes`` (depth x lanes..., integers of ``bits`` bits, two's
    complement) as chunks of ``chunk`` bits: word w's bits, lane k at [k * bits, +bits), cut
    into depth x ceil(word / chunk) unsigned integers (uint64), chunk c = bits
    [c * chunk, (c + 1) * chunk), zero past the word."""
    words = lanes.reshape(lanes.shape[0], -1).astype(np.int64)
    depth, n = words.shape
    u = words.astype(np.uint64) & np.uint64((1 << bits) - 1 if bits < 64 else (1 << 64) - 1)
    flat = ((u[:, :, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    flat = flat.reshape(depth, n * bits)
    count = ceil_div(n * bits, chunk)
    flat = np.pad(flat, ((0, 0), (0, count * chunk - n * bits)))
    packed = np.packbits(flat.reshape(depth, count, chunk), axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view(f"<u{chunk // 8}").reshape(depth, count).astype(
        np.uint64)


def _c_rows(chunks: np.ndarray, chunk: int) -> list[str]:
    """A C initializer per ROM word: its chunks in hex."""
    digits, suffix = chunk // 4, "ULL" if chunk == 64 else ""
    return ["{" + ",".join(f"0x{v:0{digits}x}{suffix}" for v in row) + "}"
            for row in chunks.tolist()]


def _chunk_context(lane_bits: int, lanes: int) -> dict[str, object]:
    k = chunk_bits(lane_bits, lane_bits * lanes)
    return {"bits": k, "log2": k.bit_length() - 1, "type": CHUNK_TYPES[k],
            "chunks": ceil_div(lane_bits * lanes, k)}


def _columns(cols: list[RtlColumn], group_bits: int) -> list[dict[str, object]]:
    """The template's view of a RAM's columns: bit offset, width, lane group, binding."""
    return [{"offset": c.offset, "width": c.width, "group": c.offset // group_bits,
             "impl": "uram" if c.ultra else "bram"} for c in cols]


# the HLS schedule's fields after the Verilog engine's: a fused pool's flag (the conv entry
# before it runs it), a conv's input words per beat G (a split conv's column groups,
# fpgagen.plan.engine.conv_split; else 1)
HLS_EXTRA = ("fused", "split")
assert not set(HLS_EXTRA) & set(table_fields(2)), "an HLS field shadows the Verilog engine's"


def hls_fields(p_pix: int) -> tuple[str, ...]:
    """The C++ table's fields for an engine of ``p_pix`` pixels a beat: the Verilog engine's
    (`table_fields`: a pixel-parallel table has the phase fields), then `HLS_EXTRA`."""
    return table_fields(p_pix) + HLS_EXTRA


def hls_row(e: LayerEntry, taps: int, p_pix: int = 1) -> tuple[int, ...]:
    """The C++ table row of one entry: the Verilog engine's row, then `HLS_EXTRA`."""
    return (*rtl_row(e, taps, p_pix).values(), e.fused, e.split)


def hls_context(m: Machine) -> dict[str, object]:
    """Everything the HLS templates read: the machine's common figures and the C++ schedule's
    own (table rows with `HLS_EXTRA`, loop trip ranges, storage bindings, C types)."""
    plan, dp = m.plan, m.datapath
    sched = schedule_of(m)
    wtypes = sorted({str(ql.weight_type) for ql in m.qgraph.qlayers.values() if ql.weight_type})
    mems = plan.hls_memories
    arena, staging = mems[ACTIVATIONS], mems[INPUT_STAGING]
    stage_rows = staging.parts[0].depth
    fmt = m.stream
    in_buf = dp.in_c + fmt.in_values_per_beat - 1
    load_iters = sched.load.total_trips
    return {
        **common_context(m),
        "clock_ns": f"{1000.0 / plan.board.clock_mhz:.3f}",
        # the period less Vitis's default 27 % clock uncertainty (run_hls.tcl states it)
        "budget_ns": f"{(1 - CLOCK_UNCERTAINTY) * 1000.0 / plan.board.clock_mhz:.2f}",
        "p_out_log2": dp.p_out.bit_length() - 1,
        "in_bits": 8 * ceil_div(dp.in_w, 8), "out_bits": 8 * ceil_div(dp.out_w, 8),
        "arena_banks_log2": m.arena_banks.bit_length() - 1,
        "arena_groups": m.arena_groups, "conv_words": m.conv_words,
        "arena_groups_log2": max(1, m.arena_groups.bit_length() - 1),
        "conv_words_w": m.conv_words.bit_length(),
        "stage_rows": stage_rows,
        "p_pix": m.p_pix, "stage_banks": m.stage_banks,
        "stage_banks_log2": m.stage_banks.bit_length() - 1,
        "load_iters": load_iters,
        # the RAMs as the Plan's block-RAM columns (the arena's banks, or lane groups, and the
        # staging banks each have the same columns)
        "arena_cols": _columns(arena_columns(arena, m.arena_banks, m.p_pix),
                               arena.width // m.arena_groups),
        "stage_cols": _columns(part_columns(staging.parts[0], staging.width), staging.width),
        # loop state widths (fpgagen.h): counters, addresses (the RTL's AW), ROM addresses
        "cw": m.counter_bits,
        "aw": max(clog2(m.arena_banks * m.arena_bank_depth), clog2(m.stage_depth)) + 1,
        "wa_w": max(1, clog2(m.weight_depth)), "ba_w": max(1, clog2(m.bias_depth)),
        "sum_w": m.sum_w, "m_w": m.m_w,
        "wchunk": _chunk_context(dp.w_w, dp.p_in * dp.p_out),
        "bchunk": _chunk_context(dp.b_w, dp.p_out),
        "beat_w": fmt.in_beats.bit_length(), "fill_w": in_buf.bit_length(),
        "emit_take": max(0, dp.in_c - fmt.in_values_per_beat),
        "load_n_w": load_iters.bit_length(), "out_n_w": m.out_count.bit_length(),
        "trip": {**{k: sched.trip_range(k) for k in ("conv", "pool", "avg", "add")},
                 "jobs": row_jobs_max(m.table)},
        "fields": hls_fields(m.p_pix),
        "rows": [{"name": e.name, "ints": hls_row(e, m.stage_taps, m.p_pix)} for e in m.table],
        "views": [{**asdict(v), "width": m.qgraph.type(v.name).width} for v in m.views],
        "weight_types": ", ".join(wtypes),
        "impl": {name: m.impl(name) for name in plan.memories},
        # the image loader's value buffer: a pixel plus the rest of a beat
        "in_buf": in_buf,
    }


def emit_hls(out: Path, m: Machine) -> list[Path]:
    """Write the HLS sources into ``out`` (a fresh folder); returns the files written."""
    ctx = hls_context(m)
    dp = m.datapath
    for key, lanes, bits, chunk in (("weight_words", m.weight_words, dp.w_w, ctx["wchunk"]),
                                    ("bias_words", m.bias_words, dp.b_w, ctx["bchunk"])):
        k = int(chunk["bits"])  # type: ignore[index]
        ctx[key] = _c_rows(rom_chunks(lanes, bits, k), k) if lanes.shape[0] else []
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SOURCES:
        path = out / name
        path.write_text(render(f"hls/{name}.j2", **ctx))
        written.append(path)
    csim = out / "csim"
    shutil.copytree(data_dir("templates") / "hls" / "csim", csim, dirs_exist_ok=True)
    written.extend(sorted(csim.iterdir()))
    return written
