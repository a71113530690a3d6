"""The Python API (fpgagen/api, docs/api.md): its records are the commands' JSON, its errors
the commands' one line, and the example script runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fpgagen
from fpgagen.api.records import Record
from fpgagen.errors import FpgagenError
from fpgagen.frontend.datasets import digits
from fpgagen.frontend.family import FamilyParams, load_family, parse_family
from fpgagen.frontend.zoo import squeezenet1_1

REPO = Path(__file__).resolve().parents[1]


def test_import_is_cheap_and_names_resolve():
    """``import fpgagen`` imports no numpy (every command pays for it); the names come on use."""
    code = ("import sys, fpgagen; assert 'numpy' not in sys.modules, 'numpy imported'; "
            "print(fpgagen.Design.__name__, fpgagen.explore.__name__, fpgagen.evaluate.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, check=True).stdout
    assert out.split() == ["Design", "explore", "evaluate"]
    with pytest.raises(AttributeError):
        fpgagen.NoSuchThing  # noqa: B018
    assert {"Design", "explore", "evaluate", "Build"} <= set(dir(fpgagen))


def test_record_is_a_read_only_mapping_with_attributes():
    r = Record({"fits": True, "engine": {"p_in": 16}})
    assert r.fits is True and r["engine"]["p_in"] == 16 and dict(r) == r.to_json()
    with pytest.raises(AttributeError, match="no field 'nope'"):
        r.nope  # noqa: B018
    with pytest.raises(AttributeError):
        r.fits = False
    copy = r.to_json()
    copy["engine"]["p_in"] = 1
    assert r.engine["p_in"] == 16  # to_json is a copy


def test_check_is_check_json(cli):
    design = fpgagen.Design("squeezenet", board="zynq", precision="w8a8")
    rec = design.check()
    code, out, _ = cli("check", "--model", "squeezenet", "--board", "zynq", "-p", "w8a8",
                       "--json")
    assert code == 0 and rec.to_json() == json.loads(out)
    assert rec.fits and rec.plan.total_bytes == rec.total_bytes
    assert rec.streaming_fps == round(rec.plan.streaming_fps, 2)


def test_a_design_that_does_not_fit_says_so(cli):
    rec = fpgagen.Design("zynqnet", board="pynq").check()
    code, out, _ = cli("check", "-m", "zynqnet", "-b", "pynq", "--json")
    assert code == 1 and not rec.fits and rec.to_json() == json.loads(out)
    assert rec.suggestions is not None


def test_predict_is_run_json(cli):
    rec = fpgagen.Design("digits").predict()
    code, out, _ = cli("run", "--model", "digits", "--json", "-q")
    assert code == 0 and rec.to_json() == json.loads(out)
    assert rec.outputs[rec.qgraph.graph.output].dtype.kind == "i"


def test_predict_takes_an_array_and_evaluate_is_eval_json(cli):
    design = fpgagen.Design("digits", precision="8")
    test = digits("test")
    pred = design.predict(test.images[3])
    assert pred.top5_fixed[0] == int(test.labels[3])
    rec = fpgagen.evaluate(design, "digits", limit=40)
    code, out, _ = cli("eval", "-m", "digits", "--data", "digits", "--limit", "40", "-q",
                       "--json")
    assert code == 0 and rec.to_json() == json.loads(out)
    assert rec.fixed_logits.shape == (40, 10)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"model": "squeezenet2"}, "unknown model 'squeezenet2'"),
    ({"model": "digits", "board": "zc70"}, "did you mean 'zc706'"),
    ({"model": "digits", "precision": "w3b4"}, "precision"),
    ({"model": "digits", "pe": "3x16"}, "power of two"),
    ({"model": "squeezenet:sr=0.25,foo=1"}, "unknown metaparameter 'foo'"),
])
def test_bad_input_is_one_line(kwargs, message):
    with pytest.raises(FpgagenError, match=message) as err:
        fpgagen.Design(**kwargs)
    assert "\n" not in str(err.value)


def test_an_array_as_weights_and_a_wrong_one():
    graph = squeezenet1_1(64)
    from fpgagen.frontend.weights import random_weights

    w = random_weights(graph, 3)
    d = fpgagen.Design("squeezenet", input_size=64, weights=w)
    assert np.array_equal(d.weights["conv1.weight"], w["conv1.weight"])
    bad = dict(w)
    del bad["conv10.bias"]
    with pytest.raises(FpgagenError, match=r"missing conv10\.bias"):
        fpgagen.Design("squeezenet", input_size=64, weights=bad).weights  # noqa: B018


# --- the SqueezeNet family -------------------------------------------------------------------

def test_the_family_default_is_squeezenet_1_1():
    g, ref = load_family("squeezenet:"), squeezenet1_1()
    assert g.layers == ref.layers and g.shapes == ref.shapes
    assert g.name == "squeezenet:sr=0.125,pct3x3=0.5,base_e=128,incr_e=128,freq=2"


def test_the_metaparameters_shape_the_fires():
    p = parse_family("squeezenet:sr=0.25,pct3x3=0.75,base_e=32,incr_e=16,freq=3")
    e = [32, 32, 32, 48, 48, 48, 64, 64]
    assert p.expands() == [(round(0.25 * x + 1e-9), x - round(0.75 * x), round(0.75 * x))
                           for x in e]
    g = load_family(p.spec)
    assert g.layer("fire5_expand3x3").out_channels == 36
    assert g.layer("fire9_squeeze1x1").out_channels == 16


def test_the_digits_preset_keeps_the_maps_useful():
    g = load_family("squeezenet:base_e=16,incr_e=16,data=digits")
    assert g.input_shape == (32, 32, 1) and g.shape(g.output) == (1, 1, 10)
    assert g.shape("fire2_concat")[:2] == (16, 16) and g.shape("fire9_concat")[:2] == (4, 4)
    assert not g.layer("conv10").relu
    assert g.name == "squeezenet:sr=0.125,pct3x3=0.5,base_e=16,incr_e=16,freq=2,data=digits"
    assert load_family(g.name).layers == g.layers  # the name is a spec of the same graph
    assert FamilyParams().spec == "squeezenet:sr=0.125,pct3x3=0.5,base_e=128,incr_e=128,freq=2"


@pytest.mark.parametrize(("spec", "message"), [
    ("squeezenet:sr=0.25,squeez=2", "unknown metaparameter 'squeez'"),
    ("squeezenet:pct3x3=1", "pct3x3 must be in (0, 1)"),
    ("squeezenet:sr=0", "sr (squeeze ratio) must be in (0, 1]"),
    ("squeezenet:base_e=2,sr=0.1", "fire2 would have 0 squeeze"),
    ("squeezenet:freq=two", "freq must be an integer"),
    ("squeezenet:sr", "is not key=value"),
    ("squeezenet:data=cifar", "data=cifar is no preset"),
    ("squeezenet:input=8", "too small"),
])
def test_bad_metaparameters_are_one_line(cli, spec, message):
    code, out, err = cli("info", "--model", spec)
    assert code == 2 and not out and message in err and err.count("\n") == 1, err


def test_a_family_member_goes_through_check(cli):
    code, out, err = cli("check", "-m", "squeezenet:sr=0.25,data=digits,base_e=32,incr_e=32",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["model"].startswith("squeezenet:sr=0.25,pct3x3=0.5,base_e=32")


# --- the example -----------------------------------------------------------------------------

@pytest.mark.slow
def test_the_example_runs(tmp_path):
    """examples/api/quickstart.py end to end (check, predict, evaluate, build, C-sim, sweep)."""
    proc = subprocess.run([sys.executable, str(REPO / "examples/api/quickstart.py"), "--out",
                           str(tmp_path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "C-simulation bit-exact: True" in proc.stdout
    assert (tmp_path / "explore" / "results.csv").is_file()
    assert (tmp_path / "build" / "report.json").is_file()


@pytest.mark.slow
def test_build_writes_a_folder_that_opens_again(tmp_path):
    design = fpgagen.Design("digits", pe="4x4")
    build = design.build(tmp_path / "b")
    assert build.built and build.path == tmp_path / "b"
    assert build.report["engine"]["p_in"] == 4 and (tmp_path / "b" / "hls").is_dir()
    again = fpgagen.Build.open(tmp_path / "b")
    assert again.report == build.report
    with pytest.raises(FpgagenError, match="already exists"):
        design.build(tmp_path / "b")
    over = fpgagen.Design("digits", budget="2KB").build(tmp_path / "z")
    assert not over.built and not over.check["fits"] and not (tmp_path / "z").exists()
    with pytest.raises(FpgagenError, match="nothing was built"):
        over.verify()
    with pytest.raises(FpgagenError, match="not a complete fpgagen build"):
        fpgagen.Build.open(tmp_path)
