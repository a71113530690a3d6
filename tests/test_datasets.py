"""The digits split and preprocessing (fpgagen/frontend/datasets.py), and calibration on real data:
the test split never calibrates."""

from __future__ import annotations

import argparse
import hashlib

import numpy as np
import pytest

from fpgagen.cli.quantargs import DATA_CALIB_IMAGES, calibration_from_args
from fpgagen.errors import FpgagenError
from fpgagen.frontend.datasets import _load_raw_digits, digits, preprocess_digits, split_indices
from fpgagen.frontend.zoo import load_model


def test_split_is_fixed_stratified_and_disjoint():
    _, labels = _load_raw_digits()
    train, test = split_indices(labels)
    again = split_indices(labels)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert len(train) + len(test) == len(labels) == 1797 and len(test) == 359
    assert not set(train.tolist()) & set(test.tolist())
    for cls in range(10):  # stratified: 20 % of each class, rounded
        n = int((labels == cls).sum())
        assert int((labels[test] == cls).sum()) == round(0.2 * n)
    # the split docs/reference.md's digits figures were measured on: a changed split changes them
    assert hashlib.sha1(np.sort(test).tobytes()).hexdigest()[:12] == "ce789d15e118"


def test_preprocessing_upsamples_and_scales():
    raw = np.zeros((1, 8, 8))
    raw[0, 2, 3] = 16.0
    raw[0, 7, 7] = 8.0
    x = preprocess_digits(raw)
    assert x.shape == (1, 32, 32, 1) and x.dtype == np.float32
    assert np.all(x[0, 8:12, 12:16, 0] == 1.0) and x[0, 28, 28, 0] == 0.0
    assert x[0, 0, 0, 0] == -1.0 and np.count_nonzero(x > -1.0) == 32


def _calib_args(**kw) -> argparse.Namespace:
    base = {"model": "digits", "calib": None, "calib_images": None, "seed": 0,
            "weights": "random", "input_size": None}
    return argparse.Namespace(**(base | kw))


@pytest.mark.parametrize("calib", ["digits", None], ids=["--calib digits", "default"])
def test_digits_calibration_uses_the_training_split_only(calib):
    graph = load_model("digits")
    images = calibration_from_args(_calib_args(calib=calib), graph)
    train, test = digits("train").images, digits("test").images
    assert images.shape == (DATA_CALIB_IMAGES, 32, 32, 1)
    assert np.array_equal(images, train[:DATA_CALIB_IMAGES])
    # no calibration image is a test image (compared as pixels, not only as indices)
    test_keys = {t.tobytes() for t in test}
    assert not any(img.tobytes() in test_keys for img in images)
    assert len(calibration_from_args(_calib_args(calib=calib, calib_images=7), graph)) == 7


def test_unknown_calibration_source_is_one_line():
    with pytest.raises(FpgagenError, match="unknown data source 'mnist'"):
        calibration_from_args(_calib_args(calib="mnist"), load_model("digits"))


def test_digits_data_do_not_fit_an_imagenet_model():
    with pytest.raises(FpgagenError, match=r"digits/train holds 32x32x1 images .* takes "
                                           r"224x224x3"):
        calibration_from_args(_calib_args(model="squeezenet", calib="digits"),
                              load_model("squeezenet"))
