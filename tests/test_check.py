"""``fpgagen check``: the acceptance cases, exit codes, JSON and JUnit for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

JSON_KEYS = {"fits", "budget_bytes", "weights_bytes", "activations_bytes",
             "activation_lower_bound_bytes", "staging_bytes", "total_bytes", "bram36", "uram",
             "board", "model", "precision", "layers"}


def test_default_build_fits_zc706(cli):
    code, out, err = cli("check", "--board", "zynq", "--model", "squeezenet")
    assert code == 0, err
    assert "FITS" in out and "537 / 545" in out and "480,512" in out and "982,144" in out
    assert "10 largest consumers" in out and "staging" in out


def test_default_build_json(cli):
    code, out, _ = cli("check", "--board", "zynq", "--model", "squeezenet", "--json")
    assert code == 0
    r = json.loads(out)
    assert set(r) >= JSON_KEYS
    assert r["fits"] and r["model"] == "squeezenet1_1" and r["board"] == "zc706"
    assert r["activations_bytes"] == r["activation_lower_bound_bytes"] == 480_512
    assert r["activations_unfused_bytes"] == 982_144
    assert r["total_bytes"] == r["weights_bytes"] + r["activations_bytes"] + r["staging_bytes"]
    assert r["bram36"] <= 545 and r["uram"] == 0 and r["budget_source"] == "board"
    assert r["fusions"] == [{"conv": "conv1", "pool": "pool1", "ring_rows": 5}]
    assert len(r["layers"]) == 38 and r["layers"][0]["storage"] == "ring"


def test_squeezenet1_0_w16_fits_8192kb(cli):
    code, out, _ = cli("check", "-b", "zynq", "-m", "squeezenet1_0", "-p", "16",
                       "--budget", "8192KB", "--json")
    r = json.loads(out)
    assert code == 0 and r["fits"] and r["budget_bytes"] == 8_388_608
    assert r["bram36"] > 545  # block counts are not judged against --budget
    assert r["budget_source"] == "--budget"


def test_zynqnet_32bit_does_not_fit_8192kb(cli):
    code, out, _ = cli("check", "-b", "zynq", "-m", "zynqnet", "-p", "ap_fixed<32,16>",
                       "--budget", "8192KB")
    assert code == 1
    assert "DOES NOT FIT" in out and "over by" in out and "--precision w16a16" in out


@pytest.mark.slow
def test_zynqnet_w16_fits_8192kb_but_no_board(cli):
    code, _, _ = cli("check", "-b", "zynq", "-m", "zynqnet", "-p", "16", "--budget", "8192KB")
    assert code == 0
    code, out, _ = cli("check", "-b", "all", "-m", "zynqnet", "-p", "16", "--json")
    assert code == 1
    r = json.loads(out)
    assert not r["fits"] and len(r["results"]) == 7
    assert not any(x["fits"] for x in r["results"])
    assert all(x["suggestions"]["boards"] == [] for x in r["results"])


def test_matrix_exit_1_when_any_fails(cli):
    code, out, _ = cli("check", "-b", "zynq,pynq", "-m", "squeezenet")
    assert code == 1 and "Summary" in out
    code, _, _ = cli("check", "-b", "zynq", "-b", "zcu102", "-m", "squeezenet")
    assert code == 0


def test_no_fuse_and_pe(cli):
    _code, out, _ = cli("check", "-b", "zynq", "-m", "squeezenet", "--no-fuse", "--pe", "8x8",
                       "--json")
    r = json.loads(out)
    assert r["fusions"] == [] and r["activations_bytes"] == 982_144
    assert r["engine"] == {"p_in": 8, "p_out": 8, "p_pix": 1, "macs_per_cycle": 64}


def test_junit_over_budget(cli, tmp_path):
    path = tmp_path / "check.xml"
    code, _, _ = cli("check", "-b", "zynq", "-m", "zynqnet", "-p", "ap_fixed<32,16>",
                     "--budget", "8MB", "--junit", str(path))
    assert code == 1
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "1"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"total bytes", "BRAM36", "URAM", "DSP"}
    assert cases["total bytes"].find("failure") is not None
    assert cases["BRAM36"].find("skipped") is not None  # --budget judges bytes only
    assert cases["DSP"].find("skipped") is None  # ... and the part's DSPs


def test_junit_passes_on_board(cli, tmp_path):
    path = tmp_path / "ok.xml"
    code, _, _ = cli("check", "-b", "zynq", "-m", "squeezenet", "--junit", str(path))
    root = ET.parse(path).getroot()
    assert code == 0 and root.get("failures") == "0" and root.get("tests") == "4"
    assert not list(root.iter("failure")) and not list(root.iter("skipped"))


@pytest.mark.parametrize("argv", [
    ("-m", "nosuchnet", "-b", "zynq"),
    ("-m", "squeezenet", "-b", "nosuchboard"),
    ("-m", "squeezenet", "-b", "zynq", "--budget", "lots"),
    ("-m", "squeezenet", "-b", "zynq", "--budget", "0KB"),
    ("-m", "squeezenet", "-b", "zynq", "--budget", "-5MB"),
    ("-m", "squeezenet", "-b", "zynq", "--budget=1e309"),
    ("-m", "squeezenet", "-b", "zynq", "--budget=1e999"),
    ("-m", "squeezenet", "-b", "zynq", "-p", "w99a8"),
    ("-m", "squeezenet", "-b", "zynq", "--pe", "16by32"),
    ("-m", "squeezenet", "-b", "zynq", "--pe", "128x4"),
    ("-m", "squeezenet", "-b", "zynq", "--junit", "/nonexistent/dir/x.xml"),
    ("-b", "zynq",),
])
def test_bad_input_exits_2_with_one_line(cli, argv):
    code, out, err = cli("check", *argv)
    assert code == 2 and out == ""
    assert err.startswith("fpgagen: error: ") and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.slow
def test_weight_source_in_check(cli):
    """The KV260 fits only with its weights loaded at run time; check says where the weights
    come from per memory, counts their URAM, and with --weight-source bitstream (nothing fits)
    suggests run-time weights."""
    code, out, err = cli("check", "--board", "kv260", "--model", "squeezenet", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["fits"] and r["weight_source"] == "runtime" and r["weight_source_asked"] == "auto"
    assert "loaded at run time" in r["weight_note"] and "URAM" in r["weight_note"]
    inits = {m["name"]: m["init"] for m in r["memories"]}
    assert inits == {"activations": None, "input_staging": None, "weights": "stream",
                     "biases": "stream"}
    assert r["uram"] == sum(m["uram"] for m in r["memories"]) == 62
    code, out, _ = cli("check", "--board", "kv260", "--model", "squeezenet",
                       "--weight-source", "bitstream", "--json")
    r = json.loads(out)
    assert code == 1 and not r["fits"] and r["weight_source"] == "bitstream"
    assert r["suggestions"]["runtime_weights_fit"]
    code, out, _ = cli("check", "--board", "kv260", "--model", "squeezenet",
                       "--weight-source", "bitstream")
    assert code == 1 and "would fit: --weight-source runtime" in out
    code, out, _ = cli("check", "--board", "zynq", "--model", "squeezenet")
    assert code == 0 and "weights: in the bitstream" in out and "bitstream" in out
    code, _, err = cli("check", "--model", "squeezenet", "--weight-source", "flash")
    assert code == 2 and "invalid choice: 'flash'" in err and len(err.splitlines()) == 1
