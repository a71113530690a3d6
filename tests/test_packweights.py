"""``fpgagen pack-weights``: new weights for an existing build, refused when the bitstream could
not run them, and the same bytes as a build of those weights in the build's types."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from small_onnx import write_small_onnx

from fpgagen.cli.main import main
from fpgagen.driver import fpgagen_driver as drv
from fpgagen.frontend.onnx_import import load_onnx
from fpgagen.quant import golden
from fpgagen.quant.freeze import requantize


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """The small fire net built twice on the ZC706: weights in the bitstream (8x8) and loaded
    at run time (4x16: banked arena, split squeezes)."""
    tmp = tmp_path_factory.mktemp("pack")
    model = write_small_onnx(tmp / "small.onnx")
    out = {}
    for tag, extra in (("bitstream", ["--pe", "8x8"]),
                       ("runtime", ["--pe", "4x16", "--weight-source", "runtime"])):
        out[tag] = tmp / tag
        assert main(["build", "--model", str(model), "--board", "zynq", "-q", *extra,
                     "-o", str(out[tag])]) == 0
    return out


def onnx_weights(build: Path) -> dict[str, np.ndarray]:
    return load_onnx(build.parent / "small.onnx")[1]


def save(path: Path, weights: dict[str, np.ndarray]) -> Path:
    np.savez(path, **weights)
    return path


@pytest.mark.parametrize("tag", ["bitstream", "runtime"])
def test_the_build_weights_pack_to_the_build_weights_bin(builds, tag, tmp_path):
    b = builds[tag]
    for src in (b.parent / "small.onnx", save(tmp_path / "same.npz", onnx_weights(b))):
        out = tmp_path / f"{src.suffix[1:]}.bin"
        assert main(["pack-weights", str(b), "--weights", str(src), "-o", str(out)]) == 0
        assert out.read_bytes() == (b / "driver" / "weights.bin").read_bytes(), src


def test_new_weights_pack_for_the_same_bitstream(builds, tmp_path, capsys):
    b = builds["runtime"]
    info = drv.BuildInfo.load(b)
    rng = np.random.default_rng(7)
    new = {k: (v * rng.uniform(0.5, 1.0, v.shape)).astype(np.float32)
           for k, v in onnx_weights(b).items()}
    capsys.readouterr()
    assert main(["pack-weights", str(b), "--weights", str(save(tmp_path / "new.npz", new)),
                 "--vectors", str(tmp_path / "v"), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    out = Path(res["out"])
    assert out == b / "driver" / "weights-new.bin" and res["written"]
    data = out.read_bytes()
    assert len(data) == info.weights_bytes and data != (b / "driver" / "weights.bin").read_bytes()
    assert res["crc32"] == drv.weights_crc(data) and res["build_id"] == info.build_id
    assert not res["bitstream_holds_weights"] and res["saturated"] == 0
    assert {lay["name"] for lay in res["layers"]} >= {"conv1", "conv10"}
    # the vectors are the golden model of the new weights in the build's types
    record = json.loads((b / "network.json").read_text())
    from fpgagen.frontend.graph import graph_from_dict
    graph = graph_from_dict(record["graph"])
    qg = requantize(graph, new, record["types"])
    x = np.load(b / "vectors" / "input.npy")
    assert np.array_equal(np.load(tmp_path / "v" / "input.npy"), x)
    assert np.array_equal(np.load(tmp_path / "v" / "output.npy"),
                          golden.run(qg, x)[graph.output])
    assert not np.array_equal(np.load(tmp_path / "v" / "output.npy"),
                              np.load(b / "vectors" / "output.npy"))
    assert (tmp_path / "v" / "manifest.json").is_file()


def test_saturating_weights_warn_and_strict_refuses(builds, tmp_path, capsys):
    b = builds["bitstream"]
    big = {k: v * 8.0 for k, v in onnx_weights(b).items()}
    src = save(tmp_path / "big.npz", big)
    capsys.readouterr()
    assert main(["pack-weights", str(b), "--weights", str(src), "--strict",
                 "-o", str(tmp_path / "s.bin")]) == 1
    text = capsys.readouterr().out
    assert "saturate at the build's types" in text and "not written" in text
    assert not (tmp_path / "s.bin").exists()
    assert main(["pack-weights", str(b), "--weights", str(src), "-o",
                 str(tmp_path / "s.bin")]) == 0
    assert (tmp_path / "s.bin").stat().st_size == drv.BuildInfo.load(b).weights_bytes
    assert "warning" in capsys.readouterr().out


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fpgagen: error: "), err
    return err[0]


def test_weights_of_other_shapes_or_networks_are_refused(builds, tmp_path, capsys):
    b = builds["runtime"]
    w = onnx_weights(b)
    bad = dict(w)
    bad["conv10.weight"] = bad["conv10.weight"][..., :5]
    capsys.readouterr()
    assert main(["pack-weights", str(b), "--weights", str(save(tmp_path / "bad.npz", bad)),
                 "-o", str(tmp_path / "x.bin")]) == 2
    assert "conv10.weight is 1x1x32x5, expected 1x1x32x10" in _error(capsys)
    extra = {**w, "fc.weight": np.zeros(3, np.float32)}
    assert main(["pack-weights", str(b), "--weights", str(save(tmp_path / "e.npz", extra)),
                 "-o", str(tmp_path / "x.bin")]) == 2
    assert "unexpected fc.weight" in _error(capsys)
    digits = Path(__file__).resolve().parents[1] / "fpgagen" / "models" / "digits.onnx"
    assert main(["pack-weights", str(b), "--weights", str(digits), "-o",
                 str(tmp_path / "x.bin")]) == 2
    assert "is not the build's" in _error(capsys)
    assert not (tmp_path / "x.bin").exists()


def test_bad_targets_and_folders_are_refused(builds, tmp_path, capsys):
    b = builds["bitstream"]
    src = str(b.parent / "small.onnx")
    capsys.readouterr()
    assert main(["pack-weights", str(b), "--weights", src,
                 "-o", str(b / "driver" / "weights.bin")]) == 2
    assert "the build's own weights.bin" in _error(capsys)
    (tmp_path / "x.bin").write_bytes(b"old")
    assert main(["pack-weights", str(b), "--weights", src, "-o", str(tmp_path / "x.bin")]) == 2
    assert "--force" in _error(capsys)
    assert main(["pack-weights", str(b), "--weights", src, "-o", str(tmp_path / "x.bin"),
                 "--force"]) == 0
    assert main(["pack-weights", str(tmp_path), "--weights", src]) == 2
    assert "network.json is missing" in _error(capsys)
    # a build whose layer table is not the one its record makes: refused, nothing written
    copy = tmp_path / "copy"
    shutil.copytree(b, copy)
    rows = (copy / "rtl" / "layers.hex").read_text().splitlines()
    rows[3] = f"{int(rows[3], 16) ^ 1:08x}"
    (copy / "rtl" / "layers.hex").write_text("\n".join(rows) + "\n")
    assert main(["pack-weights", str(copy), "--weights", src, "-o", str(tmp_path / "y.bin")]) == 2
    assert "layer table of these weights differs" in _error(capsys)
    assert not (tmp_path / "y.bin").exists()
