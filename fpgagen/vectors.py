"""Test vectors: the golden model's integers for one input, as .npy (Python) and .hex (the C++
and HDL testbenches: one two's-complement value per line, HWC order), and the input as the host
driver streams it (``input_stream.bin``, the bytes of the DMA buffer)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .driver.fpgagen_driver import pack_values
from .graph import INPUT
from .memimage import values_to_hex
from .quantize import QGraph
from .streams import StreamFormat

INPUT_STREAM = "input_stream.bin"


def write_vectors(out: Path, qgraph: QGraph, outputs: Mapping[str, np.ndarray],
                  stream: StreamFormat | None = None) -> None:
    """Write ``input``, every layer under ``layers/`` and ``output`` (the network output);
    with ``stream``, also ``input_stream.bin``: the input packed by the driver's own
    ``pack_values`` (whole beats), which the C-simulation testbench feeds to the core, so the
    core is proven on the bytes a board receives."""
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
    if stream is not None:
        (out / INPUT_STREAM).write_bytes(pack_values(
            np.asarray(outputs[INPUT]), stream.in_width, stream.in_signed, stream.tdata_bytes))


def read_vector(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)
