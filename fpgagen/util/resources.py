"""Where the shipped data folders (templates/, hw/, boards/) are, installed or in a checkout.

In a wheel they are copied inside the package (``fpgagen/templates`` ...); in a source checkout
or an editable install they sit beside the package at the repository root. Looking in both
places keeps one layout for developers and users without symlinks.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


@cache
def data_dir(name: str) -> Path:
    """The folder ``name`` (``templates``, ``hw`` or ``boards``) shipped with fpgagen."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"fpgagen data folder {name!r} is missing from the installation "
                            f"(looked in {_PACKAGE} and {_PACKAGE.parent}); reinstall fpgagen")
