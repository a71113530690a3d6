"""How much memory this machine can still give a process: read before a large allocation, so
that a model too big for it is one line (exit 2) instead of a MemoryError traceback or the
kernel's OOM killer halfway through."""

from __future__ import annotations

import os


def available_bytes() -> int | None:
    """The memory the kernel says is available without swapping (``MemAvailable`` in
    /proc/meminfo), else the free physical pages; None where neither can be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
