"""Integer arithmetic the stages share, named once."""

from __future__ import annotations


def ceil_div(a: int, b: int) -> int:
    """ceil(a / b) for integers, b > 0 (exact at any size, unlike math.ceil of a float)."""
    return -(-a // b)
