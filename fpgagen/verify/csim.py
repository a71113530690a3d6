"""C-simulation: compile the generated HLS C++ and its testbench with g++ against the ap_types
headers shipped in the hls4ml package, run it on the vectors, and read its verdict.

No vendor tool is needed; this is the proof that the C++ is bit-exact with the golden model.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpgagen.errors import FpgagenError
from fpgagen.hls.toolchain import ap_types_dir, compiler

# -O2 for speed; at -O1+ GCC 12 reports -Wmaybe-uninitialized false positives inside
# ap_private.h (ap_int leaves its bits uninitialized by design). Warning-freedom of the generated
# code itself is tested with the plain flags -std=c++14 -Wall -Wextra (tests/test_hls.py).
CXXFLAGS = ("-std=c++14", "-O2", "-Wall", "-Wextra", "-Wno-maybe-uninitialized")


@dataclass(frozen=True)
class TensorResult:
    """One compared tensor: ``ok``, or the first mismatch (HWC index, expected, got)."""

    name: str
    ok: bool
    count: int = 0
    index: tuple[int, int, int] | None = None
    expected: int | None = None
    got: int | str | None = None
    mismatches: int = 0


@dataclass(frozen=True)
class SimResult:
    """A C-simulation's verdict. ``not_compared``: tensors the Plan stores that the testbench
    gave no verdict on; a proof that skips a tensor proves nothing about it, so it fails."""

    tensors: tuple[TensorResult, ...]
    missing: tuple[str, ...]
    returncode: int
    compile_seconds: float
    run_seconds: float
    not_compared: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (self.returncode == 0 and all(t.ok for t in self.tensors) and not self.missing
                and not self.not_compared)

    @property
    def first_mismatch(self) -> TensorResult | None:
        return next((t for t in self.tensors if not t.ok), None)


def not_compared(expected: Sequence[str], tensors: Sequence[TensorResult],
                 missing: Sequence[str] = ()) -> tuple[str, ...]:
    """The names in ``expected`` that got no verdict (neither equal nor a mismatch) and were
    not reported missing either, in the order given."""
    seen = {t.name for t in tensors} | set(missing)
    return tuple(n for n in expected if n not in seen)


def compiler_version() -> str:
    """The first line of the C++ compiler's ``--version`` (for the report's tool list)."""
    try:
        out = subprocess.run([compiler(), "--version"], capture_output=True, text=True,
                             check=False, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown compiler"
    return (out.splitlines() or ["unknown compiler"])[0].strip()


def compile_csim(hls_dir: Path, exe: Path, extra_flags: tuple[str, ...] = ()) -> str:
    """Compile ``hls_dir`` (engine + testbench) into ``exe``; returns the compiler's warnings.

    The ap_types folder is a system include (``-isystem``) so that its own warnings do not
    drown ours: the generated code itself must compile warning-free under -Wall -Wextra.
    """
    cmd = [compiler(), *CXXFLAGS, *extra_flags, "-isystem", str(ap_types_dir()),
           "-I", str(hls_dir / "csim"), "-I", str(hls_dir),
           str(hls_dir / "fpgagen.cpp"), str(hls_dir / "tb.cpp"), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr[:200])
        raise FpgagenError(f"C-simulation does not compile: {first.strip()}")
    return proc.stderr


def _ints(parts: list[str]) -> bool:
    return all(p.lstrip("-").isdigit() for p in parts)


def parse_tb_output(text: str) -> tuple[list[TensorResult], list[str]]:
    """The testbench's lines: ``OK name n``, ``MISMATCH name h w c expected got n``,
    ``MISMATCH stream: what differs``, ``MISSING name``; and the stream library's warning that
    a stream was read while empty (the core read more beats than were sent), a failure too."""
    tensors, missing = [], []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        empty = re.search(r"stream '([^']*)' is read while empty", line)
        if empty:
            tensors.append(TensorResult(empty.group(1), False, 0, None, None,
                                        "read while empty (the core read more beats than "
                                        "the stream holds)", 1))
        elif parts[0] == "OK" and len(parts) == 3:
            tensors.append(TensorResult(parts[1], True, int(parts[2])))
        elif parts[0] == "MISMATCH" and len(parts) == 8 and _ints(parts[2:6] + parts[7:]):
            got: int | str = int(parts[6]) if parts[6].lstrip("-").isdigit() else parts[6]
            tensors.append(TensorResult(parts[1], False, 0,
                                        (int(parts[2]), int(parts[3]), int(parts[4])),
                                        int(parts[5]), got, int(parts[7])))
        elif parts[0] == "MISMATCH":
            tensors.append(TensorResult(parts[1].rstrip(":"), False, 0, None, None,
                                        " ".join(parts[2:]), 1))
        elif parts[0] == "MISSING":
            missing.append(" ".join(parts[1:]))
    return tensors, missing


def run_csim(exe: Path, vectors: Path, timeout: float = 900) -> tuple[str, int]:
    try:
        proc = subprocess.run([str(exe), str(vectors)], capture_output=True, text=True,
                              check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise FpgagenError(f"C-simulation did not finish within {timeout:.0f} s") from None
    return proc.stdout, proc.returncode
