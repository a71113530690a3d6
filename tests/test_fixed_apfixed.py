"""Cross-check of round_shift + saturate against the real ap_fixed (hls4ml's ap_types headers).

One C++ program is compiled once per session with one template instantiation per (type,
accumulator binary point, rounding, saturation); it reads ``config value`` lines on stdin, casts
the 64-bit accumulator ``value * 2**-FA`` to ``ap_[u]fixed<W,I,Q,O>`` and prints the raw bits of
the result. fpgagen's ``requantize(value, FA - F, type, Q, O)`` must give the same integers for
every value: random ones from hypothesis and a deterministic batch of edge values (range limits,
exact halves, one off either side).
"""

from __future__ import annotations

import itertools
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpgagen.hls.toolchain import ap_types_dir
from fpgagen.quant.fixed import ROUNDING_MODES, SATURATION_MODES, FixedType, requantize

# (W, I, signed): ordinary, all-fraction, I > W (negative frac), I < 0, 1- and 2-bit types.
TYPES = [(8, 3, True), (8, 8, True), (8, -2, True), (16, 6, True), (2, 1, True), (6, 8, True),
         (8, 3, False), (8, 0, False), (1, 1, False), (16, 6, False), (6, 8, False),
         (5, -1, False)]
ACC_FRACS = [0, 7, 20, 40]  # FA: the accumulator's fractional bits (FA < F: exact left shift)
CONFIGS = [(w, i, s, fa, q, o) for (w, i, s), fa, q, o in
           itertools.product(TYPES, ACC_FRACS, ROUNDING_MODES, SATURATION_MODES)]
LIMIT = 1 << 61  # accumulators stay well inside int64 (the quantizer guarantees < 2**62)



def _source() -> str:
    cases = []
    for k, (w, i, s, fa, q, o) in enumerate(CONFIGS):
        kind = "ap_fixed" if s else "ap_ufixed"
        cases.append(f"    case {k}: out = cast<{kind}<{w}, {i}, {q}, {o}>, {fa}, {w}>(v); break;")
    body = "\n".join(cases)
    return f"""#include <ap_fixed.h>
#include <cstdio>

template <class T, int FA, int W>
unsigned long long cast(long long v) {{
    ap_fixed<64, 64 - FA> acc;
    acc.range(63, 0) = (unsigned long long)v;
    T y = acc;
    return y.range(W - 1, 0).to_uint64();
}}

int main() {{
    int k;
    long long v;
    while (std::scanf("%d %lld", &k, &v) == 2) {{
        unsigned long long out = 0;
        switch (k) {{
{body}
        default: return 3;
        }}
        std::printf("%llu\\n", out);
    }}
    return 0;
}}
"""


@pytest.fixture(scope="module")
def apfixed(tmp_path_factory):
    """The compiled cross-check program; returns a function (configs, values) -> raw results."""
    d = tmp_path_factory.mktemp("apfixed")
    (d / "cast.cpp").write_text(_source())
    exe = d / "cast"
    subprocess.run(["g++", "-O0", "-std=c++14", f"-I{ap_types_dir()}", "cast.cpp", "-o",
                    str(exe)], cwd=d, check=True, capture_output=True, timeout=300)

    def run(pairs: list[tuple[int, int]]) -> list[int]:
        text = "".join(f"{k} {v}\n" for k, v in pairs)
        res = subprocess.run([str(exe)], input=text, capture_output=True, text=True,
                             check=True, timeout=60)
        return [int(line) for line in res.stdout.split()]

    return run


def _expected(k: int, v: int) -> int:
    w, i, s, fa, q, o = CONFIGS[k]
    t = FixedType(w, w - i, s)
    return int(requantize(np.int64(v), fa - t.frac, t, q, o))


def _raw(k: int, bits: int) -> int:
    """The C++ prints the low W bits; sign-extend them for signed types."""
    w, _, s, *_ = CONFIGS[k]
    return bits - (1 << w) if s and bits >> (w - 1) else bits


def _check(apfixed, pairs: list[tuple[int, int]]) -> None:
    got = [_raw(k, b) for (k, _), b in zip(pairs, apfixed(pairs), strict=True)]
    want = [_expected(k, v) for k, v in pairs]
    bad = [(CONFIGS[k], v, g, e) for (k, v), g, e in zip(pairs, got, want, strict=True) if g != e]
    assert not bad, f"{len(bad)} mismatches, first: {bad[:5]}"


def _edge_values(k: int) -> list[int]:
    w, i, s, fa, _, _ = CONFIGS[k]
    shift = fa - (w - i)
    t = FixedType(w, w - i, s)
    step = 1 << max(shift, 0)
    half = step // 2
    out = {0, 1, -1, LIMIT - 1, -LIMIT}
    for q in (t.qmin, t.qmax, t.qmin - 1, t.qmax + 1, 0, 1, -1, 2, -2, t.qmax // 2, 3, -3):
        base = q * step if shift >= 0 else q >> -shift
        for d in (0, 1, -1, half, half - 1, half + 1, -half, -half - 1, -half + 1):
            out.add(base + d)
    for e in range(62):
        out.update((1 << e, -(1 << e), (1 << e) - 1, -(1 << e) + 1))
    return [v for v in out if -LIMIT <= v < LIMIT]


@pytest.mark.slow
def test_edge_values_match_ap_fixed(apfixed):
    rng = np.random.default_rng(3)
    pairs = [(k, v) for k in range(len(CONFIGS)) for v in _edge_values(k)]
    for k in range(len(CONFIGS)):  # plus random values of every magnitude
        mags = rng.integers(0, 61, 40)
        pairs += [(k, int(rng.integers(-(1 << m), 1 << m))) for m in mags]
    assert len(pairs) > 10_000
    _check(apfixed, pairs)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(CONFIGS) - 1),
                          st.one_of(st.integers(-LIMIT, LIMIT - 1), st.integers(-4096, 4096))),
                min_size=1, max_size=200))
def test_random_values_match_ap_fixed(apfixed, pairs):
    _check(apfixed, pairs)
