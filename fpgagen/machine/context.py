"""The machine of one build, lowered once from Plan + QGraph: what both code generators read.

The HLS generator (`fpgagen.hls.emit`) and the Verilog generator (`fpgagen.rtl.emit`) build the
same machine: one layer table, one datapath, one stream format, the same memories and the same
identity. Everything they share is computed here, once, by `lower`; each generator adds only
what its language needs (pragmas and loop trip counts, Verilog column parameters) and neither
reads the other. The system and driver generators read the same `Machine`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.machine.engine_table import RtlRow, counter_bits, rtl_table, table_words
from fpgagen.machine.layertable import (
    OP_ADD,
    OP_AVGPOOL,
    OP_CONV,
    Datapath,
    LayerEntry,
    TensorView,
    datapath,
    last_staging_reader,
    layer_table,
    tensor_views,
)
from fpgagen.machine.memimage import bias_image, to_hex_words, weight_image
from fpgagen.machine.weightload import WeightLoad, crc32, load_bytes
from fpgagen.plan.engine import avgpool_sum_width, mac_operand_bits, pack_problem
from fpgagen.plan.memory import RING
from fpgagen.plan.plan import (
    ACTIVATIONS,
    BIASES,
    INPUT_STAGING,
    WEIGHTS,
    Plan,
    arena_banks,
    arena_groups,
)
from fpgagen.plan.streams import StreamFormat, build_stream_format
from fpgagen.quant.quantize import QGraph

# the smallest depth of any generated memory: an address of at least one bit (a Verilog
# $clog2(1) = 0-bit address and a one-element HLS array are both degenerate)
MIN_DEPTH = 2
# the widest sum the average pool's hardware takes (hw/fg_avgpool.v, the HLS core's sum)
MAX_SUM_BITS = 32


@dataclass(frozen=True, eq=False)
class Machine:
    """One build's machine: the layer table, its engine rows, widths, streams and memories."""

    plan: Plan
    qgraph: QGraph
    table: tuple[LayerEntry, ...]
    rows: tuple[RtlRow, ...]   # the engine's table rows (every step the counters add)
    datapath: Datapath
    stream: StreamFormat
    xa_w: int                  # bits of the MAC array's activation operand
    counter_bits: int          # the engine's loop counter width (CW)
    sum_w: int                 # the average pool's exact sum
    m_w: int                   # the average pool's multiplier
    max_align: int             # the add's largest alignment shift
    max_lshift: int            # the requantizer's largest left shift
    views: tuple[TensorView, ...]

    # --- the engine ---
    @property
    def p_in(self) -> int:
        return self.plan.engine.p_in

    @property
    def p_out(self) -> int:
        return self.plan.engine.p_out

    @property
    def p_pix(self) -> int:
        """Output pixels a beat (`EngineConfig.p_pix`): the arena's pixel banks."""
        return self.plan.engine.p_pix

    @property
    def pack(self) -> bool:
        """Two MACs per DSP (`EngineConfig.pack`)."""
        return self.plan.engine.pack

    # --- memories ---
    def depth(self, memory: str) -> int:
        """Words of a memory as generated: the Plan's depth, at least MIN_DEPTH."""
        return max(MIN_DEPTH, self.plan.memories[memory].depth)

    def impl(self, memory: str) -> str:
        """Where the Plan maps a memory: "uram" or "bram"."""
        return "uram" if self.plan.memories[memory].mapping.uram else "bram"

    @property
    def arena_banks(self) -> int:
        return arena_banks(self.plan.engine)

    @property
    def arena_bank_depth(self) -> int:
        """Words of one arena bank (one part of the arena memory)."""
        return max(MIN_DEPTH, self.plan.memories[ACTIVATIONS].parts[0].depth)

    @property
    def arena_groups(self) -> int:
        return arena_groups(self.plan.engine)

    @property
    def conv_words(self) -> int:
        """Arena words of one conv result: one per bank, written in one cycle."""
        return self.plan.engine.result_words

    @property
    def stage_taps(self) -> int:
        return self.plan.stage_taps

    @property
    def stage_banks(self) -> int:
        """Banks of the staging memory (`fpgagen.plan.plan.staging_banks`)."""
        return self.plan.stage_banks or self.plan.stage_taps

    @property
    def stage_slots(self) -> int:
        return self.plan.staging_slots

    @property
    def stage_depth(self) -> int:
        """Pixels of one input image (staging words per slot, over all banks)."""
        h, w, _ = self.qgraph.graph.input_shape
        return max(MIN_DEPTH, h * w)

    @property
    def stage_rows(self) -> int:
        """Words of one staging bank per image slot."""
        return self.plan.memories[INPUT_STAGING].parts[0].depth // self.plan.staging_slots

    @property
    def stage_last_entry(self) -> int:
        """The table row after which the image's staging slot is free."""
        return last_staging_reader(self.table)

    @property
    def weight_depth(self) -> int:
        return self.depth(WEIGHTS)

    @property
    def bias_depth(self) -> int:
        return self.depth(BIASES)

    # --- the weights: from the bitstream or loaded at run time ---
    @property
    def weights_init(self) -> bool:
        """The bitstream initializes the weight and bias memories (valid from reset); False:
        they start empty and a host loads weights.bin first (`Plan.weight_source`)."""
        return self.plan.weights_in_bitstream

    @property
    def weight_load(self) -> WeightLoad:
        """The geometry of weights.bin, the load stream (`fpgagen.machine.weightload`)."""
        dp = self.datapath
        return WeightLoad(self.stream.tdata_bits, self.p_in * self.p_out * dp.w_w,
                          self.weight_depth, self.p_out * dp.b_w, self.bias_depth)

    @cached_property
    def weights_bin(self) -> bytes:
        """weights.bin: the bytes a host sends in load mode."""
        dp = self.datapath
        return load_bytes(self.weight_load, self.weight_words, dp.w_w, self.bias_words, dp.b_w)

    @property
    def weights_crc(self) -> int:
        return crc32(self.weights_bin)

    # --- the output ---
    @property
    def out_base(self) -> int:
        """Arena word of the logits (the last layer's output, streamed from the arena)."""
        return self.plan.tensors[self.qgraph.graph.output].offset

    @property
    def out_count(self) -> int:
        graph = self.qgraph.graph
        return int(np.prod(graph.shape(graph.output)))

    # --- memory contents and identity ---
    @cached_property
    def weight_words(self) -> np.ndarray:
        """The weight memory's contents, lanes per word (`fpgagen.machine.memimage`)."""
        return weight_image(self.plan, self.qgraph)

    @cached_property
    def bias_words(self) -> np.ndarray:
        return bias_image(self.plan, self.qgraph)

    @cached_property
    def build_id(self) -> int:
        """A 32-bit identity of the bitstream: CRC-32 of its layer table, the weight and bias
        images when the bitstream holds them, the weight load's geometry and the stream
        format. The core returns it in a register, so a driver can refuse a bitstream that is
        not the build folder it was given. Weights loaded at run time are not part of it: new
        weights for the same network (`fpgagen pack-weights`) run on the same bitstream."""
        dp = self.datapath
        crc = zlib.crc32("\n".join(table_words(self.rows)).encode())
        if self.weights_init:
            for lanes, bits in ((self.weight_words, dp.w_w), (self.bias_words, dp.b_w)):
                rows = lanes.reshape(lanes.shape[0], -1)
                crc = zlib.crc32("\n".join(to_hex_words(rows, bits) if rows.shape[0] else [])
                                 .encode(), crc)
        crc = zlib.crc32(repr((self.plan.weight_source, self.weight_load)).encode(), crc)
        return zlib.crc32(repr(self.stream).encode(), crc)


