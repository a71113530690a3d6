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

from fpgagen.errors import FpgagenError


def check_target(target: Path, force: bool) -> None:
    """Refuse early, before any work, a target the build could not be renamed into.

    An existing folder needs ``force``; an existing file is never replaced. The folder that will
    hold it must be creatable and writable: the nearest existing ancestor must be a folder (not
    a file, as in ``--out some.txt/out``) that accepts a new entry (``/proc/x`` does not). That
    is probed by creating and removing a temporary folder there, which is what the build itself
    does later; a permission check alone would pass for root on read-only file systems.
    """
    if target.exists() and not force:
        raise FpgagenError(f"{target} already exists (use --force to replace it)")
    if target.exists() and not target.is_dir():
        raise FpgagenError(f"{target} exists and is not a folder")
    base = _nearest_existing(target.absolute().parent)
    if not base.is_dir():
        raise FpgagenError(f"cannot create {target}: {base} is not a folder")
    try:
        Path(tempfile.mkdtemp(prefix=".fpgagen-probe-", dir=base)).rmdir()
    except OSError as exc:
        raise FpgagenError(f"cannot create {target}: {base} is not writable "
                           f"({exc.strerror or exc})") from None


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (a file or a folder; ``/`` always does)."""
    while not path.exists() and not path.is_symlink() and path != path.parent:
        path = path.parent
    return path


@contextmanager
def atomic_dir(target: Path, force: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it becomes ``target``."""
    check_target(target, force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except OSError as exc:  # changed since check_target probed it
        raise FpgagenError(f"cannot create {target}: {exc.strerror or exc}") from None
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
