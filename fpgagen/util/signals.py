"""SIGTERM and SIGHUP handled like Ctrl-C.

CI timeouts, schedulers and ``kill`` send SIGTERM, a closed terminal SIGHUP. Python's default
for both is to die at once, skipping every ``finally``: a build then left its temporary folder
(27 MB for the default) beside the output. Under `terminate_like_interrupt` each of them raises
`Terminated`, a KeyboardInterrupt, in the main thread instead, so every cleanup that Ctrl-C runs
(temporary folders, locks, child processes that ``subprocess.run`` kills on the way out) runs
too. A second signal during that cleanup is ignored rather than cutting it short; the process
exits with 128 + the signal's number, as a shell reports a process killed by it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

HANDLED = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _raise(signum: int, _frame: FrameType | None) -> None:
    for sig in HANDLED:  # once: the cleanup this starts must not be cut short
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def terminate_like_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into `Terminated` for the block; the previous handlers come back
    after it. Outside the main thread (where Python cannot set handlers) a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a signal ignored on the way in stays ignored (``nohup fpgagen build ...``)
    saved = {sig: signal.signal(sig, _raise) for sig in HANDLED
             if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
