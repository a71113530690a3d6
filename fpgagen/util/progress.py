"""Progress for long steps (calibrate, compile, simulate) on stderr, so stdout stays clean
for --json. A spinner while a step runs on a terminal, one line with its time when it ends;
nothing at all with --quiet."""

from __future__ import annotations

import errno
import time
from collections.abc import Iterator
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
