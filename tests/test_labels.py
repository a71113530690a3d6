"""Class names (fpgagen/frontend/labels.py): the ImageNet list, ONNX metadata, sidecar files, and
what `run` prints with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from digit_images import write_digit_png
from small_onnx import small_fire_net

from fpgagen.errors import FpgagenError
from fpgagen.frontend.datasets import digits
from fpgagen.frontend.labels import imagenet_classes, onnx_info, parse_labels, zoo_info


def test_imagenet_names_in_index_order():
    names = imagenet_classes()
    assert len(names) == 1000
    assert (names[0], names[281], names[417], names[999]) == (
        "tench", "tabby", "balloon", "toilet_tissue")


def test_zynqnet_extra_outputs_have_no_class():
    info = zoo_info(1024, random_weights=True)
    assert len(info.labels) == 1024 and info.labels[1000] == "(no class 1000)"
    assert info.random_weights and info.name(5000) == ""


def test_parse_labels_lines_and_json():
    assert parse_labels("# c\na\n\n b \n") == ("a", "b")
    assert parse_labels('["x", "y"]') == ("x", "y")
    with pytest.raises(FpgagenError, match="must be strings"):
        parse_labels("[1, 2]")


def _onnx(tmp_path: Path, meta: dict[str, str] | None = None) -> Path:
    import onnx

    model = small_fire_net()
    for k, v in (meta or {}).items():
        model.metadata_props.add(key=k, value=v)
    path = tmp_path / "net.onnx"
    onnx.save(model, str(path))
    return path


def test_onnx_metadata_labels_and_preprocess(tmp_path):
    names = [f"c{k}" for k in range(10)]
    info = onnx_info(_onnx(tmp_path, {"labels": json.dumps(names), "preprocess": "digits",
                                      "dataset": "digits"}), 10)
    assert info.labels == tuple(names) and info.preprocess == "digits"
    assert info.dataset == "digits" and not info.random_weights


def test_sidecar_labels_file(tmp_path):
    path = _onnx(tmp_path)
    assert onnx_info(path, 10).labels is None
    (tmp_path / "net.labels.txt").write_text("\n".join(f"n{k}" for k in range(10)) + "\n")
    assert onnx_info(path, 10).labels[9] == "n9"
    (tmp_path / "net.labels.txt").write_text("a\nb\n")
    with pytest.raises(FpgagenError, match=r"net\.labels\.txt has 2 class names, the model has "
                                           r"10 outputs"):
        onnx_info(path, 10)


def test_unknown_preprocessing_is_refused(tmp_path):
    with pytest.raises(FpgagenError, match="metadata 'preprocess' is 'yuv'"):
        onnx_info(_onnx(tmp_path, {"preprocess": "yuv"}), 10)


def test_run_names_classes_and_says_weights_are_random(cli):
    code, out, _ = cli("run", "-m", "squeezenet", "--input-size", "64", "-q")
    assert code == 0
    assert "the weights are seeded random ones" in out and "class names mean nothing" in out
    code, out, _ = cli("run", "-m", "squeezenet", "--input-size", "64", "-q", "--json")
    res = json.loads(out)
    assert res["random_weights"] is True
    assert res["names_fixed"][0] == imagenet_classes()[res["top5_fixed"][0]]


def test_run_digits_reads_a_digit_png(cli, tmp_path):
    cls = write_digit_png(0, tmp_path / "d.png")
    code, out, _ = cli("run", "-m", "digits", "-i", str(tmp_path / "d.png"), "-q", "--json")
    res = json.loads(out)
    assert code == 0 and res["random_weights"] is False
    assert res["top5_fixed"][0] == cls == int(digits("test").labels[0])
    assert res["names_fixed"][0] == str(cls)
