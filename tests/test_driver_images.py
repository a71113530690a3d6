"""The Python driver's image preprocessing (numpy; Pillow only decodes): Pillow's bilinear
resize in 8 bits and its colour conversions, bit for bit, and a digits build made from a PNG of
another size whose input the driver reproduces from the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fpgagen.cli.main import main
from fpgagen.driver import fpgagen_driver as drv
from fpgagen.frontend.images import load_image


@pytest.mark.parametrize("seed", range(4))
def test_resize_is_pillows_bilinear(seed):
    """Pillow's horizontal pass, then its vertical pass (each one direction alone is what
    Image.resize computes on every release), for growing and shrinking sizes."""
    rng = np.random.default_rng(seed)
    for _ in range(6):
        h, w = (int(v) for v in rng.integers(3, 300, 2))
        ow, oh = (int(v) for v in rng.integers(2, 260, 2))
        mode = "RGB" if rng.random() < 0.5 else "L"
        a = rng.integers(0, 256, (h, w, 3) if mode == "RGB" else (h, w)).astype(np.uint8)
        im = Image.fromarray(a, mode)
        want = im.resize((ow, h), Image.BILINEAR).resize((ow, oh), Image.BILINEAR)
        assert np.array_equal(drv.resize_bilinear(a, ow, oh), np.asarray(want)), (h, w, ow, oh)
        for size in ((ow, h), (w, oh)):  # one direction: Image.resize itself
            assert np.array_equal(drv.resize_bilinear(a, *size),
                                  np.asarray(im.resize(size, Image.BILINEAR)))


def test_colour_conversions_are_pillows():
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, (9, 7, 4)).astype(np.uint8)
    im = Image.fromarray(rgba, "RGBA")
    assert np.array_equal(drv._as_channels(rgba, 3), np.asarray(im.convert("RGB")))
    rgb = np.asarray(im.convert("RGB"))
    assert np.array_equal(drv._as_channels(rgb, 1)[..., 0],
                          np.asarray(Image.fromarray(rgb).convert("L")))
    grey = rgb[..., 0]
    assert np.array_equal(drv._as_channels(grey, 3),
                          np.asarray(Image.fromarray(grey, "L").convert("RGB")))


def test_fpgagen_reads_images_through_the_driver(tmp_path):
    """fpgagen's own image loading is the driver's function on the decoded pixels."""
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (70, 90, 3)).astype(np.uint8)
    Image.fromarray(a, "RGB").save(tmp_path / "x.png")
    x = load_image(tmp_path / "x.png", 32, 32)
    mean = tuple(float(v) for v in np.float32([0.485, 0.456, 0.406]))
    std = tuple(float(v) for v in np.float32([0.229, 0.224, 0.225]))
    assert np.array_equal(x, drv.preprocess_pixels(a, "imagenet", (32, 32, 3), mean, std))
    assert x.dtype == np.float32 and x.shape == (32, 32, 3)


def test_digits_build_from_a_larger_png(tmp_path: Path):
    """A 40x40 digit (resized to 32x32): the driver's input from the file is the build's."""
    from digit_images import write_digit_png

    png = tmp_path / "digit.png"
    write_digit_png(0, png)
    Image.open(png).resize((40, 40), Image.NEAREST).convert("RGB").save(png)  # colour, larger
    out = tmp_path / "b"
    assert main(["build", "--board", "pynq-z2", "--model", "digits", "--input", str(png), "-q",
                 "-o", str(out)]) == 0
    info = drv.BuildInfo.load(out)
    assert info.preprocess == "digits" and info.labels == tuple("0123456789")
    x = drv.quantize_image(drv.preprocess_image(png, info), info)
    assert np.array_equal(x, np.load(out / "vectors" / "input.npy"))
    y = np.load(out / "vectors" / "output.npy").reshape(-1)
    assert drv.top_classes(y, info, 1)[0][:2] == (int(np.argmax(y)), str(int(np.argmax(y))))
