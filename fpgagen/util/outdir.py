"""Atomic output folders: build into a temporary sibling, rename into place on success.

A failed, interrupted or terminated build never leaves a half-written folder that looks like a
result: the temporary folder is removed, and an existing result is only replaced (with
``force``) once the new one is complete. Three more promises, for CI jobs that time out and
schedulers that start jobs at once:

- **One writer per output.** The writing holds a lock on ``.<name>.lock`` beside the target,
  taken without waiting: a second run on the same output, while the first writes, stops with
  one line saying so (exit 2), and one that comes after finds the first's result (``already
  exists``, or replaces it with ``force``). Two runs never both report success while the folder
  holds one of them.
- **Leftovers are swept.** Each temporary folder ``.<name>.tmp-<random>`` has a lock file
  ``.<name>.tmp-<random>.lock`` beside it, made before the folder and held by its run until
  the folder is renamed or removed. A run killed outright (SIGKILL, a power cut) cannot remove
  its folder, but the kernel drops its lock, so the next run on the same output removes every
  temporary folder whose lock it can take. Lock-based, not pid-based: a recycled pid or a run
  in another container never makes a live folder look dead.
- **An OS error while writing is one line.** A full disk (ENOSPC), a quota, a read-only or
  vanished folder end as `FpgagenError` naming the target and the reason, with nothing left
  behind, not as a traceback.

SIGTERM reaches the build as an exception (`fpgagen.util.signals`), so the ``finally`` here
removes the temporary folder exactly as for Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fpgagen.errors import FpgagenError
from fpgagen.util.locking import removable_lock

LOCK_SUFFIX = ".lock"


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


def os_error(target: Path, exc: OSError) -> FpgagenError:
    """The one line for an OS error while writing ``target``: its reason and the file."""
    where = f" ({exc.filename})" if exc.filename else ""
    return FpgagenError(f"cannot write {target}: {exc.strerror or exc}{where}; nothing was "
                        "written")


def _lock_of(folder: Path) -> Path:
    return folder.with_name(folder.name + LOCK_SUFFIX)


def sweep_stale(target: Path) -> list[Path]:
    """Remove the temporary folders of runs on ``target`` that have ended without removing
    them (killed outright): those whose lock file is free or missing. Returns them."""
    parent = target.parent
    removed = []
    if not parent.is_dir():
        return removed
    for prefix in (f".{target.name}.tmp-", f".{target.name}.old-"):
        for leftover in parent.glob(prefix + "*"):
            if leftover.name.endswith(LOCK_SUFFIX):
                if not leftover.with_name(leftover.name[:-len(LOCK_SUFFIX)]).exists():
                    with removable_lock(leftover, wait=False) as free:  # an orphaned lock file
                        if free:
                            leftover.unlink(missing_ok=True)
                continue
            with removable_lock(_lock_of(leftover), wait=False) as free:
                if not free:
                    continue  # a live run's
                shutil.rmtree(leftover, ignore_errors=True)
                _lock_of(leftover).unlink(missing_ok=True)
                removed.append(leftover)
    return removed


@contextlib.contextmanager
def claim(target: Path) -> Iterator[None]:
    """Hold ``target``'s writer lock for the block, or raise `FpgagenError` at once when another
    run holds it (see the module docstring). The lock file goes when the block ends."""
    lock = target.with_name(f".{target.name}{LOCK_SUFFIX}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with removable_lock(lock, wait=False) as free:
            if not free:
                raise FpgagenError(f"{target} is being written by another fpgagen run right "
                                   "now; wait for it to finish, or choose another --out")
            try:
                yield
            finally:
                lock.unlink(missing_ok=True)
    except OSError as exc:
        raise os_error(target, exc) from None


@contextlib.contextmanager
def _owned_tmp(target: Path, kind: str) -> Iterator[Path]:
    """A fresh folder ``.<name>.<kind>-<random>`` beside ``target`` with its lock file held
    (made first, so a folder without one is always a leftover); both removed at the end unless
    the folder was renamed away."""
    fd, lock_name = tempfile.mkstemp(prefix=f".{target.name}.{kind}-", suffix=LOCK_SUFFIX,
                                     dir=target.parent)
    os.close(fd)
    lock = Path(lock_name)
    tmp = lock.with_name(lock.name[:-len(LOCK_SUFFIX)])
    try:
        with removable_lock(lock):
            try:
                tmp.mkdir(mode=0o777)  # the umask applies, as to any folder the user makes
                yield tmp
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
    finally:
        lock.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: Path, force: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it becomes ``target``. Holds ``target``'s
    writer lock throughout; an OS error inside the block becomes one `FpgagenError`."""
    check_target(target, force)  # the plain reasons first (exists, not writable)
    with claim(target):
        check_target(target, force)  # again: another run may have finished meanwhile
        sweep_stale(target)
        with _owned_tmp(target, "tmp") as tmp:
            yield tmp
            if target.exists():
                with _owned_tmp(target, "old") as old:
                    target.rename(old / target.name)
                    tmp.rename(target)
            else:
                tmp.rename(target)
