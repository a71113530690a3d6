"""What a build was made from, so that its report can reproduce it: the ``reproduce`` section of
report.json and report.md.

A build is a function of its command line (model, board, precision, engine, seed), of the
files it read (weights, calibration images, the input image, an ONNX model: each named with its
SHA-256, so a changed file shows) and of the versions of fpgagen and of what computes the
numbers (Python, numpy). ``verify`` and ``synth`` add the versions of the tools they ran to
their own sections (`tool_lines` lists them all).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fpgagen import __version__


def file_fact(path: str | Path) -> dict[str, Any]:
    """A file as the report names it: absolute path, size and SHA-256 of its bytes."""
    p = Path(path)
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return {"path": str(p.resolve()), "bytes": p.stat().st_size, "sha256": h.hexdigest()}


def array_sha256(*arrays: Any, names: Sequence[str] = ()) -> str:
    """The SHA-256 of arrays given from Python (each one's name, dtype, shape and bytes): names
    them as `file_fact`'s hash names a file."""
    import numpy as np

    h = hashlib.sha256()
    for i, a in enumerate(arrays):
        a = np.ascontiguousarray(a)
        name = names[i] if i < len(names) else ""
        h.update(f"{name}\0{a.dtype.str}{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def command_line(argv: Sequence[str]) -> str:
    """``fpgagen`` and its arguments as a shell would take them back."""
    return shlex.join(["fpgagen", *argv])


def build_tools() -> dict[str, str]:
    """The versions of what computes a build's numbers (imported already by then)."""
    import jinja2
    import numpy

    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "jinja2": jinja2.__version__}


def reproduce_section(argv: Sequence[str] | None, seed: int, weights: Mapping[str, Any],
                      calibration: Mapping[str, Any], image: Mapping[str, Any],
                      model: Mapping[str, Any] | None = None,
                      call: str | None = None) -> dict[str, Any]:
    """The ``reproduce`` section: ``argv`` (None when not run from the command line) as
    ``command``, or the Python call that made the build (``call``, the API) as ``api``; the
    seed, where the weights, calibration images and input image came from, the model file (an
    ONNX model) and the versions."""
    return {
        "command": command_line(argv) if argv is not None else None,
        "api": call,
        "cwd": os.getcwd(),
        "fpgagen": __version__,
        "seed": seed,
        "model_file": dict(model) if model else None,
        "weights": dict(weights),
        "calibration": dict(calibration),
        "input": dict(image),
        "tools": build_tools(),
    }


def describe(fact: Mapping[str, Any] | None) -> str:
    """One line for people from a weights, calibration or input fact."""
    if not fact:
        return "not recorded"
    text = str(fact.get("description", fact.get("source", "")))
    if "path" in fact:
        text += f" `{fact['path']}`"
    if "sha256" in fact:
        text += f" (SHA-256 `{fact['sha256'][:16]}...`)"
    return text


def tool_lines(report: Mapping[str, Any]) -> list[str]:
    """Every tool version a report records: the build's, then those ``verify`` and ``synth``
    added (``csim.compiler``, ``rtl.simulator``, ``synth.yosys``, ``ecp5.nextpnr``)."""
    rep = report.get("reproduce") or {}
    lines = [f"fpgagen {report.get('fpgagen', rep.get('fpgagen', '?'))}"]
    lines += [f"{name} {version}" for name, version in (rep.get("tools") or {}).items()]
    for section, key, what in (("csim", "compiler", "verify --csim"),
                               ("rtl", "simulator", "verify --rtl"),
                               ("synth", "yosys", "synth"),
                               ("ecp5", "nextpnr", "synth --ecp5")):
        value = (report.get(section) or {}).get(key)
        if value:
            lines.append(f"{value} ({what})")
    return lines
