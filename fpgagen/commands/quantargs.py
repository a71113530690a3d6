"""Options shared by the commands that quantize a network: input image, precision, calibration.

``run`` and ``build`` take the same options with the same meaning, from here.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FpgagenError
from ..graph import Graph
from ..precision import parse_precision
from ..quantize import (
    DEFAULT_CALIB_HEADROOM,
    DEFAULT_CALIB_IMAGES,
    QGraph,
    calibration_inputs,
    check_headroom,
    load_calibration,
    quantize,
)
from ..reference import check_input
from .common import console

INPUT_HELP = ("input image: an .npy array H x W x C (already preprocessed float32, HWC), or a "
              "PNG/JPEG file preprocessed like ImageNet: shorter side resized to size*256/224 "
              "(bilinear), center crop to the model's input size, RGB scaled to [0,1], then "
              "normalized with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225). "
              "Default: a seeded synthetic image (not a calibration image).")
INPUT_SEED_OFFSET = 1_000_003  # the default input is drawn apart from the calibration images



def add_input_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", "-i", metavar="FILE.npy|FILE.png", help=INPUT_HELP)


def add_quant_args(p: argparse.ArgumentParser) -> None:
    """``--precision``, ``--calib``, ``--calib-images`` and ``--quiet``."""
    p.add_argument("--precision", "-p", default="8",
                   help="8 (w8a8, default), 16, w8a16, ap_fixed<16,6> or a .toml file")
    p.add_argument("--calib", metavar="FILE.npy",
                   help="calibration images N x H x W x C (preprocessed float); default: "
                        "--calib-images seeded synthetic images")
    p.add_argument("--calib-images", type=int, default=DEFAULT_CALIB_IMAGES, metavar="N",
                   help="number of synthetic calibration images "
                        f"(default {DEFAULT_CALIB_IMAGES})")
    p.add_argument("--calib-headroom", type=int, default=DEFAULT_CALIB_HEADROOM,
                   metavar="BITS",
                   help="integer bits above the largest value calibration saw, for every "
                        "tensor a layer computes: room for images beyond the calibration "
                        f"images, one bit of resolution each (default {DEFAULT_CALIB_HEADROOM};"
                        " 0 sizes the types to the calibration images exactly)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def load_input(path: str | None, graph: Graph, seed: int) -> np.ndarray:
    """The float HWC input: from an .npy, an image file, or seeded synthetic."""
    if path is None:
        return calibration_inputs(graph, seed + INPUT_SEED_OFFSET, 1)[0]
    p = Path(path)
    if not p.is_file():
        raise FpgagenError(f"input file {p} does not exist")
    if p.suffix.lower() != ".npy":
        from ..images import load_image

        h, w, c = graph.input_shape
        return load_image(p, h, w, c)
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
    """The calibration images: ``--calib`` or ``--calib-images`` seeded synthetic ones."""
    if args.calib is not None:
        return load_calibration(args.calib, graph)
    if args.calib_images < 1:
        raise FpgagenError("--calib-images must be at least 1")
    return calibration_inputs(graph, args.seed, args.calib_images)


def quantize_from_args(args: argparse.Namespace, graph: Graph, weights: Any) -> QGraph:
    """Parse --precision, load or synthesize calibration images and quantize, with a progress
    bar on a terminal (stderr) unless --quiet."""
    precision = parse_precision(args.precision)
    precision.check_layers([lay.name for lay in graph.layers])
    headroom = check_headroom(args.calib_headroom)
    calib = calibration_from_args(args, graph)
    progress_console = console().__class__(stderr=True)
    if args.quiet or not progress_console.is_terminal:
        return quantize(graph, weights, precision, calib, headroom=headroom)
    from rich.progress import Progress

    with Progress(console=progress_console, transient=True) as bar:
        task = bar.add_task("calibrating", total=len(calib))
        return quantize(graph, weights, precision, calib, headroom=headroom,
                        progress=lambda done, _total: bar.update(task, completed=done))


