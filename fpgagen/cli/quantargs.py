"""Options shared by the commands that quantize a network: input image, precision, calibration.

``run`` and ``build`` take the same options with the same meaning, from here.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.cli.common import console, model_info
from fpgagen.errors import FpgagenError
from fpgagen.frontend.datasets import Dataset
from fpgagen.frontend.graph import Graph
from fpgagen.frontend.labels import ModelInfo
from fpgagen.quant.footprint import require_memory
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import (
    DEFAULT_CALIB_HEADROOM,
    DEFAULT_CALIB_IMAGES,
    QGraph,
    calibration_inputs,
    check_headroom,
    load_calibration,
    quantize,
)
from fpgagen.quant.reference import check_input

INPUT_HELP = ("input image: an .npy array H x W x C (already preprocessed float32, HWC), or a "
              "PNG/JPEG file preprocessed like ImageNet: shorter side resized to size*256/224 "
              "(bilinear), center crop to the model's input size, RGB scaled to [0,1], then "
              "normalized with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225). "
              "Default: a seeded synthetic image (not a calibration image).")
INPUT_SEED_OFFSET = 1_000_003  # the default input is drawn apart from the calibration images
DATA_CALIB_IMAGES = 256  # calibration images taken from a data set (0.4 s for digits)



def add_input_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", "-i", metavar="FILE.npy|FILE.png", help=INPUT_HELP)


def add_quant_args(p: argparse.ArgumentParser) -> None:
    """``--precision``, ``--calib``, ``--calib-images`` and ``--quiet``."""
    p.add_argument("--precision", "-p", default="8",
                   help="8 (w8a8, default), 16, w8a16, ap_fixed<16,6> or a .toml file")
    p.add_argument("--calib", metavar="FILE.npy|digits|DIR",
                   help="calibration images: an .npy N x H x W x C (preprocessed float), "
                        "'digits' (the TRAINING split of the scikit-learn digits; the test "
                        "split never calibrates) or a folder of images in class subfolders "
                        "(preprocessed as --input); default: the training split of the data "
                        "set a trained model was trained on (digits), else --calib-images "
                        "seeded synthetic images")
    p.add_argument("--calib-images", type=int, default=None, metavar="N",
                   help="number of calibration images: synthetic ones (default "
                        f"{DEFAULT_CALIB_IMAGES}) or the first N of a data set (default "
                        f"{DATA_CALIB_IMAGES})")
    p.add_argument("--calib-headroom", type=int, default=DEFAULT_CALIB_HEADROOM,
                   metavar="BITS",
                   help="integer bits above the largest value calibration saw, for every "
                        "tensor a layer computes: room for images beyond the calibration "
                        f"images, one bit of resolution each (default {DEFAULT_CALIB_HEADROOM};"
                        " 0 sizes the types to the calibration images exactly)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def load_input(path: str | None, graph: Graph, seed: int, preprocess: str = "imagenet"
               ) -> np.ndarray:
    """The float HWC input: from an .npy, an image file (preprocessed as ``preprocess`` says:
    the model's, fpgagen/frontend/labels.py), or seeded synthetic."""
    require_memory(graph)  # before the image is made: a 60000x60000 input is one line
    if path is None:
        return calibration_inputs(graph, seed + INPUT_SEED_OFFSET, 1)[0]
    p = Path(path)
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


def calibration_from_args(args: argparse.Namespace, graph: Graph) -> np.ndarray:
    """The calibration images: ``--calib`` (an .npy, ``digits``' training split or an image
    folder), else the training split of the data set the model was trained on, else
    ``--calib-images`` seeded synthetic ones."""
    return calibration_described(args, graph)[0]


def calibration_described(args: argparse.Namespace, graph: Graph
                          ) -> tuple[np.ndarray, dict[str, Any]]:
    """`calibration_from_args` and where the images came from, for the report's reproduce
    block: ``source`` (``synthetic``, ``file``, ``digits``, ``folder``), ``images`` (how many),
    ``description`` (one line) and the seed or the file (path, SHA-256)."""
    from fpgagen.report.provenance import file_fact

    count = args.calib_images
    if count is not None and count < 1:
        raise FpgagenError("--calib-images must be at least 1")
    source = args.calib
    if source is None:
        source = model_info(args, graph).dataset  # a trained model: its training images
    require_memory(graph, count or (DEFAULT_CALIB_IMAGES if source is None else 0))
    if source is None:
        n = count or DEFAULT_CALIB_IMAGES
        return calibration_inputs(graph, args.seed, n), {
            "source": "synthetic", "images": n, "seed": args.seed,
            "description": f"{n:,} seeded synthetic images (seed {args.seed}): for testing, "
                           "not for accuracy"}
    if source.lower().endswith(".npy"):
        images = load_calibration(source, graph)
        images = images if count is None else images[:count]
        return images, {"source": "file", "images": len(images),
                        "description": f"{len(images):,} images from an .npy file",
                        **file_fact(source)}
    data = load_data(source, graph, model_info(args, graph), split="train")
    images = data.images[:count or DATA_CALIB_IMAGES]
    if source.lower() == "digits":
        return images, {"source": "digits", "images": len(images),
                        "description": f"the first {len(images):,} images of the digits "
                                       "training split"}
    return images, {"source": "folder", "images": len(images),
                    "path": str(Path(source).resolve()),
                    "description": f"{len(images):,} images of a class folder"}


def input_described(path: str | None, seed: int) -> dict[str, Any]:
    """Where `load_input`'s image comes from, for the report's reproduce block."""
    from fpgagen.report.provenance import file_fact

    if path is None:
        return {"source": "synthetic", "seed": seed + INPUT_SEED_OFFSET,
                "description": f"a seeded synthetic image (seed {seed} + {INPUT_SEED_OFFSET:,})"}
    kind = "an .npy array" if path.lower().endswith(".npy") else "an image file"
    return {"source": "file", "description": kind, **file_fact(path)}


def load_data(source: str, graph: Graph, info: ModelInfo, split: str) -> Dataset:
    """A data source of ``eval --data`` and ``--calib``: ``digits`` (its ``split``: the test
    split for eval, the training split for calibration) or an ImageFolder folder, checked
    against the model's input shape (and, for eval, its class names)."""
    from fpgagen.frontend.datasets import DIGITS, digits, image_folder
    from fpgagen.frontend.images import load_for_model

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


def quantize_from_args(args: argparse.Namespace, graph: Graph, weights: Any) -> QGraph:
    """Parse --precision, load or synthesize calibration images and quantize, with a progress
    bar on a terminal (stderr) unless --quiet."""
    return quantize_described(args, graph, weights)[0]


def quantize_described(args: argparse.Namespace, graph: Graph, weights: Any
                       ) -> tuple[QGraph, dict[str, Any]]:
    """`quantize_from_args` and where its calibration images came from
    (`calibration_described`)."""
    precision = parse_precision(args.precision)
    precision.check_layers([lay.name for lay in graph.layers])
    headroom = check_headroom(args.calib_headroom)
    calib, described = calibration_described(args, graph)
    progress_console = console().__class__(stderr=True)
    if args.quiet or not progress_console.is_terminal:
        return quantize(graph, weights, precision, calib, headroom=headroom), described
    from rich.progress import Progress

    with Progress(console=progress_console, transient=True) as bar:
        task = bar.add_task("calibrating", total=len(calib))
        return quantize(graph, weights, precision, calib, headroom=headroom,
                        progress=lambda done, _total: bar.update(task, completed=done)), described
