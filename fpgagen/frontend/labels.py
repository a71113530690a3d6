"""What a model says about its outputs and inputs: class names, preprocessing, whose weights.

A class index means nothing to a person; ``run`` and ``eval`` print names when the model has
them. Where they come from:

- an ONNX file: its ``metadata_props`` key ``labels`` (a JSON list of strings, or one name a
  line), else a sidecar file ``<model>.labels.txt`` beside it (one name a line, ``#`` comments);
  the key ``preprocess`` (``imagenet`` or ``digits``) says how an image file becomes its input
  and ``dataset`` names the data set it was trained on (whose training split then calibrates it
  by default);
- the zoo's ImageNet networks (SqueezeNet, ZynqNet): the 1,000 ImageNet class names
  (``data/imagenet_classes.txt``; ZynqNet's 24 extra outputs have none). Their weights are
  seeded random ones unless ``--weights`` gives trained ones, and then the names mean nothing:
  `ModelInfo.random_weights` says so, and the commands say it plainly;
- the zoo's ``digits``: its ONNX file (the digits 0-9).

The number of names must equal the number of logits: a list of another length is refused in one
line rather than mislabelling every class after the first missing one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fpgagen.errors import FpgagenError

IMAGENET_FILE = Path(__file__).resolve().parents[1] / "data" / "imagenet_classes.txt"
SIDECAR_SUFFIX = ".labels.txt"
PREPROCESSING = ("imagenet", "digits")
RANDOM_WEIGHTS_NOTE = ("the weights are seeded random ones (--weights random), not trained: "
                       "the class names mean nothing")


@dataclass(frozen=True)
class ModelInfo:
    """Class names (None: the model has none), the preprocessing of image files, whether the
    weights are the seeded random ones, and the data set the weights were trained on."""

    labels: tuple[str, ...] | None = None
    preprocess: str = "imagenet"
    random_weights: bool = False
    dataset: str | None = None

    def name(self, index: int) -> str:
        """The class name of a logit index ('' when the model has no name for it)."""
        if self.labels is None or not 0 <= index < len(self.labels):
            return ""
        return self.labels[index]


def parse_labels(text: str) -> tuple[str, ...]:
    """Names one a line (blank lines and ``#`` comments skipped), or a JSON list of strings."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            names = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise FpgagenError(f"class names are not a JSON list ({exc.msg})") from None
        if not all(isinstance(n, str) for n in names):
            raise FpgagenError("class names must be strings")
        return tuple(names)
    return tuple(line.strip() for line in text.splitlines()
                 if line.strip() and not line.lstrip().startswith("#"))


@cache
def imagenet_classes() -> tuple[str, ...]:
    """The 1,000 ImageNet class names, index order (shipped in the package)."""
    names = parse_labels(IMAGENET_FILE.read_text())
    assert len(names) == 1000, len(names)
    return names


def check_count(names: tuple[str, ...], classes: int, where: str) -> tuple[str, ...]:
    """``names`` if there is one per logit, else a one-line error naming ``where``."""
    if len(names) != classes:
        raise FpgagenError(f"{where} has {len(names)} class names, the model has {classes} "
                           "outputs (one name per output, in order)")
    return names


def zoo_info(classes: int, random_weights: bool) -> ModelInfo:
    """The zoo's ImageNet networks: ImageNet names (padded for ZynqNet's 1,024 outputs)."""
    names = imagenet_classes()
    names += tuple(f"(no class {k})" for k in range(len(names), classes))
    return ModelInfo(names[:classes], "imagenet", random_weights)


def onnx_info(path: str | Path, classes: int) -> ModelInfo:
    """What an ONNX file carries in its metadata, and its sidecar labels file."""
    from fpgagen.frontend.onnx_import import read_metadata

    file = Path(path)
    meta = read_metadata(file)
    labels = None
    if "labels" in meta:
        labels = check_count(parse_labels(meta["labels"]), classes,
                             f"{file.name}'s metadata 'labels'")
    else:
        sidecar = file.with_name(file.name[: -len(file.suffix)] + SIDECAR_SUFFIX)
        if sidecar.is_file():
            labels = check_count(parse_labels(sidecar.read_text()), classes, str(sidecar))
    preprocess = meta.get("preprocess", "imagenet")
    if preprocess not in PREPROCESSING:
        raise FpgagenError(f"{file.name}: metadata 'preprocess' is {preprocess!r}; fpgagen "
                           f"knows {', '.join(PREPROCESSING)}")
    return ModelInfo(labels, preprocess, False, meta.get("dataset"))
