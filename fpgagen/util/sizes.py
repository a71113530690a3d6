"""Sizes in bytes as people write them (``8MB``, ``2.5MiB``, ``1e6``), parsed as numbers.

One parser for every size fpgagen reads (``--budget``, ``FPGAGEN_CACHE_MAX``): exact decimal
arithmetic, then a range check, so that no spelling of a number reaches float conversion or
integer overflow. ``1e309`` and ``1e999999999`` are sizes too large for the setting, one line
like any other bad value, never an ``OverflowError`` traceback; NaN, infinity and negative
numbers are not sizes. Each caller names its units (``--budget`` counts KB as 1024 bytes, the
cache cap counts KB as 1000, as their documentation says) and its bound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from fpgagen.errors import FpgagenError

# a decimal number (exponent allowed), then an optional unit
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")
# exponents beyond this are refused before Decimal expands them (1e999999999 would take
# gigabytes of digits)
_MAX_EXPONENT = 40


def format_bytes(n: int, binary: bool = True) -> str:
    """``n`` bytes for a message, exactly and in the largest unit it reaches: ``1,099,511,627,776
    B (1 TiB)``; with ``binary`` False in powers of 1000 (``1 PB``)."""
    base, names = (1024, ("KiB", "MiB", "GiB", "TiB", "PiB")) if binary else \
        (1000, ("kB", "MB", "GB", "TB", "PB"))
    shown = ""
    for power, unit in enumerate(names, 1):
        if n >= base**power:
            shown = f" ({n / base**power:.4g} {unit})"
    return f"{n:,} B{shown}"


def parse_bytes(text: str, units: Mapping[str, int], maximum: int, what: str,
                example: str = "expected e.g. 8MB, 2.5MiB or 1048576", minimum: int = 1,
                binary: bool = True) -> int:
    """Bytes in ``text``: a decimal number, optionally with a unit from ``units`` (lower-case
    keys, ``""`` for none), from ``minimum`` to ``maximum`` bytes; fractions of a byte are
    dropped. ``what`` names the setting (``--budget``, ``FPGAGEN_CACHE_MAX``) in the one-line
    `FpgagenError` for anything else; ``binary``: its bounds are shown in powers of 1024."""
    said = f"{what}={str(text).strip()!r}"
    m = _SIZE_RE.match(str(text))
    unit = m.group(2).lower() if m else ""
    if not m or unit not in units:
        raise FpgagenError(f"{said} is not a size ({example})")
    try:
        number = Decimal(m.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise FpgagenError(f"{said} is not a size") from None
    too_large = FpgagenError(f"{said} is too large: at most {format_bytes(maximum, binary)}")
    if number.adjusted() > _MAX_EXPONENT:
        raise too_large
    value = int(number * units[unit])
    if value < minimum:
        raise FpgagenError(f"{said} is too small: at least {format_bytes(minimum, binary)}")
    if value > maximum:
        raise too_large
    return value
