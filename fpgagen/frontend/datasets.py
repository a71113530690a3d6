"""Data sets for evaluation and calibration: the scikit-learn digits and image folders.

The digits (1,797 greyscale 8x8 images of the digits 0-9, values 0..16, shipped inside
scikit-learn) are split once, here, into a training and a test split. ``examples/digits/
train.py`` trains on the first, ``fpgagen eval --data digits`` measures on the second and
``--calib digits`` calibrates on the first: the split and the preprocessing live in fpgagen, not
in the training script, so both sides see the same images without torch.

- the split: per class, a permutation by ``numpy.random.RandomState(SPLIT_SEED)`` (the legacy
  generator, whose stream numpy keeps stable across versions); the first 20 % (rounded) of each
  class are the test split, the rest the training split; each split is then shuffled with the
  same generator so that its first images mix the classes (calibration takes the first ones);
- the preprocessing: values / 16 to [0, 1], each pixel repeated 4x4 (nearest upsampling to
  32x32: integers in, exactly reproducible), then (v - 0.5) / 0.5 to [-1, 1], HWC with one
  channel, float32.

An image folder (``DIR``) is the ImageFolder layout: one subfolder per class, named by the
class, holding PNG/JPEG files; classes are the subfolder names in sorted order, unless the
model carries class names, which then map the subfolders to class indices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from fpgagen.errors import FpgagenError

DIGITS = "digits"
DIGITS_LABELS = tuple(str(d) for d in range(10))
DIGITS_SIZE = 32            # the network's input: 8x8 upsampled 4x
DIGITS_UPSAMPLE = DIGITS_SIZE // 8
DIGITS_MAX = 16.0           # the largest pixel value of the data set
SPLIT_SEED = 20260101
TEST_FRACTION = 0.2
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Preprocessed images (N, H, W, C) float32 with their class indices (N,) int64."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def head(self, n: int | None) -> Dataset:
        """The first ``n`` images (all of them for None)."""
        if n is None:
            return self
        return Dataset(self.name, self.images[:n], self.labels[:n], self.classes)


def _load_raw_digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        raise FpgagenError("the digits data set needs scikit-learn "
                           "(pip install scikit-learn)") from None
    data = load_digits()
    return np.asarray(data.images, dtype=np.float64), np.asarray(data.target, dtype=np.int64)


def split_indices(labels: np.ndarray, seed: int = SPLIT_SEED,
                  test_fraction: float = TEST_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices: a stratified split, per class ``round(test_fraction * n)`` to
    test; both shuffled. Deterministic for a seed (numpy's legacy RandomState stream)."""
    rng = np.random.RandomState(seed)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        idx = idx[rng.permutation(len(idx))]
        k = round(test_fraction * len(idx))
        test.append(idx[:k])
        train.append(idx[k:])
    tr, te = np.concatenate(train), np.concatenate(test)
    return tr[rng.permutation(len(tr))], te[rng.permutation(len(te))]


def preprocess_digits(raw: np.ndarray) -> np.ndarray:
    """(N, 8, 8) values 0..16 -> (N, 32, 32, 1) float32 in [-1, 1] (see the module docstring)."""
    x = np.asarray(raw, dtype=np.float64) / DIGITS_MAX
    x = np.repeat(np.repeat(x, DIGITS_UPSAMPLE, axis=1), DIGITS_UPSAMPLE, axis=2)
    return ((x - 0.5) / 0.5).astype(np.float32)[..., None]


@cache
def digits(split: str) -> Dataset:
    """The ``"train"`` or ``"test"`` split of the digits, preprocessed."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    raw, labels = _load_raw_digits()
    train, test = split_indices(labels)
    idx = train if split == "train" else test
    images = preprocess_digits(raw[idx])
    images.setflags(write=False)
    lab = labels[idx]
    lab.setflags(write=False)
    return Dataset(f"digits/{split}", images, lab, DIGITS_LABELS)


def folder_classes(root: Path) -> list[str]:
    """The class subfolders of an ImageFolder root, sorted by name."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def image_folder(root: str | Path, load: Callable[[Path], np.ndarray],
                 classes: Sequence[str] | None = None) -> Dataset:
    """Images of an ImageFolder layout, preprocessed by ``load`` (path -> HWC float32).

    With ``classes`` (the model's class names) each subfolder must be one of them and its index
    is the class's; without, the sorted subfolder names are the classes. Files are taken in
    (subfolder, file name) order.
    """
    root = Path(root)
    if not root.is_dir():
        raise FpgagenError(f"data folder {root} does not exist (give 'digits' or a folder "
                           "with one subfolder of images per class)")
    subs = folder_classes(root)
    if not subs:
        raise FpgagenError(f"data folder {root} has no class subfolders (the ImageFolder "
                           "layout: DIR/<class>/<image>.png)")
    if classes is None:
        names = tuple(subs)
    else:
        names = tuple(classes)
        index = {c: i for i, c in enumerate(names)}
        unknown = [s for s in subs if s not in index]
        if unknown:
            raise FpgagenError(f"data folder {root}: subfolder {unknown[0]!r} is not one of the "
                               f"model's {len(names)} class names (e.g. {', '.join(names[:3])})")
    files: list[tuple[Path, int]] = []
    for sub in subs:
        cls = subs.index(sub) if classes is None else names.index(sub)
        files += [(p, cls) for p in sorted((root / sub).iterdir())
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise FpgagenError(f"data folder {root} holds no images in its class subfolders "
                           f"({', '.join(IMAGE_SUFFIXES)})")
    images = np.stack([load(p) for p, _ in files]).astype(np.float32)
    labels = np.array([c for _, c in files], dtype=np.int64)
    return Dataset(str(root), images, labels, names)
