"""The format of the engine's layer table: its fields, in ROM order, and their widths.

One row per executed layer, ``RTL_FIELDS`` 32-bit words (two's complement), one field per
word. This list is the single definition: the table writer (`fpgagen.machine.engine_table`)
fills it, the cycle model counts its row load (`fpgagen.plan.cycles`: one field a cycle), the
HLS core's table extends it, and hw/fg_engine.v decodes it through ``F_*`` indices.
"""

from __future__ import annotations

# the engine's loop counters and coordinates are at most 16 bits (hw/fg_engine.v CW)
COUNTER_BITS = 16
# a counter's all-ones value: "no ring" (the tensor is not a ring of rows)
NO_RING = (1 << COUNTER_BITS) - 1
# every field is one word of the table ROM
FIELD_BITS = 32

RTL_FIELDS = (
    "op", "in_staging", "in_signed", "in2_signed", "out_signed", "relu", "fuse_pool",
    "shift", "rounding", "sat", "out_width", "bias_shift", "align0", "align1", "avg_mult",
    "in_h", "in_w", "cb_last", "kx_last", "k_last", "og_last", "ox_last", "oy_last",
    "origin", "kx_step", "ky_step", "ox_step", "oy_step", "ix_step", "stride", "pad", "kernel",
    "w_base", "b_base", "out_base", "out_stride", "out_row_step", "out_ring_last",
    "out_blocks", "in_base", "in_stride", "in2_base", "in2_stride", "p_last", "reuse", "kx0",
    "ix_kx0", "row0", "irow0", "ring", "ring_last", "row_step", "s_row_step",
    "wrap_row_step", "col0", "col_step", "col_kx0", "need0", "gate_off", "split_lg",
    "clip", "clip_lo", "clip_hi",
)

# the fields a pixel-parallel engine's table (p_pix > 1) has after RTL_FIELDS: the phase
# (pixel bank) of a conv's or max-pool's tap -pad, (-pad) mod p_pix, and a max-pool's phase
# step per window, S mod p_pix; a table of one pixel a beat does not have them (its rows, and
# its row load, are as without pixel parallelism)
PIX_FIELDS = ("ph0", "pix_step")


def table_fields(p_pix: int) -> tuple[str, ...]:
    """The fields of a table row for an engine of ``p_pix`` pixels a beat, in ROM order."""
    return RTL_FIELDS + (PIX_FIELDS if p_pix > 1 else ())
