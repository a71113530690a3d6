"""HLS C++ generator: Plan + QGraph -> the files of ``hls/`` (templates/hls/*.j2).

Everything the C++ needs is read from the layer table, the datapath widths and the memory images
(fpgagen/machine/layertable.py, fpgagen/machine/memimage.py), which the Verilog generator reads too.
The C++ table's row is the Verilog engine's (fpgagen/machine/engine_table.py: every step and origin
the address counters add) plus the few fields of the HLS schedule (`HLS_EXTRA`), so the C++ only
adds; its memories are the Plan's (`memories` below), shaped by pragmas.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np

from fpgagen.hls.latency import conv_steps, row_jobs_max, schedule_of
from fpgagen.machine.context import Machine, common_context
from fpgagen.machine.engine_table import rtl_row
from fpgagen.machine.layertable import OP_CONV, LayerEntry
from fpgagen.plan.engine_fields import RTL_FIELDS
from fpgagen.util.arith import ceil_div
from fpgagen.util.resources import data_dir
from fpgagen.util.templating import render

SOURCES = ("fpgagen.h", "fpgagen.cpp", "layers.h", "weights.h", "tb.cpp", "run_hls.tcl")


def native_int(bits: int) -> str:
    """The smallest C integer type holding a signed ``bits``-bit value (C-simulation ROMs)."""
    for width, name in ((8, "signed char"), (16, "short"), (32, "int")):
        if bits <= width:
            return name
    return "long long"


def _c_rows(words: np.ndarray) -> list[str]:
    """A C initializer per memory word; nested braces for 2-D words."""
    if words.ndim == 2:
        return ["{" + ",".join(map(str, row)) + "}" for row in words.tolist()]
    return ["{" + ",".join("{" + ",".join(map(str, lane)) + "}" for lane in word) + "}"
            for word in words.tolist()]


# the HLS schedule's fields after the Verilog engine's: a fused pool's flag (the conv entry
# before it runs it), a conv's last step per output (hls_latency.conv_steps), its input words
# per step G (a split conv's column groups, fpgagen.plan.engine.conv_split; else 1)
HLS_EXTRA = ("fused", "taps_last", "split")
HLS_FIELDS = RTL_FIELDS + HLS_EXTRA
assert not set(HLS_EXTRA) & set(RTL_FIELDS), "an HLS field shadows the Verilog engine's"


def hls_row(e: LayerEntry, taps: int) -> tuple[int, ...]:
    """The C++ table row of one entry: the Verilog engine's row, then `HLS_EXTRA`."""
    steps = conv_steps(e, taps) if e.op == OP_CONV else 1
    return (*rtl_row(e, taps).values(), e.fused, steps - 1, e.split)


def hls_context(m: Machine) -> dict[str, object]:
    """Everything the HLS templates read: the machine's common figures and the C++ schedule's
    own (table rows with `HLS_EXTRA`, loop trip ranges, storage bindings, C types)."""
    plan, dp = m.plan, m.datapath
    sched = schedule_of(m)
    wtypes = sorted({str(ql.weight_type) for ql in m.qgraph.qlayers.values() if ql.weight_type})
    return {
        **common_context(m),
        "clock_ns": f"{1000.0 / plan.board.clock_mhz:.3f}",
        "p_out_log2": dp.p_out.bit_length() - 1,
        "in_bits": 8 * ceil_div(dp.in_w, 8), "out_bits": 8 * ceil_div(dp.out_w, 8),
        "arena_banks_log2": m.arena_banks.bit_length() - 1,
        "arena_groups": m.arena_groups, "conv_words": m.conv_words,
        "stage_rows": m.stage_rows, "taps_log2": m.stage_taps.bit_length() - 1,
        "load_iters": sched.load.total_trips,
        "trip": {**{k: sched.trip_range(k) for k in ("conv", "pool", "avg", "add")},
                 "jobs": row_jobs_max(m.table)},
        "w_native": native_int(dp.w_w), "b_native": native_int(dp.b_w),
        "fields": HLS_FIELDS,
        "rows": [{"name": e.name, "ints": hls_row(e, m.stage_taps)} for e in m.table],
        "views": [{**asdict(v), "width": m.qgraph.type(v.name).width} for v in m.views],
        "weight_types": ", ".join(wtypes),
        "impl": {name: m.impl(name) for name in plan.memories},
        # the image loader's value buffer: a pixel plus the rest of a beat
        "in_buf": dp.in_c + m.stream.in_values_per_beat - 1,
    }


def emit_hls(out: Path, m: Machine) -> list[Path]:
    """Write the HLS sources into ``out`` (a fresh folder); returns the files written."""
    ctx = hls_context(m)
    ctx["weight_words"] = _c_rows(m.weight_words)
    ctx["bias_words"] = _c_rows(m.bias_words)
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
