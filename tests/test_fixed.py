"""Property tests of the fixed-point ops against a slow, independent Python-int model."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fpgagen.errors import FpgagenError
from fpgagen.quant.fixed import (
    ROUNDING_MODES,
    SATURATION_MODES,
    FixedType,
    align,
    avg_reciprocal,
    calibrated_type,
    check_mode,
    clog2,
    dequantize,
    quantize_float,
    requantize,
    round_shift,
    saturate,
)

ACC = st.integers(-(1 << 61), (1 << 61) - 1)
MODES = st.sampled_from(ROUNDING_MODES)
SATS = st.sampled_from(SATURATION_MODES)


@st.composite
def fixed_types(draw) -> FixedType:
    signed = draw(st.booleans())
    width = draw(st.integers(2 if signed else 1, 64 if signed else 63))
    return FixedType(width, draw(st.integers(-8, 40)), signed)


def slow_round(value: Fraction, mode: str) -> int:
    """Round a rational to an integer the way ap_fixed's quantization modes are specified."""
    fl = math.floor(value)
    rem = value - fl
    if mode == "AP_TRN":
        return fl
    if mode == "AP_RND":
        return fl + (1 if rem >= Fraction(1, 2) else 0)
    return round(value)  # Python rounds a Fraction half to even: AP_RND_CONV


def slow_round_shift(v: int, s: int, mode: str) -> int:
    return v * 2 ** -s if s <= 0 else slow_round(Fraction(v, 2 ** s), mode)


def slow_sat(v: int, t: FixedType, mode: str) -> int:
    lo, hi = (-(2 ** (t.width - 1)), 2 ** (t.width - 1) - 1) if t.signed else (0, 2 ** t.width - 1)
    if mode == "AP_SAT":
        return min(max(v, lo), hi)
    m = v % 2 ** t.width
    return m - 2 ** t.width if t.signed and m >= 2 ** (t.width - 1) else m


@given(ACC, st.integers(-8, 60), MODES)
def test_round_shift(v, s, mode):
    if s < 0:
        v >>= 10  # keep the exact left shift inside int64
    assert int(round_shift(v, s, mode)) == slow_round_shift(v, s, mode)


@given(st.lists(ACC, min_size=1, max_size=50), st.integers(1, 40), MODES)
def test_round_shift_vectorized(vs, s, mode):
    got = round_shift(np.array(vs, dtype=np.int64), s, mode)
    assert got.dtype == np.int64
    assert got.tolist() == [slow_round_shift(v, s, mode) for v in vs]


@given(ACC, fixed_types(), SATS)
def test_saturate(v, t, mode):
    assert int(saturate(v, t, mode)) == slow_sat(v, t, mode)


@given(ACC, st.integers(-30, 60), fixed_types(), MODES, SATS)
def test_requantize(v, s, t, q, o):
    want = slow_sat(slow_round_shift(v, s, q), t, o)
    assert int(requantize(v, s, t, q, o)) == want


@given(st.floats(-1e6, 1e6, allow_nan=False), fixed_types(), MODES, SATS)
def test_quantize_float(x, t, q, o):
    exact = Fraction(x) * Fraction(2) ** t.frac
    want = slow_sat(slow_round(exact, q), t, o)
    assert int(quantize_float(x, t, q, o)) == want


@given(st.integers(-(1 << 40), 1 << 40), st.integers(-5, 10), st.integers(0, 12))
def test_align_is_exact(q, f, extra):
    got = int(align(q, f, f + extra))
    assert Fraction(got) / Fraction(2) ** (f + extra) == Fraction(q) / Fraction(2) ** f
    with pytest.raises(ValueError):
        align(q, f + 1, f)


@given(st.integers(1, 1 << 20), st.integers(2, 24))
def test_avg_reciprocal(n, bits):
    m, s = avg_reciprocal(n, bits)
    assert 0 < m < 2 ** bits
    assert m == slow_round(Fraction(2 ** s, n), "AP_RND")
    assert abs(Fraction(m, 2 ** s) - Fraction(1, n)) <= Fraction(1, 2 ** (s + 1))
    if n & (n - 1) == 0:
        assert Fraction(m, 2 ** s) == Fraction(1, n)


def test_avg_reciprocal_for_zoo_pools():
    for n in (13 * 13, 14 * 14, 8 * 8, 15 * 15):
        m, s = avg_reciprocal(n)
        assert m < 2 ** 16 and abs(m / 2 ** s - 1 / n) * n < 2 ** -14


@given(st.floats(1e-9, 1e9), st.integers(2, 32), st.booleans())
def test_calibrated_type_holds_the_peak(peak, width, signed):
    t = calibrated_type(width, peak, signed)
    assert (t.width, t.signed) == (width, signed)
    assert peak < (t.qmax + 1) * 2.0 ** -t.frac  # strictly inside (up to one lsb)
    assert peak >= (t.qmax + 1) * 2.0 ** -t.frac / 2  # and no whole bit wasted


def test_unsigned_gains_a_bit():
    assert calibrated_type(8, 3.0, False).frac == calibrated_type(8, 3.0, True).frac + 1
    assert calibrated_type(8, 0.0, True) == FixedType(8, 7, True)


@given(st.integers(1, 1 << 30))
def test_clog2(n):
    assert 2 ** clog2(n) >= n and (n == 1 or 2 ** (clog2(n) - 1) < n)


def test_dequantize_roundtrip():
    t = FixedType(8, 5)
    q = np.arange(t.qmin, t.qmax + 1)
    np.testing.assert_array_equal(quantize_float(dequantize(q, t), t), q)


def test_modes_are_checked():
    assert check_mode("ap_trn", "ap_wrap") == ("AP_TRN", "AP_WRAP")
    with pytest.raises(FpgagenError, match="rounding"):
        check_mode("AP_RND_ZERO", "AP_SAT")
    with pytest.raises(FpgagenError, match="saturation"):
        check_mode("AP_RND", "AP_SAT_SYM")


@settings(max_examples=30)
@given(st.lists(ACC, min_size=1, max_size=30), fixed_types(), st.integers(-12, 40), MODES, SATS)
def test_requantize_vectorized(vs, t, s, q, o):
    got = requantize(np.array(vs, dtype=np.int64), s, t, q, o)
    assert got.tolist() == [slow_sat(slow_round_shift(v, s, q), t, o) for v in vs]


def test_left_shift_saturates_at_64_bits():
    """Found by hypothesis: 2**60 << 3 into a signed 64-bit type must clamp, not wrap."""
    t = FixedType(64, 0, True)
    got = requantize(np.array([1 << 60, -(1 << 60) - 1, 5], dtype=np.int64), -3, t)
    assert got.tolist() == [t.qmax, t.qmin, 40]
