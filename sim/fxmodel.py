"""Bit-exact Python model of docs/design.md §2, written independently of fpgagen/ for the RTL
tests: plain Python ints (unbounded), so nothing here can overflow.
"""

from __future__ import annotations

TRN, RND, RND_CONV = 0, 1, 2  # cfg_rnd encoding of the hw/ modules
WRAP, SAT = 0, 1              # cfg_sat encoding


def round_shift(v: int, s: int, mode: int) -> int:
    """round_shift(v, s): s > 0 divides by 2^s with rounding, s <= 0 is an exact left shift."""
    if s <= 0:
        return v << -s
    q, r = v >> s, v & ((1 << s) - 1)  # floor and remainder, 0 <= r < 2^s
    half = 1 << (s - 1)
    if mode == RND:
        return q + (1 if r >= half else 0)
    if mode == RND_CONV:
        if r > half or (r == half and q & 1):
            return q + 1
        return q
    return q  # AP_TRN (and the spare encoding 3)


def bounds(width: int, signed: bool) -> tuple[int, int]:
    if signed:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def sat(v: int, width: int, signed: bool, sat_mode: int) -> int:
    """AP_SAT clamps to the range; AP_WRAP keeps the low `width` bits (two's complement)."""
    lo, hi = bounds(width, signed)
    if sat_mode == SAT:
        return min(max(v, lo), hi)
    v &= (1 << width) - 1
    if signed and v >> (width - 1):
        v -= 1 << width
    return v


def requant(acc: int, shift: int, rnd: int, sat_mode: int, width: int, signed: bool,
            relu: bool, clip: tuple[int, int] | None = None) -> int:
    """y = sat(round_shift(relu?(acc), shift)) as a Python int: ReLU on the exact sum, as the
    golden model does (it differs from ReLU after the wrap under AP_WRAP). With ``clip``
    (lo, hi), bounds inside the output range: the rounded value clamped to them instead of
    the cast (a fused Clip/ReLU6), whatever the saturation mode."""
    if relu:
        acc = max(acc, 0)
    r = round_shift(acc, shift, rnd)
    if clip is not None:
        return min(max(r, clip[0]), clip[1])
    return sat(r, width, signed, sat_mode)


def to_signed(u: int, width: int) -> int:
    u &= (1 << width) - 1
    return u - (1 << width) if u >> (width - 1) else u


def to_unsigned(v: int, width: int) -> int:
    return v & ((1 << width) - 1)


def pack(values, width: int) -> int:
    """Lanes -> one word, lane 0 in the low bits."""
    word = 0
    for i, v in enumerate(values):
        word |= to_unsigned(v, width) << (i * width)
    return word


def unpack(word: int, width: int, lanes: int, signed: bool) -> list[int]:
    out = []
    for i in range(lanes):
        u = (word >> (i * width)) & ((1 << width) - 1)
        out.append(to_signed(u, width) if signed else u)
    return out
