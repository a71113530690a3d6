"""Fixed-point types: ``FixedType(width, frac, signed)`` means integer q with value q * 2**-frac.

Printing and parsing follow Xilinx ``ap_fixed<W,I>`` / ``ap_ufixed<W,I>`` where I = W - frac is
the number of integer bits (sign included for ap_fixed). I may be negative or larger than W, as
in ap_fixed. Rounding and saturation (docs/design.md §2 (Fixed point)) live beside it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from fpgagen.errors import FpgagenError

MAX_WIDTH = 64
_AP_RE = re.compile(r"^\s*ap_(u?)fixed\s*<\s*(-?\d+)\s*,\s*(-?\d+)\s*((?:,\s*\w+\s*)*)>\s*$")
_INT_RE = re.compile(r"^\s*ap_(u?)int\s*<\s*(\d+)\s*>\s*$")


@dataclass(frozen=True, order=True)
class FixedType:
    """A fixed-point format: ``width`` bits, ``frac`` fractional bits, signed or not."""

    width: int
    frac: int
    signed: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.width <= MAX_WIDTH:
            raise FpgagenError(f"fixed-point width must be 1..{MAX_WIDTH}, got {self.width}")
        if not self.signed and self.width >= MAX_WIDTH:
            raise FpgagenError(f"unsigned fixed-point types hold at most {MAX_WIDTH - 1} bits "
                               "(every value must fit the golden model's int64)")
        if self.signed and self.width < 2:
            raise FpgagenError("a signed fixed-point type needs at least 2 bits")

    @property
    def int_bits(self) -> int:
        """Integer bits as ap_fixed counts them (sign included when signed)."""
        return self.width - self.frac

    @property
    def qmin(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def qmax(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def lsb(self) -> float:
        """The value of one integer step, 2**-frac."""
        return 2.0 ** -self.frac

    @property
    def cpp(self) -> str:
        """The HLS C++ spelling, e.g. ``ap_fixed<8,3>``."""
        return f"ap_{'' if self.signed else 'u'}fixed<{self.width},{self.int_bits}>"

    def __str__(self) -> str:
        return self.cpp

    @classmethod
    def parse(cls, text: str) -> FixedType:
        """Parse ``ap_fixed<W,I>``, ``ap_ufixed<W,I>``, ``ap_int<W>`` or ``ap_uint<W>``.

        Quantization/overflow arguments (``ap_fixed<8,3,AP_RND,AP_SAT>``) are accepted and
        ignored here: fpgagen sets the modes per requantization point, not per type.
        """
        m = _AP_RE.match(text)
        if m:
            unsigned, width, ints = m.group(1), int(m.group(2)), int(m.group(3))
            if width < 1 or width > MAX_WIDTH:
                raise FpgagenError(f"bad fixed-point type {text.strip()!r}: width must be "
                                   f"1..{MAX_WIDTH}")
            if ints > width:
                raise FpgagenError(f"bad fixed-point type {text.strip()!r}: {ints} integer "
                                   f"bits exceed the width {width} (fpgagen keeps 0 <= frac)")
            return cls(width, width - ints, not unsigned)
        m = _INT_RE.match(text)
        if m:
            return cls(int(m.group(2)), 0, not m.group(1))
        raise FpgagenError(f"bad fixed-point type {text.strip()!r} (expected ap_fixed<W,I>, "
                           "ap_ufixed<W,I>, ap_int<W> or ap_uint<W>)")


# --- Integer arithmetic of docs/design.md §2 (Fixed point) ---------------------------------------
#
# Everything below works on int64 numpy arrays (or Python ints, which numpy promotes) and is the
# single definition of fpgagen's fixed-point semantics: the golden model calls these, the C++
# uses ap_fixed casts that tests/test_fixed_apfixed.py proves identical, and the Verilog
# implements the same shifts and clamps.

ROUNDING_MODES = ("AP_RND", "AP_TRN", "AP_RND_CONV")
SATURATION_MODES = ("AP_SAT", "AP_WRAP")
DEFAULT_ROUNDING = "AP_RND"
DEFAULT_SATURATION = "AP_SAT"
# Right shifts that round need v + 2**(s-1) to stay inside int64, and alignment shifts must not
# overflow either, so the golden model refuses accumulators wider than this many bits.
MAX_ACC_BITS = 62


def check_mode(rounding: str, saturation: str) -> tuple[str, str]:
    """Normalize and validate a (rounding, saturation) pair; a one-line error names the choices."""
    q, o = str(rounding).strip().upper(), str(saturation).strip().upper()
    if q not in ROUNDING_MODES:
        raise FpgagenError(f"unknown rounding mode {rounding!r} "
                           f"(choose from {', '.join(ROUNDING_MODES)})")
    if o not in SATURATION_MODES:
        raise FpgagenError(f"unknown saturation mode {saturation!r} "
                           f"(choose from {', '.join(SATURATION_MODES)})")
    return q, o


def _i64(v: object) -> np.ndarray:
    return np.asarray(v, dtype=np.int64)


def round_shift(v: object, shift: int, rounding: str = DEFAULT_ROUNDING) -> np.ndarray:
    """``v / 2**shift`` rounded as ap_fixed rounds when it drops ``shift`` fractional bits.

    AP_TRN floors (toward -inf, two's complement truncation), AP_RND rounds half toward +inf,
    AP_RND_CONV rounds half to even. ``shift <= 0`` is an exact left shift. The caller keeps
    ``|v| < 2**62`` (the accumulator bound enforced by the quantizer), so nothing overflows.
    """
    a = _i64(v)
    if shift <= 0:
        return a << np.int64(-shift)
    s = np.int64(shift)
    if rounding == "AP_TRN":
        return a >> s
    half = np.int64(1) << np.int64(shift - 1)
    if rounding == "AP_RND":
        return (a + half) >> s
    if rounding == "AP_RND_CONV":
        q = a >> s
        r = a - (q << s)  # 0 <= r < 2**shift
        up = (r > half) | ((r == half) & ((q & 1) == 1))
        return q + up.astype(np.int64)
    raise ValueError(f"unknown rounding mode {rounding!r}")


def saturate(v: object, t: FixedType, saturation: str = DEFAULT_SATURATION) -> np.ndarray:
    """Fit integers into ``t``'s range: AP_SAT clamps, AP_WRAP keeps the low ``t.width`` bits
    (two's complement for signed types, modulo 2**W for unsigned), as ap_fixed does."""
    a = _i64(v)
    if saturation == "AP_SAT":
        return np.clip(a, t.qmin, t.qmax)
    if saturation != "AP_WRAP":
        raise ValueError(f"unknown saturation mode {saturation!r}")
    if t.width >= 64:
        return a.copy()
    mask = np.int64((1 << t.width) - 1)
    low = a & mask
    if not t.signed:
        return low
    sign = np.int64(1 << (t.width - 1))
    return (low ^ sign) - sign


def requantize(acc: object, shift: int, t: FixedType, rounding: str = DEFAULT_ROUNDING,
               saturation: str = DEFAULT_SATURATION) -> np.ndarray:
    """``sat(round_shift(acc, shift))``: what casting a wide accumulator with ``shift`` more
    fractional bits than ``t`` to ``ap_fixed<t, rounding, saturation>`` yields.

    A negative ``shift`` (the output is finer than the accumulator) is an exact left shift; the
    operand is clamped (AP_SAT) or reduced to its surviving low bits (AP_WRAP) first, so the
    shift cannot overflow int64 and the result is the same as with unbounded integers.
    """
    if shift >= 0:
        return saturate(round_shift(acc, shift, rounding), t, saturation)
    k = -shift
    a = _i64(acc)
    if saturation == "AP_SAT":
        hi, lo = t.qmax >> k, -((-t.qmin) >> k)  # beyond these, v << k is out of range
        # shift only what stays in range (hi + 1 << k itself can overflow int64 for W = 64)
        inside = np.clip(a, lo, hi) << np.int64(k)
        return np.where(a > hi, np.int64(t.qmax), np.where(a < lo, np.int64(t.qmin), inside))
    keep = max(t.width - k, 0)  # low bits of v that land inside the W-bit window
    low = a & np.int64((1 << keep) - 1) if keep < 64 else a
    return saturate(low << np.int64(k) if k < 64 else np.zeros_like(a), t, saturation)


def clip_bounds(lo: float | None, hi: float | None, t: FixedType,
                rounding: str = DEFAULT_ROUNDING) -> tuple[int, int]:
    """A float clamp [lo, hi] (None: open) as integers of ``t``: each bound quantized with the
    layer's rounding and saturated into ``t``'s range.

    Rounding is monotone, so ``round(clip(x, lo, hi)) == clip(round(x), round(lo), round(hi))``
    for every x: clamping the rounded value to these integers gives exactly the quantized value
    of the float reference's clamped output, even for bounds that ``t`` cannot represent.
    """
    lo_q = t.qmin if lo is None else int(quantize_float(lo, t, rounding, "AP_SAT"))
    hi_q = t.qmax if hi is None else int(quantize_float(hi, t, rounding, "AP_SAT"))
    return lo_q, hi_q


def requantize_clipped(acc: object, shift: int, t: FixedType, bounds: tuple[int, int],
                       rounding: str = DEFAULT_ROUNDING) -> np.ndarray:
    """``clip(round_shift(acc, shift), lo, hi)`` for bounds inside ``t``'s range: a clamp
    before the cast, so the cast never saturates nor wraps (the saturation mode does not
    matter), which is what the float model's ``quantize(clip(x))`` gives."""
    lo, hi = bounds
    return np.clip(requantize(acc, shift, t, rounding, "AP_SAT"), lo, hi)


def quantize_float(x: object, t: FixedType, rounding: str = DEFAULT_ROUNDING,
                   saturation: str = DEFAULT_SATURATION) -> np.ndarray:
    """Float to the integers of ``t`` (value * 2**frac, rounded, then saturated).

    Scaling by a power of two is exact in float64, so only the rounding step loses anything,
    and it rounds exactly as ``round_shift`` does (ties up, ties to even, or floor). Values
    beyond int64 are clipped first (they saturate anyway); NaN is the caller's to refuse.
    """
    scaled = np.ldexp(np.asarray(x, dtype=np.float64), t.frac)
    if rounding == "AP_TRN":
        r = np.floor(scaled)
    elif rounding == "AP_RND":
        r = np.floor(scaled + 0.5)  # exact for |scaled| < 2**52; beyond that it is integral
    elif rounding == "AP_RND_CONV":
        r = np.rint(scaled)  # IEEE round half to even
    else:
        raise ValueError(f"unknown rounding mode {rounding!r}")
    r = np.clip(r, -2.0 ** 62, 2.0 ** 62)
    return saturate(r.astype(np.int64), t, saturation)


def dequantize(q: object, t: FixedType) -> np.ndarray:
    """The float64 values ``q * 2**-frac`` of integers of type ``t``."""
    return np.ldexp(np.asarray(q, dtype=np.float64), -t.frac)


def align(q: object, frac_from: int, frac_to: int) -> np.ndarray:
    """Re-express integers with ``frac_from`` fractional bits at the finer ``frac_to`` (exact)."""
    if frac_to < frac_from:
        raise ValueError("align only moves to a finer binary point")
    return _i64(q) << np.int64(frac_to - frac_from)


def clog2(n: int) -> int:
    """ceil(log2(n)) for n >= 1: the extra accumulator bits a sum of n terms needs."""
    return max(0, (int(n) - 1).bit_length())


def avg_reciprocal(n: int, mult_bits: int = 16) -> tuple[int, int]:
    """The avgpool multiplier and shift (M, S) with M = round(2**S / n) as an unsigned
    ``mult_bits``-bit integer: the hardware divides by n as ``(sum * M) >> S``.

    S is the largest shift for which M still fits, so the relative error of 1/n is at most
    2**-(mult_bits-1); when n is a power of two, M / 2**S is exact.
    """
    if n < 1:
        raise ValueError("avgpool over zero elements")
    s = mult_bits - 1 + clog2(n)
    m = ((1 << s) + n // 2) // n
    while m >= (1 << mult_bits):  # cannot happen for n >= 1, kept as a guard
        s -= 1
        m = ((1 << s) + n // 2) // n
    return m, s


def int_bits_for(max_abs: float, signed: bool) -> int:
    """Integer bits (ap_fixed's I) so that ``max_abs`` is strictly inside the range: a power of
    two above the largest magnitude, plus the sign bit when signed."""
    sign = 1 if signed else 0
    if not max_abs > 0 or not math.isfinite(max_abs):
        return sign
    return math.floor(math.log2(max_abs)) + 1 + sign


def calibrated_type(width: int, max_abs: float, signed: bool, headroom: int = 0) -> FixedType:
    """The power-of-two scaled type of ``width`` bits that holds ``max_abs`` (docs/design.md §2),
    with ``headroom`` more integer bits: it then holds values up to 2**headroom times larger
    than ``max_abs`` before saturating, one bit of resolution less per bit of headroom."""
    return FixedType(width, width - int_bits_for(max_abs, signed) - headroom, signed)


def out_of_range(acc: object, shift: int, t: FixedType, rounding: str = DEFAULT_ROUNDING
                 ) -> np.ndarray:
    """Which elements ``requantize(acc, shift, t, rounding, ...)`` must saturate (AP_SAT) or
    wrap (AP_WRAP): those whose rounded value lies outside ``t``'s range. Counting them shows
    where a type is too narrow for the data, which the outputs alone do not (a value at the
    rail may be exact)."""
    if shift >= 0:
        r = round_shift(acc, shift, rounding)
        return (r < t.qmin) | (r > t.qmax)
    k = -shift
    a = _i64(acc)
    hi, lo = t.qmax >> k, -((-t.qmin) >> k)  # as in requantize: a << k is in range iff inside
    return (a > hi) | (a < lo)


def float_out_of_range(x: object, t: FixedType, rounding: str = DEFAULT_ROUNDING
                       ) -> np.ndarray:
    """Which floats `quantize_float` must saturate or wrap to fit ``t`` (as `out_of_range`)."""
    wide = FixedType(MAX_WIDTH - 1, t.frac, True)  # rounds the same, saturates only at 2**62
    r = quantize_float(x, wide, rounding, "AP_SAT")
    return (r < t.qmin) | (r > t.qmax)
