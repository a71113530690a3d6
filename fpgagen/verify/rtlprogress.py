"""What ``verify --rtl`` shows while it runs: the Verilator build with its elapsed time, then
the simulated layer-table entries with an ETA from the Plan's estimated cycles.

A whole-network RTL run is minutes of silence otherwise (SqueezeNet 1.1 on the ZC706: about 4
minutes of Verilator build, then a minute of simulation). The build's length cannot be
predicted (its C++ compile depends on the machine and the cache); its elapsed time is shown.
The simulation's can: the Plan estimates every entry's cycles (report.json ``layers[]
.cycles_estimate``, within 1 % of the RTL on the zoo), the bench dumps the arena after each
entry, so the simulated cycles per second so far and the estimated cycles still to go give
the time left, images streamed after the first included.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fpgagen.util.progress import Live
from fpgagen.verify.simbuild import Build


@dataclass(frozen=True)
class RtlEstimate:
    """The Plan's cycles for one RTL run: each layer-table entry of the first image (by the
    name of its layer), then the images streamed after it."""

    entries: tuple[str, ...]
    cycles: tuple[int, ...]
    later_images: int = 0
    later_cycles: int = 0  # all of them together

    @property
    def total(self) -> int:
        return sum(self.cycles) + self.later_cycles


def estimate(report: Mapping[str, Any], bench: Mapping[str, Any], images: int = 1
             ) -> RtlEstimate:
    """The estimate of a run of ``images`` images of a build (report.json, rtl/bench.json)."""
    per_layer = {lay["name"]: int(lay.get("cycles_estimate") or 0)
                 for lay in report.get("layers") or []}
    names = tuple(e["name"] for e in bench.get("entries") or [])
    cycles = [per_layer.get(n, 0) for n in names]
    if cycles:  # the image load and the logits are outside the layers: the first entry waits
        est = report.get("estimate") or {}
        cycles[0] += max(0, int(est.get("cycles", 0)) - sum(per_layer.values()))
    later = max(0, images - 1)
    streaming = int((report.get("estimate") or {}).get("streaming_cycles") or 0)
    return RtlEstimate(names, tuple(cycles), later, later * streaming)


def _clock(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 60}:{s % 60:02d}"


class RtlProgress:
    """A `fpgagen.verify.rtlbench.RunMonitor` that writes to a `Live` step."""

    def __init__(self, live: Live, est: RtlEstimate, now=time.monotonic) -> None:
        self.live = live
        self.est = est
        self.now = now
        self.start = now()
        self.sim_start: float | None = None
        self.done = 0
        self.first_at: float | None = None  # when the first entry finished
        self.done_at: float | None = None  # when the latest one did

    def building(self) -> None:
        self.start = self.now()
        self.live.update(self.text(), phase=True)

    def simulating(self, build: Build) -> None:
        took = self.now() - self.start
        self.live.update(f"Verilator build: {_clock(took)}" if build.compiled
                         else "Verilator build: found in the cache", phase=True)
        self.sim_start = self.now()
        self.live.update(self.text(), phase=True)

    def entries(self, done: int) -> None:
        if done and done != self.done:
            self.done_at = self.now()
            if self.first_at is None:
                self.first_at = self.done_at
        self.done = done
        self.live.update(self.text(), phase=done == len(self.est.entries))

    def tick(self) -> None:
        self.live.update(self.text())

    def eta_seconds(self) -> float | None:
        """Seconds left: the cycles still to simulate at the rate of the entries finished so
        far (from the end of the first, which also holds the simulator's start-up), less the
        time since the latest finished. None before there is a rate."""
        if self.first_at is None or self.done_at is None or self.done < 2:
            return None
        span = self.done_at - self.first_at
        cycles = sum(self.est.cycles[1:self.done])
        if span <= 0 or cycles <= 0:
            return None
        left = (self.est.total - sum(self.est.cycles[:self.done])) * span / cycles
        return max(0.0, left - (self.now() - self.done_at))

    def text(self) -> str:
        """The line now: the phase, its elapsed time, and in the simulation the entry running
        and the time left."""
        if self.sim_start is None:
            return (f"Verilator build: {_clock(self.now() - self.start)} so far (minutes for a "
                    "whole network; cached once built)")
        n = len(self.est.entries)
        head = f"simulating ~{self.est.total:,} cycles (the Plan's estimate)"
        elapsed = _clock(self.now() - self.sim_start)
        if n and self.done >= n:
            more = self.est.later_images
            what = f"image 1 done, {more} more streaming" if more else "all entries done"
        elif n:
            what = f"entry {self.done + 1} of {n} ({self.est.entries[self.done]})"
        else:
            what = "running"
        eta = self.eta_seconds()
        left = "" if eta is None else (f", about {_clock(eta)} left" if eta >= 1
                                       else ", finishing")
        return f"{head}: {what}, {elapsed}{left}"


def progress_for(live: Live, report: Mapping[str, Any], bench: Mapping[str, Any],
                 images: int) -> RtlProgress:
    return RtlProgress(live, estimate(report, bench, images))

