"""The engine's layer table: one row of plain integers per executed layer, from Plan + QGraph.

Both code generators emit this same table (a C++ constant array for HLS, a ROM for the Verilog
sequencer), so the two machines cannot disagree about addresses, shifts or modes: everything
here is read from the Plan (placements, weight bases, fusion) and the QGraph (types, shifts,
modes) and nothing is recomputed by a template.

Addressing, for a tensor placed by the Plan: pixel (y, x) of a tensor is at word
``base + (row * W + x) * pix_stride`` where ``row = y`` or, for a fused conv's ring of R rows,
``row = y % R``; a pixel owns ``blocks`` consecutive words of ``p_in`` lanes (channel c is lane
``c % p_in`` of word ``c // p_in``). The input image lives in the input staging memory instead:
one word per pixel holding all C_in channels.

Concat layers do not appear: their producers write into channel slices in place. A conv fused
with the max-pool after it has ``fuse_pool = 1`` and is immediately followed by that pool's row
(``fused = 1``); the engine interleaves conv rows and pool rows.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import Layer
from fpgagen.plan.memory import RING, STAGING, TensorPlacement
from fpgagen.plan.plan import Plan
from fpgagen.quant.quantize import QGraph
from fpgagen.util.arith import ceil_div

OP_CONV, OP_MAXPOOL, OP_AVGPOOL, OP_ADD = 0, 1, 2, 3
OP_CODES = {"conv": OP_CONV, "maxpool": OP_MAXPOOL, "avgpool": OP_AVGPOOL, "add": OP_ADD}
ROUNDING_CODES = {"AP_TRN": 0, "AP_RND": 1, "AP_RND_CONV": 2}
SATURATION_CODES = {"AP_SAT": 0, "AP_WRAP": 1}


@dataclass(frozen=True)
class LayerEntry:
    """One executed layer. Every field is an int (a ROM row); ``name`` is for humans only."""

    name: str
    op: int
    # input (for add: the first operand)
    in_h: int
    in_w: int
    in_blocks: int        # words per pixel read (ceil(C_in / p_in)); 1 for the staging image
    in_base: int
    in_stride: int        # words between consecutive pixels
    in_ring: int          # 0, or R for a fused conv's ring of R rows
    in_staging: int       # 1: read the input staging memory (the image), not the arena
    in_signed: int
    # second operand of add
    in2_base: int
    in2_stride: int
    in2_signed: int
    align0: int
    align1: int
    # output
    out_h: int
    out_w: int
    out_blocks: int       # words per pixel written (ceil(C_out / p_in))
    out_base: int
    out_stride: int
    out_ring: int
    out_signed: int
    out_width: int
    # window (conv, maxpool)
    kernel: int
    stride: int
    pad: int
    # conv
    out_groups: int       # ceil(C_out / p_out)
    split: int            # input-word groups of a narrow 1x1 conv (engine.conv_split), else 1
    w_base: int
    b_base: int
    bias_shift: int
    # requantize (conv, avgpool, add)
    shift: int
    rounding: int
    saturation: int
    relu: int
    avg_mult: int
    clip: int             # 1: clamp the rounded value to [clip_lo, clip_hi] (Clip, ReLU6)
    clip_lo: int          # the clamp's bounds, integers of the output type (QLayer.clip)
    clip_hi: int
    # fusion
    fuse_pool: int        # conv: the next entry is a max-pool fed row by row from the ring
    fused: int            # maxpool: run interleaved by the conv before it

    def values(self) -> tuple[int, ...]:
        """The integer fields in declaration order (the ROM row)."""
        return astuple(self)[1:]


FIELD_NAMES = tuple(f.name for f in fields(LayerEntry))[1:]


def _placement_addr(t: TensorPlacement) -> tuple[int, int, int]:
    return t.offset, t.pixel_stride, t.ring_rows if t.kind == RING else 0


def _blocks(channels: int, p_in: int) -> int:
    return ceil_div(channels, p_in)


def layer_table(plan: Plan, qgraph: QGraph) -> tuple[LayerEntry, ...]:
    """The executed layers in schedule order, as `LayerEntry` rows."""
    if plan.graph.name != qgraph.graph.name or plan.schedule[-1].layers[-1] not in \
            qgraph.graph.shapes:
        raise ValueError("plan and qgraph describe different graphs")
    return _rows(plan, qgraph)


def layer_geometry(plan: Plan) -> tuple[LayerEntry, ...]:
    """The layer table with only what the Plan decides (sizes, windows, addresses, weight
    bases, fusion); the QGraph's fields (signedness, widths, shifts, modes) are 0.

    `fpgagen check` does not quantize, yet must refuse every table the engine cannot walk
    (fpgagen.machine.rules): its counters and address fields depend on this geometry alone.
    """
    return _rows(plan, None)


def _rows(plan: Plan, qgraph: QGraph | None) -> tuple[LayerEntry, ...]:
    graph = plan.graph
    p_in = plan.engine.p_in
    tensors = plan.tensors
    fused_convs = {f.conv for f in plan.fusions}
    fused_pools = {f.pool for f in plan.fusions}
    order = [name for step in plan.schedule for name in step.layers]
    rows: list[LayerEntry] = []
    for name in order:
        lay = graph.layer(name)
        if lay.op == "concat":
            continue
        src = tensors[lay.inputs[0]]
        ih, iw, ic = graph.shape(lay.inputs[0])
        oh, ow, oc = graph.shape(name)
        staging = src.kind == STAGING
        problem = image_reader_problem(lay, ic, p_in) if staging else None
        if problem:
            raise FpgagenError(problem)
        in_base, in_stride, in_ring = (0, 1, 0) if staging else _placement_addr(src)
        out_base, out_stride, out_ring = _placement_addr(tensors[name])
        in2_base, in2_stride = (0, 0)
        if lay.op == "add":
            b = tensors[lay.inputs[1]]
            in2_base, in2_stride = b.offset, b.pixel_stride
        wl = plan.weights.get(name)
        rows.append(LayerEntry(
            name=name, op=OP_CODES[lay.op],
            in_h=ih, in_w=iw, in_blocks=1 if staging else _blocks(ic, p_in),
            in_base=in_base, in_stride=in_stride, in_ring=in_ring, in_staging=int(staging),
            in2_base=in2_base, in2_stride=in2_stride,
            out_h=oh, out_w=ow, out_blocks=_blocks(oc, p_in), out_base=out_base,
            out_stride=out_stride, out_ring=out_ring,
            kernel=lay.kernel if lay.op in ("conv", "maxpool") else 1,
            stride=lay.stride if lay.op in ("conv", "maxpool") else 1,
            pad=lay.pad if lay.op in ("conv", "maxpool") else 0,
            out_groups=wl.out_groups if wl else 0, split=wl.split if wl else 1,
            w_base=wl.base if wl else 0,
            b_base=wl.bias_base if wl else 0, relu=int(lay.relu),
            fuse_pool=int(name in fused_convs), fused=int(name in fused_pools),
            **_quant_fields(qgraph, name)))
    for i, row in enumerate(rows):
        if row.fuse_pool and not (i + 1 < len(rows) and rows[i + 1].fused):
            raise AssertionError(f"fused conv {row.name} is not followed by its pool")
    return tuple(rows)


_QUANT_FIELDS = ("in_signed", "in2_signed", "align0", "align1", "out_signed", "out_width",
                 "bias_shift", "shift", "rounding", "saturation", "avg_mult", "clip",
                 "clip_lo", "clip_hi")


def _quant_fields(qgraph: QGraph | None, name: str) -> dict[str, int]:
    """The fields the QGraph decides for one layer (all 0 without a QGraph)."""
    if qgraph is None:
        return dict.fromkeys(_QUANT_FIELDS, 0)
    ql = qgraph.qlayer(name)
    lay = ql.layer
    add = lay.op == "add"
    return {
        "in_signed": int(ql.in_type.signed),
        "in2_signed": int(qgraph.type(lay.inputs[1]).signed) if add else 0,
        "align0": ql.align_shifts[0] if add else 0,
        "align1": ql.align_shifts[1] if add else 0,
        "out_signed": int(ql.out_type.signed), "out_width": ql.out_type.width,
        "bias_shift": ql.bias_shift, "shift": ql.shift,
        "rounding": ROUNDING_CODES[ql.rounding], "saturation": SATURATION_CODES[ql.saturation],
        "avg_mult": ql.avg_mult,
        "clip": int(ql.clip is not None),
        "clip_lo": ql.clip[0] if ql.clip else 0, "clip_hi": ql.clip[1] if ql.clip else 0,
    }


def last_staging_reader(table: tuple[LayerEntry, ...]) -> int:
    """The last row that reads the input staging memory: the conv on the image, or the pool
    row of its fused pair (the pair ends with that row). When it is done, the image's staging
    slot can take the next image (the double-buffered staging of hw/fg_engine.v)."""
    last = 0
    for i, e in enumerate(table):
        if e.in_staging:
            last = i + 1 if e.fuse_pool else i
    return last


def image_reader_problem(lay: Layer, channels: int, p_in: int | None) -> str | None:
    """Why ``lay`` cannot read the input image (``channels`` per pixel) on an engine of ``p_in``
    lanes (None: on any engine), or None.

    The image sits in the input staging memory, one pixel of all its channels per word, and
    only the conv unit reads that memory (its taps packed into the P_in lanes); every other
    unit reads the arena. So a layer on the image must be a conv, and the image's channels
    must fit the P_in lanes.
    """
    if lay.op != "conv":
        return (f"layer {lay.name!r} ({lay.op}) reads the input image: the engine supports "
                "only a conv there (the image sits in the input staging memory, which only the "
                "conv unit reads)")
    if p_in is not None and channels > p_in:
        return (f"conv {lay.name!r} reads the {channels}-channel input image: the engine takes "
                f"at most P_in = {p_in} channels there (use --pe with P_in >= {channels})")
    return None


@dataclass(frozen=True)
class TensorView:
    """Where the testbenches find a layer's output in the arena after it ran (debug compare).

    ``channel_offset`` is in channels (a multiple of p_in for views into a concat); a fused
    conv's ring is not comparable whole and has no view.
    """

    name: str
    h: int
    w: int
    c: int
    base: int
    stride: int
    after_entry: int  # index into the layer table after which the tensor is complete
    signed: int


def tensor_views(plan: Plan, qgraph: QGraph, table: tuple[LayerEntry, ...]
                 ) -> tuple[TensorView, ...]:
    """Every layer output a testbench can read back, with the table entry that completes it."""
    graph = qgraph.graph
    index = {e.name: i for i, e in enumerate(table)}
    views = []
    for lay in graph.layers:
        t = plan.tensors[lay.name]
        if t.kind == RING:
            continue
        if lay.op == "concat":
            after = max(index[p] for p in lay.inputs if p in index)
        else:
            after = index[lay.name]
        h, w, c = graph.shape(lay.name)
        views.append(TensorView(lay.name, h, w, c, t.offset, t.pixel_stride, after,
                                int(qgraph.type(lay.name).signed)))
    return tuple(sorted(views, key=lambda v: v.after_entry))


@dataclass(frozen=True)
class Datapath:
    """Bit widths of the engine's datapath, shared by the HLS and Verilog generators.

    ``acc_w`` covers every accumulation the table asks for: each conv's exact accumulator
    (QLayer.acc_width), the avgpool's ``sum * M`` and the add's aligned sum, so no layer can
    overflow it (docs/design.md §2 (Fixed point)).
    """

    p_in: int
    p_out: int
    act_w: int
    in_w: int
    in_c: int
    w_w: int
    b_w: int
    acc_w: int
    out_w: int
    out_signed: int


def datapath(plan: Plan, qgraph: QGraph) -> Datapath:
    graph = qgraph.graph
    p_in, p_out = plan.engine.p_in, plan.engine.p_out
    act_w = plan.activations.word_bits // p_in
    need = [act_w + 2]
    for ql in qgraph.qlayers.values():
        lay = ql.layer
        if lay.op == "conv":
            need.append(ql.acc_width)
        elif lay.op == "avgpool":
            h, w, _ = graph.in_shape(lay)
            need.append(act_w + 1 + (h * w - 1).bit_length() + ql.avg_mult.bit_length() + 1)
        elif lay.op == "add":
            need.append(act_w + 1 + max(ql.align_shifts) + 2)
    acc_w = max(need)
    if acc_w + 2 > 64:
        raise FpgagenError(f"the engine's accumulator would need {acc_w} bits; at most 62 are "
                           "supported (use a narrower --precision)")
    out_type = qgraph.output_type
    return Datapath(p_in, p_out, act_w, qgraph.input_type.width, graph.input_shape[2],
                    plan.weight_word_bits // (p_in * p_out), plan.bias_word_bits // p_out,
                    acc_w, out_type.width, int(out_type.signed))
