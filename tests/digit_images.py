"""Digits test images as PNG files (what a user's ImageFolder holds), for eval and run tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fpgagen.frontend.datasets import _load_raw_digits, split_indices


def write_digit_png(k: int, path: Path) -> int:
    """Write the ``k``-th test image as a 32x32 8-bit greyscale PNG (values 0..16 scaled to
    0..255, each pixel repeated 4x4); returns its class."""
    from PIL import Image

    raw, labels = _load_raw_digits()
    i = int(split_indices(labels)[1][k])
    img = np.repeat(np.repeat(raw[i] * 255 / 16, 4, 0), 4, 1).round().astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img, "L").save(path)
    return int(labels[i])


def digit_folder(root: Path, n: int) -> list[int]:
    """The first ``n`` test images in class subfolders (ImageFolder); returns their classes."""
    _, labels = _load_raw_digits()
    test = split_indices(labels)[1]
    return [write_digit_png(k, root / str(labels[test[k]]) / f"{k}.png") for k in range(n)]
