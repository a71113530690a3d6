"""The stream geometry of a build: TDATA width, bytes per value, beats per image and per result.

One pure function of the datapath, read by the RTL and HLS generators, the benches, the driver's
``build.json`` and the system scripts (DMA buffer sizes), so every side agrees on the bytes. The
packing itself lives in ``fpgagen.driver.fpgagen_driver`` (the file a board runs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgagen.driver.fpgagen_driver import StreamBytes, beats, value_bytes
from fpgagen.quant.quantize import QGraph

# TDATA widths a Zynq AXI DMA stream port takes without a width converter
TDATA_CHOICES = (32, 64)


@dataclass(frozen=True)
class StreamFormat(StreamBytes):
    """Both AXI4-Stream ports of a core: the same TDATA width, values packed densely."""

    tdata_bits: int
    in_width: int         # bits of an input value (the input type)
    in_signed: bool
    in_c: int             # values per pixel
    in_values: int        # H * W * C
    out_width: int        # bits of a logit (the output type)
    out_signed: bool
    out_values: int

    @property
    def in_beats(self) -> int:
        return beats(self.in_values, self.in_value_bytes, self.tdata_bytes)

    @property
    def out_beats(self) -> int:
        return beats(self.out_values, self.out_value_bytes, self.tdata_bytes)

    @property
    def in_buffer_bytes(self) -> int:
        """The DMA transfer of one image: whole beats."""
        return self.in_beats * self.tdata_bytes

    @property
    def out_buffer_bytes(self) -> int:
        return self.out_beats * self.tdata_bytes

    @property
    def in_last_bytes(self) -> int:
        """Valid bytes of an image's last beat (its TKEEP)."""
        return self.in_payload_bytes - (self.in_beats - 1) * self.tdata_bytes

    @property
    def out_last_bytes(self) -> int:
        """Valid bytes of the logits' last beat."""
        return self.out_payload_bytes - (self.out_beats - 1) * self.tdata_bytes

    @property
    def in_values_per_beat(self) -> int:
        return self.tdata_bytes // self.in_value_bytes

    @property
    def out_values_per_beat(self) -> int:
        return self.tdata_bytes // self.out_value_bytes


def stream_format(in_width: int, in_signed: bool, in_c: int, in_values: int,
                  out_width: int, out_signed: bool, out_values: int) -> StreamFormat:
    """32-bit TDATA when a whole pixel fits one beat, else 64 (a pixel per cycle either way
    while it fits 8 bytes): the narrowest DMA stream that keeps the image load at the staging
    memory's one pixel per cycle."""
    pixel_bytes = in_c * value_bytes(in_width)
    tdata = next((b for b in TDATA_CHOICES if pixel_bytes * 8 <= b), TDATA_CHOICES[-1])
    tdata = max(tdata, 8 * value_bytes(out_width))
    return StreamFormat(tdata, in_width, bool(in_signed), in_c, in_values, out_width,
                        bool(out_signed), out_values)


def dma_length_bits(nbytes: int) -> int:
    """Width of an AXI DMA buffer-length register that can move ``nbytes`` in one transfer
    (the IP's range is 8..26 bits; its default of 14 moves at most 16,383 bytes)."""
    need = max(8, nbytes.bit_length())
    if need > 26:
        raise ValueError(f"{nbytes} bytes exceed the AXI DMA's largest transfer (2^26 - 1)")
    return need


def build_stream_format(qgraph: QGraph) -> StreamFormat:
    """The stream geometry of a build: its input type and shape, its output type and size."""
    graph = qgraph.graph
    h, w, c = graph.input_shape
    return stream_format(qgraph.input_type.width, qgraph.input_type.signed, c, h * w * c,
                         qgraph.output_type.width, qgraph.output_type.signed,
                         int(np.prod(graph.shape(graph.output))))
