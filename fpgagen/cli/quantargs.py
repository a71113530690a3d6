"""Options shared by the commands that quantize a network: input image, precision, calibration.

``run`` and ``build`` take the same options with the same meaning, from here.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from fpgagen.api.design import Design
from fpgagen.api.inputs import (
    DATA_CALIB_IMAGES,
    INPUT_SEED_OFFSET,
    calibration_images,
    quantize_network,
)
from fpgagen.api.inputs import calibration_described as api_calibration_described
from fpgagen.api.inputs import input_described as api_input_described
from fpgagen.api.inputs import load_data as api_load_data
from fpgagen.api.inputs import load_input as api_load_input
from fpgagen.cli.common import console, model_info
from fpgagen.frontend.datasets import Dataset
from fpgagen.frontend.graph import Graph
from fpgagen.frontend.labels import ModelInfo
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import (
    DEFAULT_CALIB_HEADROOM,
    DEFAULT_CALIB_IMAGES,
    QGraph,
    check_headroom,
)

INPUT_HELP = ("input image: an .npy array H x W x C (already preprocessed float32, HWC), or a "
              "PNG/JPEG file preprocessed like ImageNet: shorter side resized to size*256/224 "
              "(bilinear), center crop to the model's input size, RGB scaled to [0,1], then "
              "normalized with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225). "
              "Default: a seeded synthetic image (not a calibration image).")
__all__ = ["DATA_CALIB_IMAGES", "INPUT_SEED_OFFSET", "calibration_from_args", "load_input"]


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
    return api_load_input(path, graph, seed, preprocess)


def calibration_from_args(args: argparse.Namespace, graph: Graph) -> np.ndarray:
    """The calibration images: ``--calib`` (an .npy, ``digits``' training split or an image
    folder), else the training split of the data set the model was trained on, else
    ``--calib-images`` seeded synthetic ones."""
    return calibration_images(args.calib, graph, model_info(args, graph), args.seed,
                              args.calib_images)


def calibration_described(args: argparse.Namespace, graph: Graph
                          ) -> tuple[np.ndarray, dict[str, Any]]:
    """`calibration_from_args` and where the images came from, for the report's reproduce
    block (fpgagen/api/inputs.py `calibration_described`)."""
    return api_calibration_described(args.calib, graph, model_info(args, graph), args.seed,
                                     args.calib_images)


def input_described(path: str | None, seed: int) -> dict[str, Any]:
    """Where `load_input`'s image comes from (fpgagen/api/inputs.py `input_described`)."""
    return api_input_described(path, seed)


def load_data(source: str, graph: Graph, info: ModelInfo, split: str) -> Dataset:
    """A data source of ``eval --data`` and ``--calib`` (fpgagen/api/inputs.py)."""
    return api_load_data(source, graph, info, split)


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
    with calibration_bar(args.quiet) as update:
        return quantize_network(graph, weights, precision, calib, headroom, update), described


@contextlib.contextmanager
def calibration_bar(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A "calibrating" progress bar on a terminal's stderr unless ``quiet``: yields
    ``update(done, total)`` or None."""
    progress_console = console().__class__(stderr=True)
    if quiet or not progress_console.is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=progress_console, transient=True) as bar:
        task = bar.add_task("calibrating", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def design_from_args(args: argparse.Namespace, board: Any = "zc706", budget: int | None = None,
                     precision: Any = None, engine: Any = None, fuse: bool = True) -> Design:
    """The `Design` of a command's options (board, budget, precision and engine parsed by the
    caller, in the order its errors must come)."""
    return Design(args.model, board, precision if precision is not None else args.precision,
                  engine, fuse=fuse, budget=budget, input_size=getattr(args, "input_size", None),
                  weights=getattr(args, "weights", "random"), seed=getattr(args, "seed", 0),
                  calib=getattr(args, "calib", None),
                  calib_images=getattr(args, "calib_images", None),
                  calib_headroom=getattr(args, "calib_headroom", DEFAULT_CALIB_HEADROOM),
                  weight_source=getattr(args, "weight_source", "auto"))
