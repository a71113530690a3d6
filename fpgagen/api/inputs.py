"""Images, calibration sets and data sets of a model, and its quantization: what ``run``,
``eval`` and ``build`` read, in one place (their options are in fpgagen/cli/quantargs.py).

Each image and calibration set is refused in one line before it is made when the golden model
and the float reference would need more memory than the machine has
(`fpgagen.quant.footprint.require_memory`), and each can say where it came from
(`calibration_described`, `input_described`: the facts of a build report's reproduce block).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.errors import FpgagenError
from fpgagen.frontend.datasets import Dataset
from fpgagen.frontend.graph import Graph
from fpgagen.frontend.labels import ModelInfo
from fpgagen.quant.footprint import require_memory
from fpgagen.quant.precision import Precision, parse_precision
from fpgagen.quant.quantize import (
    DEFAULT_CALIB_HEADROOM,
    DEFAULT_CALIB_IMAGES,
    QGraph,
    calibration_inputs,
    check_calibration,
    check_headroom,
    load_calibration,
    quantize,
)
from fpgagen.quant.reference import check_input

INPUT_SEED_OFFSET = 1_000_003  # the default input is drawn apart from the calibration images
DATA_CALIB_IMAGES = 256  # calibration images taken from a data set (0.4 s for digits)

# an image: an .npy or PNG/JPEG path, an H x W x C array, or None (seeded synthetic)
Image = str | Path | np.ndarray | None
# calibration: an .npy path, "digits", an image folder, an N x H x W x C array, or None
Calibration = str | Path | np.ndarray | None


def load_input(source: Image, graph: Graph, seed: int, preprocess: str = "imagenet"
               ) -> np.ndarray:
    """The float HWC input: an array, an .npy, an image file (preprocessed as ``preprocess``
    says: the model's, fpgagen/frontend/labels.py), or seeded synthetic (None)."""
    require_memory(graph)  # before the image is made: a 60000x60000 input is one line
    if source is None:
        return calibration_inputs(graph, seed + INPUT_SEED_OFFSET, 1)[0]
    if isinstance(source, np.ndarray):
        a = check_input(graph, source, "the input")
        if not np.all(np.isfinite(a)):
            raise FpgagenError("the input must hold finite numbers (it has NaN or infinity)")
        return a.astype(np.float32)
    p = Path(source)
    if not p.is_file():
        raise FpgagenError(f"input file {p} does not exist")
    if p.suffix.lower() != ".npy":
        from fpgagen.frontend.images import load_for_model

        return load_for_model(p, graph.input_shape, preprocess)
    try:
        a = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise FpgagenError(f"cannot read input {p} as .npy: {str(exc).splitlines()[0]}"
                           ) from None
    a = check_input(graph, a, f"input {p}")  # real numbers, H x W x C
    if not np.all(np.isfinite(a)):
        raise FpgagenError(f"input {p} must hold finite numbers (it has NaN or infinity)")
    return a.astype(np.float32)


def calibration_images(source: Calibration, graph: Graph, info: ModelInfo, seed: int = 0,
                       count: int | None = None) -> np.ndarray:
    """The calibration images: an array, an .npy, ``digits``' training split or an image
    folder; without a source the training split of the data set the model was trained on,
    else ``count`` seeded synthetic ones."""
    return calibration_described(source, graph, info, seed, count)[0]


def calibration_described(source: Calibration, graph: Graph, info: ModelInfo, seed: int = 0,
                          count: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """`calibration_images` and where the images came from, for a build report's reproduce
    block: ``source`` (``synthetic``, ``file``, ``digits``, ``folder``, ``array``),
    ``images`` (how many), ``description`` (one line) and the seed, the file (path, SHA-256)
    or the array's SHA-256. Refused in one line before any image is made when they and the
    golden model would not fit in the memory available."""
    from fpgagen.report.provenance import array_sha256, file_fact

    if count is not None and count < 1:
        raise FpgagenError("--calib-images must be at least 1")
    if isinstance(source, np.ndarray):
        images = check_calibration(source, graph, "the calibration images")
        images = images if count is None else images[:count]
        require_memory(graph, len(images))
        return images, {"source": "array", "images": len(images),
                        "description": f"{len(images):,} images given as an array (Python)",
                        "sha256": array_sha256(images)}
    if source is None:
        source = info.dataset  # a trained model: its training images
    require_memory(graph, count or (DEFAULT_CALIB_IMAGES if source is None else 0))
    if source is None:
        n = count or DEFAULT_CALIB_IMAGES
        return calibration_inputs(graph, seed, n), {
            "source": "synthetic", "images": n, "seed": seed,
            "description": f"{n:,} seeded synthetic images (seed {seed}): for testing, "
                           "not for accuracy"}
    source = str(source)
    if source.lower().endswith(".npy"):
        images = load_calibration(source, graph)
        images = images if count is None else images[:count]
        return images, {"source": "file", "images": len(images),
                        "description": f"{len(images):,} images from an .npy file",
                        **file_fact(source)}
    data = load_data(source, graph, info, split="train")
    images = data.images[:count or DATA_CALIB_IMAGES]
    if source.lower() == "digits":
        return images, {"source": "digits", "images": len(images),
                        "description": f"the first {len(images):,} images of the digits "
                                       "training split"}
    return images, {"source": "folder", "images": len(images),
                    "path": str(Path(source).resolve()),
                    "description": f"{len(images):,} images of a class folder"}


def input_described(source: Image, seed: int) -> dict[str, Any]:
    """Where `load_input`'s image comes from, for a build report's reproduce block."""
    from fpgagen.report.provenance import array_sha256, file_fact

    if source is None:
        return {"source": "synthetic", "seed": seed + INPUT_SEED_OFFSET,
                "description": f"a seeded synthetic image (seed {seed} + {INPUT_SEED_OFFSET:,})"}
    if isinstance(source, np.ndarray):
        return {"source": "array", "description": "an array given from Python",
                "sha256": array_sha256(source)}
    kind = "an .npy array" if str(source).lower().endswith(".npy") else "an image file"
    return {"source": "file", "description": kind, **file_fact(source)}


def load_data(source: str | Path, graph: Graph, info: ModelInfo, split: str) -> Dataset:
    """A data source of ``eval --data`` and ``--calib``: ``digits`` (its ``split``: the test
    split for eval, the training split for calibration) or an ImageFolder folder, checked
    against the model's input shape (and, for eval, its class names)."""
    from fpgagen.frontend.datasets import DIGITS, digits, image_folder
    from fpgagen.frontend.images import load_for_model

    source = str(source)
    if source.lower() == DIGITS:
        data = digits(split)
    elif Path(source).is_dir():
        data = image_folder(source,
                            lambda p: load_for_model(p, graph.input_shape, info.preprocess),
                            info.labels if split == "test" else None)
    else:
        raise FpgagenError(f"unknown data source {source!r}: give 'digits' or a folder of "
                           "images in class subfolders (DIR/<class>/<image>.png)")
    if tuple(data.images.shape[1:]) != tuple(graph.input_shape):
        shape = "x".join(map(str, data.images.shape[1:]))
        want = "x".join(map(str, graph.input_shape))
        raise FpgagenError(f"{data.name} holds {shape} images (HxWxC), {graph.name} takes "
                           f"{want}")
    return data


def as_precision(precision: str | Precision | None) -> Precision:
    """A `Precision` from its ``--precision`` text (``8``, ``w8a16``, a .toml file, ...)."""
    return precision if isinstance(precision, Precision) else parse_precision(precision)


def quantize_network(graph: Graph, weights: Mapping[str, np.ndarray],
                     precision: str | Precision | None, calib: np.ndarray,
                     headroom: int = DEFAULT_CALIB_HEADROOM,
                     progress: Callable[[int, int], None] | None = None) -> QGraph:
    """Quantize at ``precision`` on the calibration images ``calib``; ``progress(done,
    total)`` after each image."""
    prec = as_precision(precision)
    prec.check_layers([lay.name for lay in graph.layers])
    check_headroom(headroom)
    return quantize(graph, weights, prec, calib, progress=progress, headroom=headroom)
