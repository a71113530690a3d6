"""The Pareto front of a sweep: the points no other point beats on every objective.

Only feasible points compete (they fit and meet every constraint). The objectives: maximize the
streaming fps, minimize the on-chip bytes, the DSPs and the estimated energy per frame, and
maximize the quality: the fixed-point top-1 when the sweep measured accuracy, else the logits
SQNR (so that a narrower precision does not win on memory alone; an exact one, no noise, counts
as infinite). A point is on the front when no feasible point is at least as good on every
objective and better on one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# (field, +1 maximize / -1 minimize)
OBJECTIVES: tuple[tuple[str, int], ...] = (
    ("streaming_fps", +1), ("onchip_bytes", -1), ("dsp", -1), ("energy_mj_estimated", -1))
ACCURACY_OBJECTIVE = ("top1_fixed", +1)
SQNR_OBJECTIVE = ("logits_sqnr_db", +1)


def objectives(with_accuracy: bool) -> tuple[tuple[str, int], ...]:
    return (*OBJECTIVES, ACCURACY_OBJECTIVE if with_accuracy else SQNR_OBJECTIVE)


def _value(p: dict[str, Any], key: str) -> float | None:
    v = p.get(key)
    if v is None and key == SQNR_OBJECTIVE[0] and not p.get("quality_error"):
        return math.inf  # exact: the golden model equals the float one
    return None if v is None else float(v)


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """``a`` at least as good as ``b`` everywhere and better somewhere (larger is better)."""
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(
        x > y for x, y in zip(a, b, strict=True))


def pareto_front(points: Sequence[dict[str, Any]], with_accuracy: bool) -> list[bool]:
    """For each point, whether it is on the front (infeasible points never are)."""
    objs = objectives(with_accuracy)
    scores: list[tuple[float, ...] | None] = []
    for p in points:
        values = [_value(p, k) for k, _ in objs]
        if not p.get("feasible") or any(v is None for v in values):
            scores.append(None)
        else:
            scores.append(tuple(sign * v for (_, sign), v in zip(objs, values, strict=True)))
    feasible = [s for s in scores if s is not None]
    return [s is not None and not any(dominates(o, s) for o in feasible) for s in scores]
