"""Memory images: the quantized weights and biases laid out in the engine's memory words.

The layout is the Plan's (`WeightLayout.word_address`): per conv layer, for each output group
og, tap (ky, kx) and input block cb, one word of p_out x p_in weights, lane (o, i) holding
W[ky, kx, cb*p_in + i, og*p_out + o] (zero outside the real channels); the conv on the image
packs ``taps`` kernel columns per word instead (`_packed_words`), and a narrow 1x1 conv
split into G column groups holds G input blocks per word (`_split_words`). Bias words hold p_out
biases of one output group. Both generators write these same arrays: the HLS code as C array
initializers, the Verilog as ``$readmemh`` files.
"""

from __future__ import annotations

import numpy as np

from fpgagen.plan.plan import Plan
from fpgagen.quant.quantize import QGraph
from fpgagen.util.arith import ceil_div


def weight_image(plan: Plan, qgraph: QGraph) -> np.ndarray:
    """int64 array (depth, p_out, p_in): the weight memory, word by word."""
    p_in, p_out = plan.engine.p_in, plan.engine.p_out
    depth = sum(w.words for w in plan.weights.values())
    image = np.zeros((depth, p_out, p_in), dtype=np.int64)
    for name, wl in plan.weights.items():
        w = qgraph.qlayer(name).weights  # HWIO
        assert w is not None
        k, _, cin, cout = w.shape
        if wl.taps > 1:
            image[wl.base:wl.base + wl.words] = _packed_words(w, wl.taps, wl.out_groups,
                                                              p_in, p_out)
            continue
        if wl.split > 1:
            image[wl.base:wl.base + wl.words] = _split_words(w, wl.split, wl.in_blocks,
                                                             p_in, p_out)
            continue
        padded = np.zeros((k, k, wl.in_blocks * p_in, wl.out_groups * p_out), dtype=np.int64)
        padded[:, :, :cin, :cout] = w
        # (ky, kx, cb, i, og, o) -> (og, ky, kx, cb, o, i): the word order of word_address
        blocks = padded.reshape(k, k, wl.in_blocks, p_in, wl.out_groups, p_out)
        words = blocks.transpose(4, 0, 1, 2, 5, 3).reshape(-1, p_out, p_in)
        image[wl.base:wl.base + wl.words] = words
    return image


def _packed_words(w: np.ndarray, taps: int, out_groups: int, p_in: int, p_out: int
                  ) -> np.ndarray:
    """Words of a conv with packed taps (the conv on the image, one input block): per output
    group og, kernel row ky and tap group g, lane (o, t * C_in + c) holds
    W[ky, g * taps + t, c, og * p_out + o] (zero past the kernel and the real channels)."""
    k, _, cin, cout = w.shape
    groups = ceil_div(k, taps)
    padded = np.zeros((k, groups * taps, cin, out_groups * p_out), dtype=np.int64)
    padded[:, :k, :, :cout] = w
    # (ky, g, t, c, og, o) -> (og, ky, g, o, t, c), then lanes t * cin + c, zero-padded to p_in
    blocks = padded.reshape(k, groups, taps, cin, out_groups, p_out)
    lanes = blocks.transpose(4, 0, 1, 5, 2, 3).reshape(out_groups * k * groups, p_out,
                                                       taps * cin)
    words = np.zeros((lanes.shape[0], p_out, p_in), dtype=np.int64)
    words[:, :, :taps * cin] = lanes
    return words


def _split_words(w: np.ndarray, split: int, in_blocks: int, p_in: int, p_out: int
                 ) -> np.ndarray:
    """Words of a split 1x1 conv (`fpgagen.plan.engine.conv_split`, one output group): word j,
    lane (g * P_OUT / G + o, i) holds W[0, 0, (j * G + g) * p_in + i, o], column group g
    multiplying input word j * G + g of the pixel (zero past the real channels)."""
    _, _, cin, cout = w.shape
    cols = p_out // split
    padded = np.zeros((in_blocks * p_in, cols), dtype=np.int64)
    padded[:cin, :cout] = w[0, 0]
    # (j, g, i, o) -> (j, g, o, i): lanes (g * cols + o, i)
    blocks = padded.reshape(in_blocks // split, split, p_in, cols)
    return blocks.transpose(0, 1, 3, 2).reshape(in_blocks // split, p_out, p_in)


def bias_image(plan: Plan, qgraph: QGraph) -> np.ndarray:
    """int64 array (depth, p_out): the bias memory (one word per layer per output group)."""
    p_out = plan.engine.p_out
    depth = sum(w.bias_words for w in plan.weights.values())
    image = np.zeros((depth, p_out), dtype=np.int64)
    for name, wl in plan.weights.items():
        b = qgraph.qlayer(name).bias
        assert b is not None
        padded = np.zeros(wl.out_groups * p_out, dtype=np.int64)
        padded[:b.shape[0]] = b
        image[wl.bias_base:wl.bias_base + wl.out_groups] = padded.reshape(-1, p_out)
    return image


def to_hex_words(lanes: np.ndarray, lane_bits: int) -> list[str]:
    """Pack each row of ``lanes`` (lane 0 in the low bits) into one hex word per row, as
    ``$readmemh`` reads them: two's complement per lane, ``ceil(n*lane_bits/4)`` digits."""
    rows = lanes.reshape(lanes.shape[0], -1)
    n = rows.shape[1]
    mask = (1 << lane_bits) - 1
    digits = ceil_div(n * lane_bits, 4)
    out = []
    for row in rows.tolist():
        word = 0
        for j, v in enumerate(row):
            word |= (v & mask) << (j * lane_bits)
        out.append(format(word, f"0{digits}x"))
    return out


def values_to_hex(values: np.ndarray, bits: int) -> list[str]:
    """One two's-complement hex line per value (vectors for HDL testbenches)."""
    mask = (1 << bits) - 1
    digits = ceil_div(bits, 4)
    return [format(v & mask, f"0{digits}x") for v in np.asarray(values).reshape(-1).tolist()]
