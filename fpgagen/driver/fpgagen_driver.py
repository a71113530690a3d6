"""fpgagen host driver: packs an image into the core's input stream, unpacks its logits.

Standalone on purpose (numpy only; ``pynq`` is imported by ``Accelerator`` alone), so this file
runs on a board where fpgagen is not installed. The stream format (DESIGN.md section 4):

- values are the fixed-point integers of the input / output type, each in ``value_bytes``
  bytes (the width rounded up to 1, 2, 4 or 8 bytes), little-endian, two's complement
  (sign-extended) for signed types, zero-extended for unsigned;
- the tensor in HWC order, values back to back: beat k carries bytes [k*B, (k+1)*B) of that
  byte string in TDATA (byte i in bits 8i+7..8i), B = TDATA bytes (4 or 8);
- the last beat is zero-padded, TKEEP marks its valid bytes (all ones on every other beat),
  TLAST is set on the last beat only. The DMA buffer is the beats, ``beats * B`` bytes.
"""

from __future__ import annotations

import numpy as np

_DTYPES = {(1, True): "<i1", (1, False): "<u1", (2, True): "<i2", (2, False): "<u2",
           (4, True): "<i4", (4, False): "<u4", (8, True): "<i8", (8, False): "<u8"}


def value_bytes(width: int) -> int:
    """Bytes one value of ``width`` bits takes in a stream: 1, 2, 4 or 8."""
    if not 1 <= width <= 64:
        raise ValueError(f"value width {width} is not 1..64 bits")
    nbytes = 1
    while nbytes * 8 < width:
        nbytes *= 2
    return nbytes


def beats(count: int, vbytes: int, tdata_bytes: int) -> int:
    """AXI4-Stream beats that carry ``count`` values of ``vbytes`` bytes."""
    return -(-count * vbytes // tdata_bytes)


def pack_values(values: np.ndarray, width: int, signed: bool, tdata_bytes: int) -> bytes:
    """Integers of a ``width``-bit type (HWC order) -> the stream's bytes, whole beats.

    A value outside the type's range is refused: silently wrapping it would send another image.
    """
    a = np.asarray(values)
    if a.dtype.kind not in "iu":
        raise TypeError(f"values must be integers, not {a.dtype}")
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    flat = a.reshape(-1).astype(np.int64)
    if flat.size and (flat.min() < lo or flat.max() > hi):
        raise ValueError(f"values outside the {width}-bit {'signed' if signed else 'unsigned'} "
                         f"range {lo}..{hi}")
    vb = value_bytes(width)
    data = flat.astype(_DTYPES[(vb, signed)]).tobytes()
    pad = beats(flat.size, vb, tdata_bytes) * tdata_bytes - len(data)
    return data + bytes(pad)


def unpack_values(data: bytes, width: int, signed: bool, count: int) -> np.ndarray:
    """The stream's bytes -> ``count`` integers (int64) of a ``width``-bit type.

    Only the low ``width`` bits of each value count (the rest is padding), so a value is
    sign-extended from bit ``width - 1`` for signed types.
    """
    vb = value_bytes(width)
    if len(data) < count * vb:
        raise ValueError(f"{len(data)} bytes hold fewer than {count} values of {vb} bytes")
    raw = np.frombuffer(bytes(data[:count * vb]), dtype=_DTYPES[(vb, False)]).astype(np.uint64)
    low = (raw & np.uint64((1 << width) - 1)).astype(np.int64) if width < 64 else raw.view(
        np.int64)
    if signed and width < 64:
        sign = np.int64(1 << (width - 1))
        low = (low ^ sign) - sign
    return low


def beat_words(data: bytes, payload: int, tdata_bytes: int) -> list[tuple[int, int, bool]]:
    """Whole-beat bytes -> (TDATA, TKEEP, TLAST) per beat, as a simulator drives the ports.

    ``payload`` is the number of meaningful bytes; the padding after it gets TKEEP 0.
    """
    if len(data) % tdata_bytes:
        raise ValueError(f"{len(data)} bytes are not whole {tdata_bytes}-byte beats")
    n = len(data) // tdata_bytes
    out = []
    for k in range(n):
        chunk = data[k * tdata_bytes:(k + 1) * tdata_bytes]
        valid = min(max(payload - k * tdata_bytes, 0), tdata_bytes)
        out.append((int.from_bytes(chunk, "little"), (1 << valid) - 1, k == n - 1))
    return out
