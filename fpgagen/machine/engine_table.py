"""The Verilog engine's layer table: the LayerEntry rows plus every derived constant the
address generators step with, so the hardware only adds (docs/design.md §6 (Silicon)).

fg_engine walks each loop nest with registers that add a per-layer step (hw/fg_conv_agu.v,
fg_pool_agu.v, fg_vec_agu.v); the products and offsets those steps need - the window origin of
a conv with padding, a row of pixels, a stride of rows, the ring slot of the row above a
padded pool - are computed here, once, from the same LayerEntry the HLS engine reads. Nothing
here decides anything new: every value is arithmetic on the Plan's placements.

The table is ``RTL_FIELDS`` 32-bit words per row (two's complement), written one word per line
to ``layers.hex``; ``fg_engine.v`` decodes fields by the same order (its ``F_*`` localparams).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgagen.errors import FpgagenError
from fpgagen.machine.layertable import (
    OP_ADD,
    OP_AVGPOOL,
    OP_CONV,
    OP_MAXPOOL,
    SATURATION_CODES,
    LayerEntry,
)
from fpgagen.plan.engine import maxpool_reuse
from fpgagen.plan.engine_fields import COUNTER_BITS, FIELD_BITS, NO_RING, table_fields
from fpgagen.util.arith import ceil_div


@dataclass(frozen=True)
class RtlRow:
    """One row of the engine's table: field name -> integer (may be negative)."""

    name: str
    fields: dict[str, int]
    p_pix: int = 1   # the engine's pixels a beat: its table has `table_fields(p_pix)`

    def values(self) -> tuple[int, ...]:
        return tuple(self.fields[f] for f in table_fields(self.p_pix))


