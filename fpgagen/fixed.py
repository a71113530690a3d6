"""Fixed-point types: ``FixedType(width, frac, signed)`` means integer q with value q * 2**-frac.

Printing and parsing follow Xilinx ``ap_fixed<W,I>`` / ``ap_ufixed<W,I>`` where I = W - frac is
the number of integer bits (sign included for ap_fixed). I may be negative or larger than W, as
in ap_fixed. The integer arithmetic of DESIGN.md §2 (rounding, saturation) lives beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FpgagenError

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
