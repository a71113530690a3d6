"""Where the simulator cache lives and how big it may grow, from the environment.

Verilator builds are slow (a whole network takes minutes) and depend only on their inputs, so
they are kept across runs, folders and processes in one place: ``$FPGAGEN_CACHE`` (default
``~/.cache/fpgagen``), entries under its ``rtlsim/`` folder. Unbounded it filled disks (7.8 GB
in one test run), so it is an `LruDir` capped at ``$FPGAGEN_CACHE_MAX`` (default 4GB): a
size in bytes or with a unit, ``500MB``, ``2GB``, ``1.5GiB``. A value that is not a size is a
user error (one line, exit 2), never silently the default.
"""

from __future__ import annotations

import os
from pathlib import Path

from fpgagen.errors import FpgagenError
from fpgagen.util.lrudir import LruDir
from fpgagen.util.sizes import parse_bytes

CACHE_ENV = "FPGAGEN_CACHE"
MAX_ENV = "FPGAGEN_CACHE_MAX"
DEFAULT_MAX = 4 * 1000**3  # 4GB
SUBDIR = "rtlsim"

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3,
          "gb": 1000**3, "t": 1000**4, "tb": 1000**4, "kib": 1024, "mib": 1024**2,
          "gib": 1024**3, "tib": 1024**4}
# a cap no disk reaches: larger values are typing mistakes, refused as one line
MAX_CAP = 1000**5  # 1 PB


def parse_size(text: str) -> int:
    """Bytes in ``text``: a number, optionally with a unit (B, KB, MB, GB, TB: powers of 1000;
    KiB, MiB, GiB, TiB: powers of 1024; case-insensitive), at most `MAX_CAP`. Raises
    FpgagenError otherwise."""
    return parse_bytes(text, _UNITS, MAX_CAP, MAX_ENV, minimum=0, binary=False,
                       example="bytes, or a number with B, KB, MB, GB, TB, KiB, MiB, GiB or "
                               "TiB: 500MB, 2GB")


def format_size(n: int) -> str:
    """``n`` bytes for a person: 0 B, 950 B, 12.3 MB, 4.0 GB (powers of 1000, as parsed)."""
    if n < 1000:
        return f"{n} B"
    x = float(n)
    for unit in ("kB", "MB", "GB"):
        x /= 1000
        if x < 999.95:
            return f"{x:.1f} {unit}"
    return f"{x / 1000:.1f} TB"


def cache_dir() -> Path:
    """``$FPGAGEN_CACHE``, or ``~/.cache/fpgagen`` when it is unset or empty (absolute: the
    simulator runs in other folders)."""
    text = os.environ.get(CACHE_ENV, "")
    return Path(text or Path.home() / ".cache" / "fpgagen").expanduser().absolute()


def max_bytes() -> int:
    """The cap, ``$FPGAGEN_CACHE_MAX`` or 4GB."""
    text = os.environ.get(MAX_ENV, "")
    return parse_size(text) if text.strip() else DEFAULT_MAX


def sim_cache() -> LruDir:
    """The simulator cache as configured now (read at every call: tests and users may change
    the environment between runs). FpgagenError for a bad setting."""
    root = cache_dir()
    if root.exists() and not root.is_dir():
        raise FpgagenError(f"{CACHE_ENV}={root} is not a folder")
    return LruDir(root / SUBDIR, max_bytes())


def open_sim_cache() -> LruDir:
    """`sim_cache`, its folder created (FpgagenError when it cannot be: read-only, a file in
    the way), for a run that is about to build into it."""
    cache = sim_cache()
    try:
        cache.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FpgagenError(f"cannot create the simulator cache {cache.root}: "
                           f"{exc.strerror}") from None
    return cache
