"""Atomic output folders: build into a temporary sibling, rename into place on success.

A failed or interrupted build never leaves a half-written folder that looks like a result:
the temporary folder is removed, and an existing result is only replaced (with ``force``)
once the new one is complete.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import FpgagenError


def check_target(target: Path, force: bool) -> None:
    """Refuse early (before any work) to overwrite an existing folder without ``force``."""
    if target.exists() and not force:
        raise FpgagenError(f"{target} already exists (use --force to replace it)")
    if target.exists() and not target.is_dir():
        raise FpgagenError(f"{target} exists and is not a folder")


@contextmanager
def atomic_dir(target: Path, force: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it becomes ``target``."""
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            target.rename(old / target.name)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
