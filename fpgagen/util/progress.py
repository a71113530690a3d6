"""Progress for long steps (calibrate, compile, simulate) on stderr, so stdout stays clean
for --json. A spinner while a step runs on a terminal, one line with its time when it ends;
nothing at all with --quiet. A `Live` step also says where it is (phases, counts, an ETA)."""

from __future__ import annotations

import errno
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console


class PipeConsole(Console):
    """A rich Console that lets a closed pipe raise BrokenPipeError for `fpgagen.cli.main.main` to
    answer. rich's own handler exits with status 1, which ``check`` uses for "does not fit"."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more from this console
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


class Steps:
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = PipeConsole(stderr=True, highlight=False)

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        start = time.perf_counter()
        if self.quiet:
            yield
            return
        if self.console.is_terminal:
            with self.console.status(f"{what} ..."):
                yield
        else:
            yield
        self.console.print(f"[green]done[/] {what} ({time.perf_counter() - start:.1f} s)")

    def note(self, text: str) -> None:
        """One line on stderr, unless quiet."""
        if not self.quiet:
            self.console.print(text, highlight=False)

    @contextmanager
    def live(self, what: str, tick: Callable[[float], str] | None = None) -> Iterator[Live]:
        """`step` with a line the step updates as it goes (`Live`); ``tick(seconds)``, when
        given, makes that line every second from the time elapsed (a tool that says nothing
        while it runs)."""
        start = time.perf_counter()
        if self.quiet:
            yield _Quiet()
            return
        copy = _stderr_copy()
        stop = threading.Event()
        try:
            console = PipeConsole(file=copy, highlight=False) if copy else self.console
            if not console.is_terminal:  # a log: lines whole, not folded at 80 columns
                console.width = 160
            live = Live(console)

            def ticking() -> None:
                while not stop.wait(1.0):
                    live.update(tick(time.perf_counter() - start))  # type: ignore[misc]

            thread = threading.Thread(target=ticking, daemon=True) if tick else None
            if console.is_terminal:
                with console.status(f"{what} ...") as status:
                    live._status = status
                    if thread is not None:
                        thread.start()
                    yield live
            else:
                console.print(f"{what} ...", highlight=False)
                if thread is not None:
                    thread.start()
                yield live
            stop.set()
            if thread is not None and thread.is_alive():
                thread.join()
            console.print(f"[green]done[/] {what} ({time.perf_counter() - start:.1f} s)")
        finally:
            stop.set()
            if copy is not None:
                copy.close()


class Live:
    """A step whose line changes while it runs (`Steps.live`): phases, counts, an ETA.

    ``update(text)`` sets the line. On a terminal it is a spinner redrawn in place, and the line
    of a new phase (``update(..., phase=True)``) also stays above it; elsewhere (a CI log) a
    line is printed when the phase changes and at most every `LOG_EVERY_S` seconds otherwise,
    so a long step shows it is alive without flooding the log. Thread-safe: a watcher thread
    may update it.

    It writes to a copy of the stderr file descriptor taken when it starts, so it still
    reaches the terminal while the step sends this process's descriptors 1 and 2 into a log
    file (the simulator's output, `fpgagen.verify.rtlbench`).
    """

    LOG_EVERY_S = 15.0

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()
        self._text = ""
        self._printed = 0.0
        self._status = None

    def update(self, text: str, phase: bool = False) -> None:
        with self._lock:
            if text == self._text:
                return
            self._text = text
            if self._status is not None:
                self._status.update(text)
                if phase:  # a phase's line stays above the spinner
                    self.console.print(f"  {text}", highlight=False)
            elif phase or time.monotonic() - self._printed >= self.LOG_EVERY_S:
                self._printed = time.monotonic()
                self.console.print(f"  {text}", highlight=False)


class _Quiet(Live):
    def __init__(self) -> None:
        pass

    def update(self, text: str, phase: bool = False) -> None:
        pass


def _stderr_copy():
    """A file on a duplicate of stderr's descriptor (None when stderr has none: a test's
    in-memory capture, which no redirection of descriptors can reach anyway)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):
        return None
    return os.fdopen(os.dup(fd), "w", buffering=1, encoding=sys.stderr.encoding or "utf-8",
                     errors="replace")
