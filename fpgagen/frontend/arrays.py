"""Checks on the arrays a user hands in: weights, images, calibration sets."""

from __future__ import annotations

import numpy as np

from fpgagen.errors import FpgagenError


def check_real(a: np.ndarray, what: str) -> np.ndarray:
    """``a`` itself when it holds real numbers (float or integer dtype); a one-line error for
    complex, bool, string or object arrays. numpy would cast a complex array to float with a
    mere warning, silently dropping the imaginary part, and a bool or string array is never an
    image, so those are refused here instead of computing on something the user did not mean.
    """
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise FpgagenError(f"{what} has dtype {a.dtype}: expected real numbers (a float or "
                           "integer array)")
    return a
