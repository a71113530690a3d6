"""File locks and atomic writes for what several fpgagen processes may share at once.

Two ``fpgagen verify`` runs on one build folder update the same report.json, and two RTL
simulations of one design build into the same Verilator cache folder. A reader must never see a
half-written file and two writers must never interleave: writes go to a temporary sibling that
``os.replace`` puts in place (atomic on POSIX), and read-modify-write sequences and compiles hold
an advisory ``fcntl.flock`` on a lock file beside the shared thing (the lock file itself is never
replaced, so every process locks the same inode).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def file_lock(path: Path, shared: bool = False) -> Iterator[None]:
    """Hold an exclusive (or, with ``shared``, a shared) lock on ``path`` for the block.

    Blocks until the lock is granted: a second process waits for the first instead of failing.
    The lock is released when the block ends, also when the process dies (the kernel drops it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never a
    part: a temporary file in the same folder, then ``os.replace``. Keeps the old file's mode."""
    write_bytes_atomic(path, text.encode())


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """`write_text_atomic` for bytes (a picture)."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def removable_lock(path: Path, shared: bool = False, wait: bool = True) -> Iterator[bool]:
    """`file_lock` on a lock file that its holder may delete (a cache entry's, removed with the
    entry). Yields True while the lock is held; with ``wait=False`` it yields False at once when
    another process holds a conflicting lock.

    Deleting a lock file races with its users: a process that opened it just before it was
    unlinked would lock the deleted inode while another creates and locks a new file, and both
    would think they hold it. So after locking, the path must still name the locked inode; if
    not (deleted or replaced meanwhile), the lock is dropped and taken again on the new file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    op = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, op)
        except BlockingIOError:
            os.close(fd)
            yield False
            return
        try:
            st = os.stat(path)
            mine = os.fstat(fd)
            if (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino):
                break
        except FileNotFoundError:
            pass
        os.close(fd)  # closing drops the lock on the stale inode
    try:
        yield True
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
