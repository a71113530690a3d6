"""A folder of cache entries under a size cap: the least recently used entries go first, and an
entry that any process is using is never removed.

Why: a cache that only grows fills the disk (the simulator cache, one Verilator build per
design and hundreds of MB for a whole network, reached 7.8 GB in one test run), and several
processes share it at once (pytest-xdist workers, two ``fpgagen verify`` runs), so removing
an entry must never pull it from under a process that is building or simulating it.

Layout: every entry is a folder ``<root>/<name>/``. Beside it, ``<root>/<name>.use`` is at
once its last-use stamp (its mtime, touched on every use) and its in-use lock: a user holds a
shared lock on it for as long as it uses the entry; eviction takes it exclusively without
waiting, so an entry in use is skipped, never waited for, and never removed. The stamp is
removed with its entry; `fpgagen.util.locking.removable_lock` makes that safe for a process
that opened it at the same moment.

An entry is removed whole (``shutil.rmtree``) by `LruDir.evict` (oldest first, until the total
is within the cap) and `LruDir.clean` (every entry not in use). Sizes are the bytes in an
entry's files (``st_size``, not disk blocks), counted afresh at every eviction: no index file
that a killed process could leave wrong.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fpgagen.util.locking import removable_lock

STAMP = ".use"


@dataclass(frozen=True)
class Entry:
    """One cache entry as listed: its folder, the bytes in its files and when it was last used
    (seconds since the epoch; the folder's mtime when it has no stamp)."""

    name: str
    path: Path
    size: int
    last_used: float


def tree_size(path: Path) -> int:
    """Bytes in the files under ``path`` (symlinks not followed; files that vanish while
    counting are not counted)."""
    total = 0
    try:
        it = os.scandir(path)
    except OSError:
        return 0
    with it:
        for e in it:
            try:
                if e.is_dir(follow_symlinks=False):
                    total += tree_size(Path(e.path))
                else:
                    total += e.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


class LruDir:
    """The entries under ``root``, capped at ``max_bytes`` in total (see the module docstring)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def _stamp(self, name: str) -> Path:
        return self.root / (name + STAMP)

    @contextlib.contextmanager
    def use(self, name: str) -> Iterator[Path]:
        """Hold entry ``name`` in use for the block and mark it used now; yields its folder
        (created if missing). No `evict` or `clean`, in any process, removes it meanwhile."""
        if not name or "/" in name or name.startswith(".") or name.endswith(STAMP):
            raise ValueError(f"bad cache entry name {name!r}")
        stamp = self._stamp(name)
        with removable_lock(stamp, shared=True):
            os.utime(stamp)
            path = self.root / name
            path.mkdir(parents=True, exist_ok=True)
            yield path

    def entries(self) -> list[Entry]:
        """Every entry, least recently used first."""
        if not self.root.is_dir():
            return []
        out = []
        for e in os.scandir(self.root):
            if not e.is_dir(follow_symlinks=False):
                continue
            try:
                last = os.stat(self._stamp(e.name)).st_mtime
            except FileNotFoundError:
                try:
                    last = e.stat(follow_symlinks=False).st_mtime
                except FileNotFoundError:
                    continue  # removed since the listing
            out.append(Entry(e.name, Path(e.path), tree_size(Path(e.path)), last))
        out.sort(key=lambda x: (x.last_used, x.name))
        return out

    def in_use(self, name: str) -> bool:
        """Whether some process holds entry ``name`` in use right now."""
        stamp = self._stamp(name)
        if not stamp.exists():
            return False
        with removable_lock(stamp, wait=False) as free:
            return not free

    def _remove(self, entry: Entry, listed_use: float | None) -> bool:
        """Remove ``entry`` unless it is in use (or, given ``listed_use``, was used since it
        was listed); True when removed."""
        stamp = self._stamp(entry.name)
        stamped = stamp.exists()  # locking creates the stamp of an entry that had none
        with removable_lock(stamp, wait=False) as free:
            if not free:
                return False
            if stamped and listed_use is not None and os.stat(stamp).st_mtime > listed_use:
                return False  # another process used it after we listed it: no longer the oldest
            shutil.rmtree(entry.path, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                stamp.unlink()
            return not entry.path.exists()

    def evict(self) -> list[Entry]:
        """Remove least recently used entries not in use until the total is within the cap;
        returns the removed ones. Entries in use stay even when that leaves the cache over."""
        entries = self.entries()
        total = sum(e.size for e in entries)
        removed = []
        for e in entries:
            if total <= self.max_bytes:
                break
            if self._remove(e, e.last_used):
                removed.append(e)
                total -= e.size
        return removed

    def clean(self) -> tuple[list[Entry], list[Entry]]:
        """Remove every entry not in use; returns (removed, kept in use). Stamps left without
        an entry (a use that never built anything) go too."""
        removed, kept = [], []
        for e in self.entries():
            (removed if self._remove(e, None) else kept).append(e)
        if self.root.is_dir():
            live = {e.name for e in kept}
            for stamp in self.root.glob("*" + STAMP):
                name = stamp.name[:-len(STAMP)]
                if name in live:
                    continue
                with removable_lock(stamp, wait=False) as free:
                    # a user makes the folder while holding the stamp, so under the lock an
                    # absent folder stays absent
                    if free and not (self.root / name).exists():
                        with contextlib.suppress(FileNotFoundError):
                            stamp.unlink()
        return removed, kept
