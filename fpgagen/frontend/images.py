"""Input images: ImageNet preprocessing of PNG/JPEG files, the digits model's greyscale
preprocessing (`load_digit_image`) and seeded synthetic images.

Preprocessing is the torchvision ImageNet recipe: convert to RGB, resize so the shorter side is
``size * 256 / 224`` (Pillow's bilinear filter, computed by the Python driver's
`resize_bilinear`: the same on every Pillow release), center-crop ``size x size``, scale to
[0, 1], then normalize per channel with mean (0.485, 0.456, 0.406) and std (0.229, 0.224,
0.225). The result is HWC float32, the layout of every fpgagen tensor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fpgagen.driver.fpgagen_driver import preprocess_pixels
from fpgagen.errors import FpgagenError

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
DIGITS_MEAN = DIGITS_STD = 0.5  # [0, 1] -> [-1, 1]


def normalize(rgb01: np.ndarray) -> np.ndarray:
    """HWC RGB in [0, 1] to the normalized float32 input of an ImageNet network."""
    return ((rgb01 - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32)


def load_image(path: str | Path, height: int, width: int, channels: int = 3) -> np.ndarray:
    """Read an image file and preprocess it as above to ``height x width x channels``."""
    if channels != 3:
        raise FpgagenError(f"image input needs a 3-channel model, this one takes {channels}")
    return _preprocess(np.asarray(_open(Path(path), "RGB")), "imagenet", (height, width, 3))


def load_digit_image(path: str | Path, height: int, width: int, channels: int = 1
                     ) -> np.ndarray:
    """Read a greyscale digit image as the digits model takes it (fpgagen/frontend/datasets.py):
    bright ink on a dark ground, as the scikit-learn digits; converted to greyscale, resized to
    ``height x width`` (bilinear) unless it has that size, scaled to [0, 1] and then to [-1, 1]: (v
    - 0.5) / 0.5. A 32x32 PNG written from a digits image reads back as that image to within the 8
    bits of the file."""
    if channels != 1:
        raise FpgagenError(f"digit images need a 1-channel model, this one takes {channels}")
    return _preprocess(np.asarray(_open(Path(path), "L")), "digits", (height, width, 1))


def preprocess_constants(preprocess: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) per channel of a preprocessing, after pixels are scaled to [0, 1] (the
    float32 values, as the drivers' build.json records them)."""
    if preprocess == "digits":
        return (DIGITS_MEAN,), (DIGITS_STD,)
    return (tuple(float(v) for v in IMAGENET_MEAN), tuple(float(v) for v in IMAGENET_STD))


def _preprocess(pixels: np.ndarray, preprocess: str, shape: tuple[int, int, int]
                ) -> np.ndarray:
    """Decoded pixels -> the model's float input: the Python driver's own function (one
    definition: the driver on the board preprocesses exactly as ``fpgagen run``)."""
    mean, std = preprocess_constants(preprocess)
    return preprocess_pixels(pixels, preprocess, shape, mean, std)


def load_for_model(path: str | Path, shape: tuple[int, int, int], preprocess: str
                   ) -> np.ndarray:
    """An image file preprocessed as the model expects (``imagenet`` or ``digits``, the
    model's metadata: fpgagen/frontend/labels.py)."""
    h, w, c = shape
    if preprocess == "digits":
        return load_digit_image(path, h, w, c)
    return load_image(path, h, w, c)


def _open(p: Path, mode: str):
    """The image at ``p`` converted to ``mode``, with one-line errors."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - pillow is a dependency
        raise FpgagenError("reading images needs pillow (pip install pillow)") from None
    try:
        with Image.open(p) as img:
            return img.convert(mode)
    except FileNotFoundError:
        raise FpgagenError(f"input file {p} does not exist") from None
    except (OSError, UnidentifiedImageError) as exc:
        raise FpgagenError(f"cannot read image {p}: {str(exc).splitlines()[0]}") from None


def _smooth_field(rng: np.random.Generator, h: int, w: int, c: int, grid: int) -> np.ndarray:
    """A random grid x grid x c field in [0, 1], bilinearly upsampled to h x w."""
    coarse = rng.random((grid, grid, c))
    yi, xi = np.linspace(0, grid - 1, h), np.linspace(0, grid - 1, w)
    y0, x0 = np.minimum(yi.astype(int), grid - 2), np.minimum(xi.astype(int), grid - 2)
    fy, fx = (yi - y0)[:, None, None], (xi - x0)[None, :, None]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bot = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bot * fy


def synthetic_images(shape: tuple[int, int, int], seed: int, n: int) -> np.ndarray:
    """``n`` seeded image-like inputs (N, H, W, C), normalized like ImageNet photos.

    Smooth colour fields at two scales plus pixel noise: their statistics (spatially correlated,
    the full [0, 1] range, three channels) are closer to photos than white noise, which matters
    because calibration takes its ranges from them.
    """
    h, w, c = shape
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0xCA11B])
    out = np.empty((n, h, w, c), dtype=np.float32)
    for i in range(n):
        img = (0.6 * _smooth_field(rng, h, w, c, 4) + 0.4 * _smooth_field(rng, h, w, c, 16)
               + rng.normal(0.0, 0.05, (h, w, c)))
        img = np.clip(img, 0.0, 1.0)
        out[i] = ((img - IMAGENET_MEAN[:c].mean()) / IMAGENET_STD[:c].mean() if c != 3
                  else normalize(img.astype(np.float32)))
    return out
