"""The float32 reference: the network computed in plain numpy, every layer's output kept.

It is the yardstick of the quantized model (SQNR per layer, top-1 agreement) and is compared
with onnxruntime for imported models, so it computes what the frameworks compute: convolution
with zero padding, stride and groups, ReLU, a clamp to constant bounds (Clip, ReLU6), max-pool
in ceil mode where windows that overhang the edge ignore the missing elements (Caffe/PyTorch),
a true mean for global average pooling, channel concatenation and element-wise add. Tensors
are HWC, weights HWIO.

The window helpers (`pad_hw`, `patches`, `pool_max`) are dtype-agnostic; the integer golden
model reuses them so that both models walk the very same windows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.lib.stride_tricks import as_strided

from fpgagen.errors import FpgagenError
from fpgagen.frontend.arrays import check_real
from fpgagen.frontend.graph import INPUT, Graph, Layer


def pad_hw(x: np.ndarray, before: int, after_h: int, after_w: int, fill: object = 0
           ) -> np.ndarray:
    """Pad an HWC tensor: ``before`` rows/columns at the top/left, ``after_*`` at the
    bottom/right (negative ``after`` crops: rows no window reads)."""
    h, w, c = x.shape
    out = np.full((h + before + after_h, w + before + after_w, c), fill, dtype=x.dtype)
    hh, ww = min(h, h + after_h), min(w, w + after_w)
    out[before:before + hh, before:before + ww] = x[:hh, :ww]
    return out


def patches(x: np.ndarray, kernel: int, stride: int, pad: int) -> np.ndarray:
    """im2col: the conv windows of an HWC tensor as a read-only view (Ho, Wo, K, K, C).

    Zero padding as convolutions use it; the caller reshapes to (Ho*Wo, K*K*C), which matches
    HWIO weights reshaped to (K*K*Cin, Cout).
    """
    h, w, _ = x.shape
    ho = (h + 2 * pad - kernel) // stride + 1
    wo = (w + 2 * pad - kernel) // stride + 1
    xp = pad_hw(x, pad, pad, pad) if pad else np.ascontiguousarray(x)
    sh, sw, sc = xp.strides
    return as_strided(xp, (ho, wo, kernel, kernel, xp.shape[2]),
                      (sh * stride, sw * stride, sh, sw, sc), writeable=False)


def conv_matmul(x: np.ndarray, w: np.ndarray, stride: int, pad: int, groups: int,
                dtype: type) -> np.ndarray:
    """Convolution without bias as one matrix product per group, computed in ``dtype``.

    Returns (Ho, Wo, Cout) in ``dtype``. 1x1 stride-1 convs need no im2col copy at all.
    """
    kh, kw, cin_g, cout = w.shape
    cout_g = cout // groups
    outs = []
    for g in range(groups):
        xg = x[:, :, g * cin_g:(g + 1) * cin_g].astype(dtype, copy=False)
        wg = w[..., g * cout_g:(g + 1) * cout_g].astype(dtype, copy=False)
        if kh == 1 and stride == 1 and pad == 0:
            ho, wo = xg.shape[:2]
            cols = xg.reshape(ho * wo, cin_g)
        else:
            view = patches(xg, kh, stride, pad)
            ho, wo = view.shape[:2]
            cols = view.reshape(ho * wo, kh * kw * cin_g)
        outs.append((cols @ wg.reshape(kh * kw * cin_g, cout_g)).reshape(ho, wo, cout_g))
    return outs[0] if groups == 1 else np.concatenate(outs, axis=2)


def pool_max(x: np.ndarray, kernel: int, stride: int, pad: int, out_hw: tuple[int, int]
             ) -> np.ndarray:
    """Max over each window; elements outside the input (padding, ceil-mode overhang) are
    ignored, which is a fill with the dtype's lowest value."""
    ho, wo = out_hw
    h, w, _ = x.shape
    need_h, need_w = (ho - 1) * stride + kernel, (wo - 1) * stride + kernel
    low = np.finfo(x.dtype).min if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
    xp = pad_hw(x, pad, need_h - h - pad, need_w - w - pad, fill=low)
    out = None
    for i in range(kernel):
        for j in range(kernel):
            win = xp[i:i + (ho - 1) * stride + 1:stride, j:j + (wo - 1) * stride + 1:stride]
            out = win.copy() if out is None else np.maximum(out, win, out=out)
    assert out is not None
    return out


def _layer(graph: Graph, lay: Layer, vals: Mapping[str, np.ndarray],
           weights: Mapping[str, np.ndarray]) -> np.ndarray:
    x = vals[lay.inputs[0]]
    if lay.op == "conv":
        w = np.asarray(weights[f"{lay.name}.weight"], dtype=np.float32)
        b = np.asarray(weights[f"{lay.name}.bias"], dtype=np.float32)
        y = conv_matmul(x, w, lay.stride, lay.pad, lay.groups, np.float32) + b
        return _clip(lay, np.maximum(y, 0, out=y) if lay.relu else y)
    if lay.op == "maxpool":
        return pool_max(x, lay.kernel, lay.stride, lay.pad, graph.shape(lay.name)[:2])
    if lay.op == "avgpool":
        return x.mean(axis=(0, 1), dtype=np.float64).astype(np.float32).reshape(1, 1, -1)
    if lay.op == "concat":
        return np.concatenate([vals[t] for t in lay.inputs], axis=2)
    if lay.op == "add":
        y = vals[lay.inputs[0]] + vals[lay.inputs[1]]
        return _clip(lay, np.maximum(y, 0) if lay.relu else y)
    raise AssertionError(lay.op)


def _clip(lay: Layer, y: np.ndarray) -> np.ndarray:
    """A fused Clip/ReLU6: the clamp after the ReLU (float32 bounds, as onnxruntime)."""
    if not lay.clipped:
        return y
    lo = None if lay.clip_lo is None else np.float32(lay.clip_lo)
    hi = None if lay.clip_hi is None else np.float32(lay.clip_hi)
    return np.clip(y, lo, hi)


def check_input(graph: Graph, x: np.ndarray, what: str = "input") -> np.ndarray:
    """A real HWC array of the graph's input shape (a leading batch of 1 is dropped)."""
    a = check_real(np.asarray(x), what)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.shape != tuple(graph.input_shape):
        raise FpgagenError(f"{what} has shape {'x'.join(map(str, a.shape))}, expected "
                           f"{'x'.join(map(str, graph.input_shape))} (HxWxC) for {graph.name}")
    return a


def run(graph: Graph, weights: Mapping[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer's float32 output (HWC) by layer name, plus ``"input"``."""
    vals: dict[str, np.ndarray] = {INPUT: check_input(graph, x).astype(np.float32)}
    for lay in graph.layers:
        vals[lay.name] = _layer(graph, lay, vals, weights)
    return vals
