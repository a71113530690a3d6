"""The one exception type for mistakes a user can make.

Anything the user can get wrong (a model name, a size, a file) raises `FpgagenError` with a
one-line message; the CLI prints it as ``fpgagen: error: ...`` and exits 2. Internal bugs raise
ordinary exceptions so that they keep their tracebacks.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence


class FpgagenError(Exception):
    """A user error: bad input, unknown name, unreadable file. The message is one line."""


def unknown_name(kind: str, name: str, choices: Sequence[str]) -> FpgagenError:
    """The error for a name that is not one of ``choices``, offering the closest one first
    (``unknown board 'zc7060' (did you mean 'zc706'? choose from: ...)``): a typo should cost
    one glance, not a read through the list."""
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    hint = f"did you mean {by_lower[close[0]]!r}? " if close else ""
    return FpgagenError(f"unknown {kind} {name!r} ({hint}choose from: {', '.join(choices)})")
