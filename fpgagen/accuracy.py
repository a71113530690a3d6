"""Accuracy figures from logits: top-k hits and the confusion matrix.

Predictions rank the logits with ties broken towards the lower class index (a stable sort of
the negated logits), the same rule for float, fixed-point integers and the RTL's integers: an
8-bit model ties more often than a float one, and a tie must not look like a disagreement
between two integer models that computed the same logits.
"""

from __future__ import annotations

import numpy as np


def ranked(logits: np.ndarray, k: int) -> np.ndarray:
    """(N, C) logits -> (N, k) class indices, best first, ties to the lower index."""
    return np.argsort(-np.asarray(logits, dtype=np.float64), axis=1, kind="stable")[:, :k]


def topk_hits(logits: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(N,) bool: whether the true class is among the ``k`` best logits."""
    return (ranked(logits, k) == np.asarray(labels)[:, None]).any(axis=1)


def confusion(pred: np.ndarray, labels: np.ndarray, classes: int) -> list[list[int]]:
    """``classes`` x ``classes`` counts, rows the true class, columns the predicted one."""
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (np.asarray(labels), np.asarray(pred)), 1)
    return m.tolist()
