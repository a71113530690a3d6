"""weights.bin: the bytes the core takes on in_stream in load mode (docs/design.md §4).

A build writes ``driver/weights.bin``; a host sends it through the same DMA as the images after
asking the core for a load (the WEIGHTS register, hw/fg_axil_ctrl.v), and `fpgagen pack-weights`
writes another one for new weights of the same network. The format:

- the weight memory's words, address 0 first, then the bias memory's words (every word of
  both memories as the build generates them: the Plan's words, padded to the memories' depth
  with zero words, exactly what ``rtl/weights.hex`` / ``biases.hex`` hold);
- a word is its lanes packed little-end first (lane j at bits ``[j * W, (j + 1) * W)``, two's
  complement, W the lane width: `fpgagen.machine.memimage.to_hex_words`' packing), padded with
  zero bits to whole TDATA beats: a weight word is ``ceil(P_IN * P_OUT * W_W / TDATA_W)``
  beats, a bias word ``ceil(P_OUT * B_W / TDATA_W)``;
- a beat is TDATA_W / 8 bytes, byte i = TDATA bits ``[8i, 8i + 8)`` (the stream format of
  `fpgagen.plan.streams`); the DMA sends the file as it is: every TKEEP all ones, TLAST on the
  last beat.

So the file's length is always whole beats, and its CRC-32 (``zlib.crc32``) is what the core's
WEIGHTS_CRC register computes over the beats it took (hw/fg_crc32.v). Pure functions, no I/O.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from fpgagen.util.arith import ceil_div


@dataclass(frozen=True)
class WeightLoad:
    """The geometry of a load: the two memories' words and the stream's beats."""

    tdata_bits: int
    weight_word_bits: int   # P_IN * P_OUT * W_W
    weight_words: int       # the weight memory's depth as generated
    bias_word_bits: int     # P_OUT * B_W
    bias_words: int

    @property
    def tdata_bytes(self) -> int:
        return self.tdata_bits // 8

    @property
    def beats_per_weight_word(self) -> int:
        return ceil_div(self.weight_word_bits, self.tdata_bits)

    @property
    def beats_per_bias_word(self) -> int:
        return ceil_div(self.bias_word_bits, self.tdata_bits)

    @property
    def beats(self) -> int:
        return (self.weight_words * self.beats_per_weight_word
                + self.bias_words * self.beats_per_bias_word)

    @property
    def bytes(self) -> int:
        return self.beats * self.tdata_bytes

    @property
    def shift_register_bits(self) -> int:
        """Flip-flops of hw/fg_wload.v's word register: max(beats per word) x TDATA_W."""
        return max(self.beats_per_weight_word, self.beats_per_bias_word) * self.tdata_bits

    def as_dict(self) -> dict[str, int]:
        return {"tdata_bits": self.tdata_bits, "weight_word_bits": self.weight_word_bits,
                "weight_words": self.weight_words, "bias_word_bits": self.bias_word_bits,
                "bias_words": self.bias_words,
                "beats_per_weight_word": self.beats_per_weight_word,
                "beats_per_bias_word": self.beats_per_bias_word,
                "beats": self.beats, "bytes": self.bytes}


def pack_lane_words(lanes: np.ndarray, lane_bits: int, depth: int, tdata_bits: int) -> bytes:
    """Rows of lanes (row = one memory word, lane 0 lowest) -> whole beats per word, ``depth``
    words (missing rows are zero words), little-endian bits and bytes."""
    rows = np.asarray(lanes, dtype=np.int64).reshape(lanes.shape[0], -1)
    if rows.shape[0] > depth:
        raise ValueError(f"{rows.shape[0]} words do not fit a memory of {depth}")
    n = rows.shape[1]
    word_bits = n * lane_bits
    padded_bits = ceil_div(word_bits, tdata_bits) * tdata_bits
    out = np.zeros((depth, padded_bits), dtype=np.uint8)
    if rows.shape[0] and n:
        masked = (rows & ((1 << lane_bits) - 1)).astype(np.uint64)
        bits = ((masked[:, :, None] >> np.arange(lane_bits, dtype=np.uint64)) & np.uint64(1))
        out[:rows.shape[0], :word_bits] = bits.reshape(rows.shape[0], word_bits)
    return np.packbits(out.reshape(-1), bitorder="little").tobytes()


def load_bytes(geometry: WeightLoad, weight_lanes: np.ndarray, weight_bits: int,
               bias_lanes: np.ndarray, bias_bits: int) -> bytes:
    """weights.bin for memory images (`fpgagen.machine.memimage`): weight words
    (depth, p_out, p_in) of ``weight_bits`` lanes, bias words (depth, p_out) of ``bias_bits``."""
    w = np.asarray(weight_lanes).reshape(np.asarray(weight_lanes).shape[0], -1)
    b = np.asarray(bias_lanes).reshape(np.asarray(bias_lanes).shape[0], -1)
    if w.shape[0] and w.shape[1] * weight_bits != geometry.weight_word_bits:
        raise ValueError(f"weight words of {w.shape[1]} x {weight_bits} bits, the memory's "
                         f"are {geometry.weight_word_bits}")
    if b.shape[0] and b.shape[1] * bias_bits != geometry.bias_word_bits:
        raise ValueError(f"bias words of {b.shape[1]} x {bias_bits} bits, the memory's "
                         f"are {geometry.bias_word_bits}")
    data = (pack_lane_words(w, weight_bits, geometry.weight_words, geometry.tdata_bits)
            + pack_lane_words(b, bias_bits, geometry.bias_words, geometry.tdata_bits))
    assert len(data) == geometry.bytes, (len(data), geometry.bytes)
    return data


def crc32(data: bytes) -> int:
    """The CRC the core's WEIGHTS_CRC register computes over a load's bytes (zlib's)."""
    return zlib.crc32(data) & 0xFFFFFFFF
