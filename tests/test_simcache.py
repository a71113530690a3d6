"""The simulator cache's size cap (fpgagen/util/lrudir.py, fpgagen/verify/simcache.py): least
recently used entries evicted first, entries in use never, by this process or another; the
lock files removed with their entries safely; sizes parsed from FPGAGEN_CACHE_MAX. No simulator
needed: entries here are folders of plain files."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.util.locking import removable_lock
from fpgagen.util.lrudir import LruDir, tree_size
from fpgagen.verify.simcache import (
    DEFAULT_MAX,
    cache_dir,
    format_size,
    max_bytes,
    parse_size,
    sim_cache,
)

REPO = Path(__file__).resolve().parent.parent


def _entry(cache: LruDir, name: str, size: int, last_used: float) -> None:
    """An entry of ``size`` bytes last used at ``last_used`` (seconds since the epoch)."""
    with cache.use(name) as path:
        (path / "data").write_bytes(b"x" * size)
    os.utime(cache.root / f"{name}.use", (last_used, last_used))


def _names(cache: LruDir) -> list[str]:
    return [e.name for e in cache.entries()]


# --- sizes -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "size"), [
    ("0", 0), ("123", 123), ("500MB", 500_000_000), ("2GB", 2_000_000_000), ("2gb", 2 * 10**9),
    ("1.5GB", 1_500_000_000), ("4 GB", 4 * 10**9), ("10kB", 10_000), ("1KiB", 1024),
    ("3MiB", 3 * 1024**2), ("1GiB", 1024**3), ("2G", 2 * 10**9), ("7B", 7), (" 1TB ", 10**12),
    ("1e9", 10**9), ("1000TB", 10**15),
])
def test_sizes_parse(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "abc", "-1", "5XB", "GB", "1.2.3MB", "2 G B", "nan",
                                  "inf", "1e309", "1e999999999", "9" * 400, "1.01PB"])
def test_bad_sizes_are_one_line_errors(text):
    with pytest.raises(FpgagenError) as exc:
        parse_size(text)
    assert "\n" not in str(exc.value) and "FPGAGEN_CACHE_MAX" in str(exc.value)


def test_sizes_format():
    assert [format_size(n) for n in (0, 999, 1000, 12_345_678, 4 * 10**9, 3 * 10**12)] == [
        "0 B", "999 B", "1.0 kB", "12.3 MB", "4.0 GB", "3.0 TB"]
    assert format_size(999_999) == "1.0 MB"


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("FPGAGEN_CACHE", raising=False)
    monkeypatch.delenv("FPGAGEN_CACHE_MAX", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "fpgagen"
    assert max_bytes() == DEFAULT_MAX == 4 * 10**9
    monkeypatch.setenv("FPGAGEN_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("FPGAGEN_CACHE_MAX", "2MB")
    cache = sim_cache()
    assert cache.root == tmp_path / "c" / "rtlsim" and cache.max_bytes == 2_000_000
    monkeypatch.setenv("FPGAGEN_CACHE_MAX", "lots")
    with pytest.raises(FpgagenError, match="FPGAGEN_CACHE_MAX='lots' is not a size"):
        sim_cache()
    monkeypatch.setenv("FPGAGEN_CACHE_MAX", "1GB")
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("FPGAGEN_CACHE", str(tmp_path / "file"))
    with pytest.raises(FpgagenError, match="is not a folder"):
        sim_cache()


# --- least recently used first ---------------------------------------------------------------

def test_evicts_least_recently_used_first(tmp_path):
    cache = LruDir(tmp_path, 2500)
    now = time.time()
    for i, name in enumerate(["a", "b", "c", "d"]):
        _entry(cache, name, 1000, now - 100 + i)   # a oldest, d newest
    assert _names(cache) == ["a", "b", "c", "d"]
    removed = cache.evict()
    assert [e.name for e in removed] == ["a", "b"]
    assert _names(cache) == ["c", "d"]
    assert not (tmp_path / "a").exists() and not (tmp_path / "a.use").exists()
    assert cache.evict() == []   # within the cap now


def test_a_use_makes_an_entry_the_newest(tmp_path):
    cache = LruDir(tmp_path, 2000)
    now = time.time()
    for i, name in enumerate(["a", "b", "c"]):
        _entry(cache, name, 1000, now - 100 + i)
    with cache.use("a"):
        pass
    assert _names(cache) == ["b", "c", "a"]
    assert [e.name for e in cache.evict()] == ["b"]


def test_sizes_are_the_bytes_of_the_files(tmp_path):
    cache = LruDir(tmp_path, 10**9)
    with cache.use("x") as path:
        (path / "sub").mkdir()
        (path / "sub" / "f").write_bytes(b"y" * 300)
        (path / "g").write_bytes(b"z" * 700)
    (entry,) = cache.entries()
    assert entry.size == tree_size(path) == 1000


def test_an_entry_without_a_stamp_is_evicted_by_its_age(tmp_path):
    """Folders of an older cache layout have no stamp: their mtime is their last use."""
    cache = LruDir(tmp_path, 1500)
    old = tmp_path / "builds"
    old.mkdir()
    (old / "obj").write_bytes(b"o" * 1000)
    os.utime(old, (time.time() - 3600,) * 2)
    _entry(cache, "new", 1000, time.time())
    assert _names(cache) == ["builds", "new"]
    assert [e.name for e in cache.evict()] == ["builds"]
    assert not old.exists() and not (tmp_path / "builds.use").exists()


# --- entries in use ----------------------------------------------------------------------------

def test_an_entry_in_use_is_never_evicted(tmp_path):
    cache = LruDir(tmp_path, 0)
    now = time.time()
    _entry(cache, "old", 1000, now - 50)
    _entry(cache, "new", 1000, now)
    with cache.use("old") as path:
        assert cache.in_use("old") and not cache.in_use("new")
        assert [e.name for e in cache.evict()] == ["new"]
        assert (path / "data").is_file()
        removed, kept = cache.clean()
        assert removed == [] and [e.name for e in kept] == ["old"]
    assert not cache.in_use("old")
    assert [e.name for e in cache.evict()] == ["old"]
    assert _names(cache) == []


def test_clean_removes_everything_not_in_use(tmp_path):
    cache = LruDir(tmp_path, 10**9)
    for name in ("a", "b", "c"):
        _entry(cache, name, 100, time.time())
    (tmp_path / "orphan.use").touch()   # a use that never made its folder
    with cache.use("b"):
        removed, kept = cache.clean()
    assert sorted(e.name for e in removed) == ["a", "c"] and [e.name for e in kept] == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "b.use"]


# Holds entry "held" in use from another process until told to let go.
_HOLDER = """
import sys, time
from pathlib import Path
from fpgagen.util.lrudir import LruDir

