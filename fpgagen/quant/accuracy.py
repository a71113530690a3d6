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


OTHER = "(other)"


def confusion(pred: np.ndarray, labels: np.ndarray, classes: int
              ) -> tuple[list[list[int]], list[int]]:
    """The confusion matrix, rows the true class, columns the predicted one, and the classes
    of its rows.

    When the data hold every one of the model's ``classes``, it is square over them. Otherwise
    (a folder of 3 ImageNet classes against 1,000 outputs) the rows are the classes the data
    hold, the columns the same plus one last column for predictions outside them (`OTHER`):
    a matrix a person can read, not 1,000 x 1,000 zeros.
    """
    labels, pred = np.asarray(labels), np.asarray(pred)
    present = np.unique(labels) if len(labels) else np.zeros(0, dtype=np.int64)
    if len(present) == classes:
        m = np.zeros((classes, classes), dtype=np.int64)
        np.add.at(m, (labels, pred), 1)
        return m.tolist(), list(range(classes))
    index = {int(c): i for i, c in enumerate(present)}
    cols = np.array([index.get(int(p), len(present)) for p in pred], dtype=np.int64)
    rows = np.array([index[int(c)] for c in labels], dtype=np.int64)
    m = np.zeros((len(present), len(present) + 1), dtype=np.int64)
    np.add.at(m, (rows, cols), 1)
    return m.tolist(), [int(c) for c in present]
