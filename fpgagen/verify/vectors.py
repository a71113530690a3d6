"""Test vectors: the golden model's integers for one input, as .npy (Python) and .hex (the C++
and HDL testbenches: one two's-complement value per line, HWC order), and the input as the host
driver streams it (``input_stream.bin``, the bytes of the DMA buffer).

``manifest.json`` says what the folder holds and what a verification must cover: each vector's
files and fixed-point width, and the layer outputs the Plan stores (every one a testbench can
read back; a fused conv's output is a ring of rows, checked through its pool). ``verify``
requires a verdict on each of those plus the logits, and that every .npy equals its .hex (the
testbenches read the .hex, Python users the .npy: two copies of one truth must agree).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from fpgagen.driver.fpgagen_driver import pack_values
from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT
from fpgagen.machine.memimage import values_to_hex
from fpgagen.plan.streams import StreamFormat
from fpgagen.quant.quantize import QGraph

INPUT_STREAM = "input_stream.bin"
MANIFEST = "manifest.json"


def write_vectors(out: Path, qgraph: QGraph, outputs: Mapping[str, np.ndarray],
                  stream: StreamFormat | None = None,
                  stored: Sequence[str] | None = None) -> None:
    """Write ``input``, every layer under ``layers/`` and ``output`` (the network output);
    with ``stream``, also ``input_stream.bin``: the input packed by the driver's own
    ``pack_values`` (whole beats), which the C-simulation testbench feeds to the core, so the
    core is proven on the bytes a board receives. ``manifest.json`` lists them, and with
    ``stored`` (the Plan's readable layer outputs) what a verification must compare."""
    (out / "layers").mkdir(parents=True, exist_ok=True)
    entries = []

    def save(path: Path, name: str) -> None:
        values = np.asarray(outputs[name], dtype=np.int64)
        np.save(path.with_suffix(".npy"), values)
        t = qgraph.type(name)
        hex_lines = values_to_hex(values, t.width)
        path.with_suffix(".hex").write_text("\n".join(hex_lines) + "\n")
        entries.append({"name": name, "file": path.relative_to(out).as_posix(),
                        "width": t.width, "signed": t.signed, "count": int(values.size)})

    save(out / "input", INPUT)
    for lay in qgraph.graph.layers:
        save(out / "layers" / lay.name, lay.name)
    save(out / "output", qgraph.graph.output)
    if stream is not None:
        (out / INPUT_STREAM).write_bytes(pack_values(
            np.asarray(outputs[INPUT]), stream.in_width, stream.in_signed, stream.tdata_bytes))
    manifest: dict[str, object] = {"vectors": entries}
    if stored is not None:
        manifest["stored_layers"] = list(stored)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")


def read_manifest(vectors: Path) -> dict:
    """The folder's manifest.json; a one-line error when it is missing or unreadable."""
    path = Path(vectors) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        if not isinstance(manifest.get("vectors"), list):
            raise ValueError("no vector list")
    except FileNotFoundError:
        raise FpgagenError(f"{path} is missing (rebuild the folder with this fpgagen)") from None
    except (OSError, ValueError, AttributeError) as exc:
        raise FpgagenError(f"{path} is not a vector manifest ({exc})") from None
    return manifest


def stored_layers(vectors: Path) -> list[str]:
    """The layer outputs a verification must compare (the Plan's, written by the build)."""
    path = Path(vectors) / MANIFEST
    layers = read_manifest(vectors).get("stored_layers")
    if not isinstance(layers, list) or not all(isinstance(n, str) for n in layers):
        raise FpgagenError(f"{path} does not list the stored layers (rebuild the folder)")
    return layers


def hex_values(path: Path, width: int, signed: bool) -> np.ndarray:
    """A .hex vector as int64 values: one two's-complement value of ``width`` bits a line."""
    try:
        raw = [int(w, 16) for w in path.read_text().split()]
    except ValueError as exc:
        raise FpgagenError(f"{path} is not a hex vector ({exc})") from None
    v = np.array(raw, dtype=np.int64) & ((1 << width) - 1)
    if signed:
        v = np.where(v >> (width - 1) != 0, v - (1 << width), v)
    return v


def npy_disagreement(npy: Path, hex_path: Path, width: int, signed: bool) -> str | None:
    """How ``npy`` differs from ``hex_path`` (the same tensor twice), or None when they agree."""
    try:
        arr = np.load(npy, allow_pickle=False)
    except (OSError, ValueError) as exc:
        return f"cannot be read as .npy ({str(exc).splitlines()[0]})"
    if not np.issubdtype(arr.dtype, np.integer):
        return f"holds {arr.dtype} values, the golden integers are int64"
    want = hex_values(hex_path, width, signed)
    got = arr.reshape(-1).astype(np.int64)
    if got.size != want.size:
        return f"holds {got.size} values, {hex_path.name} {want.size}"
    diff = np.flatnonzero(got != want)
    if diff.size:
        i = int(diff[0])
        return (f"differs from {hex_path.name} in {diff.size} values (first at flat index {i}: "
                f"{int(got[i])} in the .npy, {int(want[i])} in the .hex)")
    return None


def check_vectors(vectors: Path) -> None:
    """Refuse a vector folder whose .npy and .hex copies of a tensor disagree: one line naming
    the file. A .npy that is absent is not checked (the testbenches read the .hex only)."""
    vectors = Path(vectors)
    for e in read_manifest(vectors)["vectors"]:
        npy, hex_path = vectors / f"{e['file']}.npy", vectors / f"{e['file']}.hex"
        if not (npy.is_file() and hex_path.is_file()):
            continue
        why = npy_disagreement(npy, hex_path, int(e["width"]), bool(e["signed"]))
        if why is not None:
            raise FpgagenError(f"{npy} {why}: the vectors disagree (rebuild the folder, or "
                               "restore the file)")


def read_vector(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)