root, sync = Path(sys.argv[1]), Path(sys.argv[2])
with LruDir(root, 0).use("held") as path:
    (path / "data").write_bytes(b"h" * 1000)
    (sync / "holding").touch()
    while not (sync / "release").exists():
        time.sleep(0.01)
    assert (path / "data").read_bytes() == b"h" * 1000
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def test_an_entry_another_process_uses_is_kept(tmp_path):
    root, sync = tmp_path / "cache", tmp_path / "sync"
    sync.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(root), str(sync)],
                              env=_env(), stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(sync / "holding", holder)
        cache = LruDir(root, 0)
        _entry(cache, "idle", 1000, time.time())
        os.utime(root / "held.use", (time.time() - 100,) * 2)   # the oldest: evicted first
        assert cache.in_use("held")
        assert [e.name for e in cache.evict()] == ["idle"]
        assert [e.name for e in cache.clean()[1]] == ["held"]
        assert (root / "held" / "data").is_file()
    finally:
        (sync / "release").touch()
        _, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err
    assert [e.name for e in LruDir(root, 0).evict()] == ["held"]


# Uses and evicts entries of a tiny cache at random, checking that its entry stays whole
# while it uses it; prints how many uses it made.
_STRESS = """
import random, sys
from pathlib import Path
from fpgagen.util.lrudir import LruDir

root, seed = Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
cache = LruDir(root, 3000)
uses = 0
for _ in range(300):
    name = f"e{rng.randrange(6)}"
    with cache.use(name) as path:
        mine = path / f"p{seed}"
        mine.write_bytes(bytes([seed]) * 1000)
        cache.evict()
        assert mine.read_bytes() == bytes([seed]) * 1000, "evicted while in use"
        mine.unlink()
        uses += 1
print(uses)
"""


def test_two_processes_using_and_evicting_at_once(tmp_path):
    """Two processes share a cache whose cap is below what they use: each keeps evicting the
    other's entries, never one in use, and neither fails on a folder or stamp that vanished."""
    procs = [subprocess.Popen([sys.executable, "-c", _STRESS, str(tmp_path), str(seed)],
                              env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for seed in (1, 2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == "300"
    assert LruDir(tmp_path, 3000).clean()[1] == []


def _wait_until_blocked(path: Path) -> None:
    """Until some process waits for a lock on ``path`` (a ``->`` line of /proc/locks)."""
    locks = Path("/proc/locks")
    if not locks.is_file():
        time.sleep(1)
        return
    ino = f":{path.stat().st_ino} "
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any("->" in ln and ino in ln for ln in locks.read_text().splitlines()):
            return
        time.sleep(0.01)
    raise AssertionError("the user never waited for the lock")


def test_a_lock_file_removed_while_waited_for_is_not_shared(tmp_path):
    """A user waiting on an entry's stamp while eviction removes it must end up holding the
    stamp now at that path (a new file), not the deleted one: else a second user and the
    next eviction would both think they hold it."""
    cache = LruDir(tmp_path, 0)
    _entry(cache, "e", 10, time.time() - 10)
    stamp = tmp_path / "e.use"
    got: list[Path] = []
    release = threading.Event()

    def user() -> None:
        with cache.use("e") as path:
            got.append(path)
            release.wait(30)

    with removable_lock(stamp, wait=False) as held:   # eviction holds the stamp ...
        assert held
        thread = threading.Thread(target=user)
        thread.start()
        _wait_until_blocked(stamp)                    # ... the user opened it and waits
        assert not got
        stamp.unlink()                                # ... eviction removes it
        (tmp_path / "e" / "data").unlink()
    deadline = time.monotonic() + 30
    while not got and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert got, "the user never got the entry"
        assert stamp.exists() and cache.in_use("e"), "the user holds a deleted stamp"
        assert cache.evict() == [] and got[0].is_dir()
    finally:
        release.set()
        thread.join()


def test_bad_entry_names_are_refused(tmp_path):
    cache = LruDir(tmp_path, 0)
    for name in ("", "a/b", ".hidden", "x.use"):
        with pytest.raises(ValueError), cache.use(name):
            pass