def _conv(e: LayerEntry, taps: int, pp: int = 1) -> dict[str, int]:
    """The conv nest: cb, kx (groups of ``taps`` columns on the staging memory), ky, og, ox,
    oy. Arena addresses are words; staging addresses are pixel indices (one word per pixel,
    spread over the staging banks by the hardware).

    A split 1x1 conv (``e.split`` = G > 1, `fpgagen.plan.engine.conv_split`) walks its beats as
    the kernel-column level: one "column" per G input words (kx_step G, ix_step 0 so the tap
    stays on the pixel), cb_last 0; the engine reads the G words at once (split_lg).

    With ``pp`` pixels a beat ox counts groups of pp output pixels (rows of ceil(W / pp)
    groups, out_row_step a row of groups). On the arena the addresses are group addresses:
    the tap -pad is the group floor(-pad / pp) at phase (-pad) mod pp (ph0), a row is
    ceil(in_w / pp) groups, a kernel column step one pixel (the engine's phase, stepping the
    group on its wrap: kx_step one group) and a group of outputs one group (stride 1); on the
    staging memory the pixel index steps s * pp pixels a group."""
    staging = bool(e.in_staging)
    t = taps if staging else 1
    in_base = 0 if staging else e.in_base
    in_stride = 1 if staging else e.in_stride
    row_step = e.in_w * in_stride
    if pp > 1:
        out = {"ox_last": ceil_div(e.out_w, pp) - 1,
               "out_row_step": ceil_div(e.out_w, pp) * e.out_stride}
        if staging:
            return {**_conv(e, taps), **out, "ox_step": e.stride * pp, "ph0": 0}
        if e.stride != 1:
            raise AssertionError(f"conv {e.name!r}: stride {e.stride} on {pp} pixels a beat")
        row_step = ceil_div(e.in_w, pp) * in_stride
        base = {**_conv(e, taps), **out, "ky_step": row_step, "oy_step": row_step,
                "ox_step": in_stride, "ph0": (-e.pad) % pp,
                "origin": in_base - e.pad * row_step + ((-e.pad) // pp) * in_stride}
        return base
    if e.split > 1:
        if e.kernel != 1 or staging or e.in_blocks % e.split or e.split & (e.split - 1):
            raise AssertionError(f"conv {e.name!r}: split {e.split} of a {e.kernel}x{e.kernel} "
                                 f"conv with {e.in_blocks} input words")
        beats = e.in_blocks // e.split
        return {
            "cb_last": 0, "kx_last": beats - 1, "k_last": 0, "og_last": e.out_groups - 1,
            "ox_last": e.out_w - 1, "oy_last": e.out_h - 1,
            "origin": in_base - e.pad * row_step - e.pad * in_stride,
            "kx_step": e.split, "ky_step": row_step, "ox_step": e.stride * in_stride,
            "oy_step": e.stride * row_step, "ix_step": 0,
            "out_ring_last": e.out_ring - 1 if e.out_ring else NO_RING,
            "split_lg": e.split.bit_length() - 1,
        }
    return {
        "cb_last": e.in_blocks - 1,
        "kx_last": ceil_div(e.kernel, t) - 1,
        "k_last": e.kernel - 1,
        "og_last": e.out_groups - 1,
        "ox_last": e.out_w - 1,
        "oy_last": e.out_h - 1,
        "origin": in_base - e.pad * row_step - e.pad * in_stride,
        "kx_step": t if staging else in_stride,
        "ky_step": row_step,
        "ox_step": e.stride * in_stride,
        "oy_step": e.stride * row_step,
        "ix_step": t,
        "out_ring_last": e.out_ring - 1 if e.out_ring else NO_RING,
    }


def _maxpool(e: LayerEntry, pp: int = 1) -> dict[str, int]:
    """The max-pool nest: kx (from kx0 for all but a row's first window when S < K <= 2S),
    ky, ox, cb, oy; input rows in a ring of R rows when the pool is fused with its conv.

    With ``pp`` pixels a beat kx counts the window's column chunks of pp pixels (kx_last), no
    column is carried, and the addresses are group addresses: rows of ceil(W / pp) groups, the
    window's column -pad the group floor(-pad / pp) at phase (-pad) mod pp (ph0), a window
    step S pixels = S div pp groups (col_step) and S mod pp phases (pix_step, a group more on
    the phase's wrap: kx_step, one group, which is also the chunk step)."""
    k, s, pad, ring = e.kernel, e.stride, e.pad, e.in_ring
    if ring and s > ring:
        raise FpgagenError(f"max-pool {e.name!r}: stride {s} exceeds its ring of {ring} rows")
    reuse = maxpool_reuse(k, s) and pp == 1
    kx0 = k - s if reuse else 0
    row_step = ceil_div(e.in_w, pp) * e.in_stride
    irow0 = (-pad) % ring if ring else 0
    return {
        "cb_last": e.in_blocks - 1,
        "k_last": k - 1,
        "ox_last": e.out_w - 1,
        "oy_last": e.out_h - 1,
        "reuse": int(reuse),
        "kx0": kx0,
        "ix_kx0": s + kx0,
        "row0": e.in_base + irow0 * row_step if ring else e.in_base - pad * row_step,
        "irow0": irow0,
        "ring": ring if ring else NO_RING,
        "ring_last": ring - 1 if ring else NO_RING,
        "row_step": row_step,
        "s_row_step": s * row_step,
        "wrap_row_step": (s - ring) * row_step if ring else 0,
        "col0": ((-pad) // pp) * e.in_stride if pp > 1 else -pad * e.in_stride,
        "kx_step": e.in_stride,
        "col_step": (s // pp if pp > 1 else s) * e.in_stride,
        "col_kx0": (s + kx0) * e.in_stride,
        **({"kx_last": ceil_div(k, pp) - 1, "ph0": (-pad) % pp, "pix_step": s % pp,
            "out_row_step": ceil_div(e.out_w, pp) * e.out_stride} if pp > 1 else {}),
        # fused: the last conv row pool row 0 reads; a conv row r may overwrite its ring slot
        # once r + pad - R < S x (pool rows issued)
        "need0": k - 1 - pad,
        "gate_off": pad - ring,
    }


def _vec(e: LayerEntry, pp: int = 1) -> dict[str, int]:
    """Average pool (cb, then pixels) and add (pixels, then cb, then operand a / b). With
    ``pp`` pixels a beat an add walks pixel groups (rows of ceil(W / pp): p_last counts
    groups, its output rows too), the average pool each row's pixels (row_step: a row of
    groups; the engine counts the pixels of a row from in_w)."""
    if pp > 1:
        groups = ceil_div(e.in_w, pp)
        if e.op == OP_ADD:
            return {"cb_last": e.out_blocks - 1, "p_last": e.in_h * groups - 1,
                    "out_row_step": ceil_div(e.out_w, pp) * e.out_stride}
        return {"cb_last": e.in_blocks - 1, "p_last": e.in_h * e.in_w - 1,
                "row_step": groups * e.in_stride}
    return {
        "cb_last": (e.out_blocks if e.op == OP_ADD else e.in_blocks) - 1,
        "p_last": e.in_h * e.in_w - 1,
    }


def rtl_row(e: LayerEntry, taps: int, p_pix: int = 1) -> RtlRow:
    """The engine's row for one layer-table entry (``p_pix``: the engine's pixels a beat)."""
    f = dict.fromkeys(table_fields(p_pix), 0)
    f.update({
        "op": e.op, "in_staging": e.in_staging, "in_signed": e.in_signed,
        "in2_signed": e.in2_signed, "out_signed": e.out_signed, "relu": e.relu,
        "fuse_pool": e.fuse_pool, "shift": e.shift, "rounding": e.rounding,
        "sat": int(e.saturation == SATURATION_CODES["AP_SAT"]), "out_width": e.out_width,
        "bias_shift": e.bias_shift, "align0": e.align0, "align1": e.align1,
        "avg_mult": e.avg_mult, "clip": e.clip, "clip_lo": e.clip_lo, "clip_hi": e.clip_hi,
        "in_h": e.in_h, "in_w": e.in_w, "stride": e.stride,
        "pad": e.pad, "kernel": e.kernel, "w_base": e.w_base, "b_base": e.b_base,
        "out_base": e.out_base, "out_stride": e.out_stride,
        "out_row_step": e.out_w * e.out_stride, "out_blocks": e.out_blocks,
        "in_base": e.in_base, "in_stride": e.in_stride, "in2_base": e.in2_base,
        "in2_stride": e.in2_stride,
    })
    if e.op == OP_CONV:
        if e.in_ring:
            raise FpgagenError(f"conv {e.name!r} reads a ring of rows: not supported")
        f.update(_conv(e, taps, p_pix))
    elif e.op == OP_MAXPOOL:
        f.update(_maxpool(e, p_pix))
    elif e.op in (OP_AVGPOOL, OP_ADD):
        f.update(_vec(e, p_pix))
    _check_ranges(e, f)
    return RtlRow(e.name, f, p_pix)


_COUNTS = ("in_h", "in_w", "cb_last", "kx_last", "k_last", "og_last", "ox_last", "oy_last",
           "p_last", "stride", "pad", "kernel", "out_blocks", "kx0", "ix_kx0", "irow0")


def _check_ranges(e: LayerEntry, f: dict[str, int]) -> None:
    """The engine's counters are COUNTER_BITS wide; the table's words FIELD_BITS."""
    for name in _COUNTS:
        if not 0 <= f[name] < NO_RING:
            raise FpgagenError(f"layer {e.name!r}: {name} = {f[name]} does not fit the engine's "
                               f"{COUNTER_BITS}-bit counters")
    lo, hi = -(1 << (FIELD_BITS - 1)), (1 << (FIELD_BITS - 1)) - 1
    for name, value in f.items():
        if not lo <= value <= hi:
            raise FpgagenError(f"layer {e.name!r}: {name} = {value} does not fit 32 bits")


def rtl_table(table: tuple[LayerEntry, ...], taps: int, p_pix: int = 1
              ) -> tuple[RtlRow, ...]:
    """The engine's rows for a layer table (``taps`` = Plan.stage_taps, ``p_pix`` the
    engine's pixels a beat)."""
    return tuple(rtl_row(e, taps, p_pix) for e in table)


def counter_bits(rows: tuple[RtlRow, ...]) -> int:
    """The engine's counter width CW: every count, and every tap coordinate a window can reach
    (input size + padding + kernel), stays below 2^(CW-1), so the no-ring sentinel (all ones)
    is never reached and the signed coordinates (CW + 1 bits) never wrap."""
    need = 1
    for row in rows:
        f = row.fields
        need = max(need, *(f[n] for n in _COUNTS),
                   f["in_h"] + 2 * f["pad"] + f["kernel"] + f["stride"],
                   f["in_w"] + 2 * f["pad"] + f["kernel"] + f["stride"])
    bits = max(4, need.bit_length() + 1)
    if bits > COUNTER_BITS:
        raise FpgagenError(f"a layer of this network counts to {need}: the engine's counters "
                           f"hold {COUNTER_BITS} bits (at most {(1 << (COUNTER_BITS - 1)) - 1})")
    return bits


def table_words(rows: tuple[RtlRow, ...]) -> list[str]:
    """layers.hex: every field of every row as an 8-digit hex word, row after row."""
    mask = (1 << FIELD_BITS) - 1
    return [f"{v & mask:08x}" for row in rows for v in row.values()]
