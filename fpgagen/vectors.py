"""Test vectors: the golden model's integers for one input, as .npy (Python) and .hex (the C++
and HDL testbenches: one two's-complement value per line, HWC order)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .graph import INPUT
from .memimage import values_to_hex
from .quantize import QGraph


def write_vectors(out: Path, qgraph: QGraph, outputs: Mapping[str, np.ndarray]) -> None:
    """Write ``input``, every layer under ``layers/`` and ``output`` (the network output)."""
    (out / "layers").mkdir(parents=True, exist_ok=True)

    def save(path: Path, name: str) -> None:
        values = np.asarray(outputs[name], dtype=np.int64)
        np.save(path.with_suffix(".npy"), values)
        hex_lines = values_to_hex(values, qgraph.type(name).width)
        path.with_suffix(".hex").write_text("\n".join(hex_lines) + "\n")

    save(out / "input", INPUT)
    for lay in qgraph.graph.layers:
        save(out / "layers" / lay.name, lay.name)
    save(out / "output", qgraph.graph.output)


def read_vector(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)