def _check_packing(plan: Plan, table: tuple[LayerEntry, ...], xa_w: int, w_w: int) -> None:
    """A packed engine (two output channels per DSP) needs the widths the Plan packed for,
    and the two channels of a pair in one column group of every split conv (they share the
    activation): a group of P_OUT / G >= 2 columns."""
    problem = pack_problem(plan.board.dsp_slice, xa_w, w_w)
    if problem:
        raise AssertionError(f"the Plan packs engine {plan.engine}, but {problem}")
    narrow = [e.name for e in table if e.op == OP_CONV and plan.engine.p_out // e.split < 2]
    if narrow:  # engine.conv_split keeps two columns a group when packed
        raise AssertionError(f"engine {plan.engine} packs two MACs per DSP, but conv "
                             f"{narrow[0]!r} is split into column groups of one column: the "
                             "pairs would take two activations")


def lower(plan: Plan, qgraph: QGraph) -> Machine:
    """The machine of ``plan`` with ``qgraph``'s numbers (pure)."""
    table = layer_table(plan, qgraph)
    dp = datapath(plan, qgraph)
    graph = qgraph.graph
    if plan.tensors[graph.output].kind == RING:
        raise AssertionError("the network's output is a ring of rows: the Plan never does that")
    if plan.memories[ACTIVATIONS].width != dp.p_in * dp.act_w:
        raise AssertionError(f"arena word {plan.memories[ACTIVATIONS].width} bits != "
                             "P_IN x ACT_W")
    xa_w = mac_operand_bits(dp.act_w, dp.in_w)
    if plan.engine.pack:
        _check_packing(plan, table, xa_w, dp.w_w)
    avg = [e for e in table if e.op == OP_AVGPOOL]
    sum_w = max([avgpool_sum_width(dp.act_w, e.in_h * e.in_w) for e in avg] + [dp.act_w + 2])
    if sum_w > MAX_SUM_BITS:  # refused before any work by fpgagen.machine.rules; a guard here
        raise FpgagenError(f"the average pool's sum needs {sum_w} bits; the engine supports "
                           f"{MAX_SUM_BITS} (use narrower activations)")
    rows = rtl_table(table, plan.stage_taps, plan.engine.p_pix)
    return Machine(
        plan=plan, qgraph=qgraph, table=table, rows=rows, datapath=dp,
        stream=build_stream_format(qgraph), xa_w=xa_w, counter_bits=counter_bits(rows),
        sum_w=sum_w, m_w=max([e.avg_mult.bit_length() for e in avg] + [1]),
        max_align=max([max(e.align0, e.align1) for e in table if e.op == OP_ADD] + [0]),
        max_lshift=min(32, -min([e.shift for e in table] + [0])),
        views=tensor_views(plan, qgraph, table))


def stream_context(fmt: StreamFormat) -> dict[str, int]:
    """The stream format as every template names it (`fpgagen.plan.streams`)."""
    return {
        "tdata_bits": fmt.tdata_bits, "tdata_bytes": fmt.tdata_bytes,
        "in_width": fmt.in_width, "in_signed": int(fmt.in_signed), "in_values": fmt.in_values,
        "in_value_bytes": fmt.in_value_bytes, "in_per_beat": fmt.in_values_per_beat,
        "in_beats": fmt.in_beats, "in_payload": fmt.in_payload_bytes,
        "in_last_bytes": fmt.in_last_bytes, "in_last_keep": (1 << fmt.in_last_bytes) - 1,
        "in_buffer_bytes": fmt.in_buffer_bytes,
        "out_value_bytes": fmt.out_value_bytes, "out_per_beat": fmt.out_values_per_beat,
        "out_beats": fmt.out_beats, "out_payload": fmt.out_payload_bytes,
        "out_last_bytes": fmt.out_last_bytes, "out_last_keep": (1 << fmt.out_last_bytes) - 1,
        "out_buffer_bytes": fmt.out_buffer_bytes,
    }


def common_context(m: Machine) -> dict[str, object]:
    """What every core template reads under the same name: the build, the datapath, the
    memories' shapes, the stream format."""
    plan, dp = m.plan, m.datapath
    return {
        "model": m.qgraph.graph.name, "board": plan.board.name, "part": plan.board.part,
        "precision": plan.precision.text,
        "p_in": dp.p_in, "p_out": dp.p_out, "act_w": dp.act_w, "in_w": dp.in_w,
        "in_c": dp.in_c, "xa_w": m.xa_w, "pack": int(m.pack), "w_w": dp.w_w, "b_w": dp.b_w,
        "acc_w": dp.acc_w, "out_w": dp.out_w, "out_signed": dp.out_signed,
        "input_type": str(m.qgraph.input_type), "output_type": str(m.qgraph.output_type),
        "arena_banks": m.arena_banks, "arena_bank_depth": m.arena_bank_depth,
        "stage_depth": m.stage_depth, "stage_slots": m.stage_slots, "taps": m.stage_taps,
        "wmem_depth": m.weight_depth, "bmem_depth": m.bias_depth,
        "n_layers": len(m.table), "out_base": m.out_base, "out_count": m.out_count,
        "build_id_hex": f"{m.build_id:08x}",
        **stream_context(m.stream),
    }
