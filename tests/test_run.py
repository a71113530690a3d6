"""``fpgagen run``: human and JSON output, image/npy inputs, one-line errors with exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

SMALL = ("-m", "squeezenet1_1", "--input-size", "64", "--calib-images", "2", "-q")


def test_json_schema(cli):
    code, out, err = cli("run", *SMALL, "--json")
    assert code == 0, err
    res = json.loads(out)
    for key in ("top5_fixed", "top5_float", "logits_fixed", "logits_float", "output_type",
                "sqnr_db"):
        assert key in res
    assert len(res["top5_fixed"]) == len(res["top5_float"]) == 5
    assert len(res["logits_fixed"]) == len(res["logits_float"]) == 1000
    assert res["output_type"].startswith("ap_ufixed<8,")
    assert set(res["sqnr_db"]) >= {"input", "conv1", "pool10"}
    assert res["top5_fixed"][0] == int(np.argmax(res["logits_fixed"]))
    assert all(v is None or v > 10 for v in res["sqnr_db"].values())


def test_human_output(cli):
    code, out, _ = cli("run", *SMALL, "--precision", "16")
    assert code == 0
    assert "top-5" in out and "SQNR per layer" in out and "top-1 agreement: yes" in out
    assert "ap_ufixed<16," in out


def test_npy_and_png_inputs(cli, tmp_path):
    from PIL import Image

    x = np.random.default_rng(0).standard_normal((64, 64, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    code, out, err = cli("run", *SMALL, "--input", str(tmp_path / "x.npy"), "--json")
    assert code == 0, err
    rgb = (np.random.default_rng(1).random((90, 120, 3)) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "cat.png")
    code, out, err = cli("run", *SMALL, "--input", str(tmp_path / "cat.png"), "--json")
    assert code == 0, err
    assert len(json.loads(out)["logits_float"]) == 1000


def test_image_preprocessing_is_imagenet():
    from PIL import Image

    from fpgagen.frontend.images import IMAGENET_MEAN, IMAGENET_STD, load_image

    grey = np.full((300, 400, 3), 128, dtype=np.uint8)
    grey[:, :50] = 0  # left border: cropped away by the center crop
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        Image.fromarray(grey).save(f"{d}/g.png")
        x = load_image(f"{d}/g.png", 224, 224)
    assert x.shape == (224, 224, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x[112, 112], (128 / 255 - IMAGENET_MEAN) / IMAGENET_STD,
                               rtol=1e-5)


def test_calibration_file(cli, tmp_path):
    calib = np.random.default_rng(0).standard_normal((2, 64, 64, 3)).astype(np.float32)
    np.save(tmp_path / "c.npy", calib)
    code, _, err = cli("run", *SMALL, "--calib", str(tmp_path / "c.npy"), "--json")
    assert code == 0, err


def _bad_files(tmp_path):
    np.save(tmp_path / "wrong.npy", np.zeros((32, 32, 3), np.float32))
    nan = np.zeros((2, 64, 64, 3), np.float32)
    nan[1, 3, 4, 2] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    (tmp_path / "typo.toml").write_text('[layers.fire2_sqeeze1x1]\nweight = "8"\n')
    (tmp_path / "bad.png").write_text("not an image")


@pytest.mark.parametrize(("extra", "message"), [
    (("--input", "{d}/missing.npy"), "does not exist"),
    (("--input", "{d}/wrong.npy"), "expected 64x64x3"),
    (("--input", "{d}/bad.png"), "cannot read image"),
    (("--calib", "{d}/nan.npy"), "NaN"),
    (("--calib", "{d}/wrong.npy"), "expected N x 64x64x3"),
    (("--precision", "ap_fixed<4,9>"), "integer bits exceed"),
    (("--precision", "{d}/typo.toml"), "unknown layer"),
    (("--precision", "ap_fixed<32,16>"), "accumulator needs"),
    (("--weights", "{d}/missing.npz"), "does not exist"),
])
def test_bad_inputs_are_one_line(cli, tmp_path, extra, message):
    _bad_files(tmp_path)
    code, out, err = cli("run", *SMALL, *(a.format(d=tmp_path) for a in extra))
    assert code == 2
    assert err.startswith("fpgagen: error: ") and message in err
    assert err.count("\n") == 1 and out == ""
