"""Killed, concurrent and starved runs lose nothing (fpgagen/util/outdir.py, util/signals.py).

A SIGTERM'd build (what CI timeouts send) leaves nothing beside its output; leftovers of a
build killed outright are swept by the next run; two runs on one output never both report
success; a full disk, or any OS error while writing, is one line, exit 2, nothing left behind.
The full disk is a real 5 MB tmpfs (CI runs as root; without mount the test fails, it does not
skip) and, everywhere, an ENOSPC injected into the writer.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fpgagen.util.locking import removable_lock
from fpgagen.util.outdir import atomic_dir, claim, sweep_stale
from fpgagen.util.signals import Terminated, terminate_like_interrupt

SMALL = ("--model", "squeezenet", "--input-size", "32", "--pe", "8x8")
REPO = Path(__file__).resolve().parents[1]


def _one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, (code, err)
    assert out == ""
    assert err.startswith("fpgagen: error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err


def _fpgagen(*argv: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "fpgagen", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


# --- SIGTERM ------------------------------------------------------------------------------------

def test_sigterm_is_raised_like_ctrl_c_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as exc, terminate_like_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises here, long before this ends
    assert isinstance(exc.value, KeyboardInterrupt)
    assert exc.value.exit_code == 143 and exc.value.name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_sigterm_build_leaves_nothing(tmp_path):
    out = tmp_path / "b"
    proc = _fpgagen("build", *SMALL, "-q", "-o", str(out))
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".b.tmp-*")):  # the writing has begun
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert stderr == "fpgagen: terminated (SIGTERM)\n" and stdout == ""
    assert list(tmp_path.iterdir()) == []


# --- leftovers of a run killed outright ---------------------------------------------------------

def test_leftovers_of_killed_runs_are_swept_and_live_ones_kept(tmp_path):
    target = tmp_path / "b"
    dead = tmp_path / ".b.tmp-dead"  # SIGKILL: folder and lock file left, the lock free
    (dead / "hls").mkdir(parents=True)
    (tmp_path / ".b.tmp-dead.lock").touch()
    bare = tmp_path / ".b.old-bare"  # no lock file at all
    bare.mkdir()
    live = tmp_path / ".b.tmp-live"
    live.mkdir()
    other = tmp_path / ".c.tmp-x"  # another output's
    other.mkdir()
    with removable_lock(tmp_path / ".b.tmp-live.lock"):  # another process's, still running
        assert sorted(p.name for p in sweep_stale(target)) == [".b.old-bare", ".b.tmp-dead"]
        assert live.is_dir() and other.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".b.tmp-live", ".b.tmp-live.lock", ".c.tmp-x"]


def test_a_build_sweeps_the_leftovers_of_a_killed_one(cli, tmp_path):
    leftover = tmp_path / ".b.tmp-killed"
    (leftover / "rtl").mkdir(parents=True)
    (tmp_path / ".b.tmp-killed.lock").touch()
    code, _, err = cli("build", *SMALL, "-q", "-o", str(tmp_path / "b"))
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["b"]
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- two runs on one output ---------------------------------------------------------------------

def test_a_second_run_on_an_output_being_written_stops_in_one_line(cli, tmp_path):
    out = tmp_path / "b"
    with claim(out):  # another run is writing it
        code, stdout, err = cli("build", *SMALL, "-q", "-o", str(out))
        _one_line_error(code, stdout, err, f"{out} is being written by another fpgagen run")
        code, stdout, err = cli("build", *SMALL, "-q", "-o", str(out), "--force")
        _one_line_error(code, stdout, err, "being written by another fpgagen run")
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_comes_second_finds_the_first_result(tmp_path):
    out = tmp_path / "b"
    with atomic_dir(out) as tmp:
        (tmp / "first").touch()
    with pytest.raises(Exception, match="already exists"), atomic_dir(out):
        pass
    assert [p.name for p in out.iterdir()] == ["first"]


@pytest.mark.slow
def test_concurrent_builds_never_both_succeed(tmp_path):
    out = tmp_path / "b"
    procs = [_fpgagen("build", *SMALL, "-q", "-o", str(out)) for _ in range(3)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2, 2], results
    for code, _, err in results:
        if code == 2:
            assert err.count("\n") == 1 and ("being written by another" in err
                                             or "already exists" in err), err
    assert [p.name for p in tmp_path.iterdir()] == ["b"]


# --- a full disk and other OS errors ------------------------------------------------------------

def test_an_os_error_while_writing_is_one_line_and_leaves_nothing(cli, tmp_path, monkeypatch):
    def full(path, *_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("fpgagen.pipeline.write_vectors", full)
    code, out, err = cli("build", *SMALL, "-q", "-o", str(tmp_path / "b"))
    _one_line_error(code, out, err, f"cannot write {tmp_path / 'b'}", "No space left on device")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def small_disk(tmp_path):
    """A real 5 MB file system (tmpfs). CI runs as root: a machine that cannot mount fails
    here, loudly, rather than skipping the proof."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    mount = shutil.which("mount")
    assert mount is not None, "mount(8) is missing: the full-disk test needs it (root)"
    done = subprocess.run([mount, "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mnt)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"cannot mount a 5 MB tmpfs (run as root): {done.stderr}"
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_a_build_into_a_full_disk_is_one_line_and_leaves_nothing(cli, small_disk):
    # the default build writes 27 MB; the smallest still needs more than the disk has
    (small_disk / "filler").write_bytes(b"\0" * (4 * 1024 * 1024 + 512 * 1024))
    code, out, err = cli("build", *SMALL, "-q", "-o", str(small_disk / "b"))
    _one_line_error(code, out, err, f"cannot write {small_disk / 'b'}",
                    "No space left on device")
    assert [p.name for p in small_disk.iterdir()] == ["filler"]
