"""The Pareto front of a sweep: the points no other point beats on every objective.

Only feasible points compete (they fit and meet every constraint). The objectives: maximize the
streaming fps, minimize the on-chip bytes, the DSPs and the estimated energy per frame, and,
when the sweep measured accuracy, maximize the fixed-point top-1. A point is on the front when
no feasible point is at least as good on every objective and better on one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# (field, +1 maximize / -1 minimize)
OBJECTIVES: tuple[tuple[str, int], ...] = (
    ("streaming_fps", +1), ("onchip_bytes", -1), ("dsp", -1), ("energy_mj_estimated", -1))
ACCURACY_OBJECTIVE = ("top1_fixed", +1)


def objectives(with_accuracy: bool) -> tuple[tuple[str, int], ...]:
    return (*OBJECTIVES, ACCURACY_OBJECTIVE) if with_accuracy else OBJECTIVES


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """``a`` at least as good as ``b`` everywhere and better somewhere (larger is better)."""
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(
        x > y for x, y in zip(a, b, strict=True))


def pareto_front(points: Sequence[dict[str, Any]], with_accuracy: bool) -> list[bool]:
    """For each point, whether it is on the front (infeasible points never are)."""
    objs = objectives(with_accuracy)
    scores: list[tuple[float, ...] | None] = []
    for p in points:
        if not p.get("feasible") or any(p.get(k) is None for k, _ in objs):
            scores.append(None)
        else:
            scores.append(tuple(sign * float(p[k]) for k, sign in objs))
    feasible = [s for s in scores if s is not None]
    return [s is not None and not any(dominates(o, s) for o in feasible) for s in scores]
