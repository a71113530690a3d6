"""Defaults that do not mislead: calibration headroom, saturation shown by ``run``, a precision
suggested by ``check`` only with its quality, and a narrowed default engine explained."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.images import IMAGENET_MEAN, IMAGENET_STD, normalize
from fpgagen.frontend.weights import random_weights
from fpgagen.frontend.zoo import load_model
from fpgagen.plan.boards import load_board
from fpgagen.plan.budget import suggest
from fpgagen.quant import golden
from fpgagen.quant.fixed import FixedType, int_bits_for
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quality import QualityProbe
from fpgagen.quant.quantize import calibration_inputs, quantize

BRIGHT = ("-m", "squeezenet1_0", "--input-size", "64", "-p", "16", "-q", "--json")


@pytest.fixture(scope="module")
def tiny():
    graph = g.make_graph("tiny", (9, 9, 3), [
        g.conv("c1", g.INPUT, 4, 3, 2), g.maxpool("p1", "c1", 2, 2),
        g.conv("e1", "p1", 4, 1), g.conv("e3", "p1", 4, 3, pad=1),
        g.concat("cat", "e1", "e3"), g.conv("c2", "cat", 6, 1, relu=False),
        g.avgpool("gap", "c2")])
    return graph, random_weights(graph, 1)


def bright(x: np.ndarray) -> np.ndarray:
    """The same picture much closer to white than any synthetic calibration image."""
    rgb = x * IMAGENET_STD + IMAGENET_MEAN
    return normalize((1 - (1 - rgb) * 0.3).astype(np.float32))


# --- headroom -----------------------------------------------------------------------------------

def test_computed_tensors_get_one_bit_of_headroom_by_default(tiny):
    graph, weights = tiny
    calib = calibration_inputs(graph, 0, 2)
    qg = quantize(graph, weights, parse_precision("8"), calib)
    exact = quantize(graph, weights, parse_precision("8"), calib, headroom=0)
    assert qg.headroom == 1 and exact.headroom == 0
    assert qg.input_type == exact.input_type  # the image's range is the preprocessing's
    for name in ("c1", "p1", "e1", "e3", "cat", "c2", "gap"):
        t, t0 = qg.type(name), exact.type(name)
        assert (t.width, t.signed) == (t0.width, t0.signed)
        assert t.int_bits == t0.int_bits + 1, name
    # headroom 0 is the calibration peak exactly (c2 is alone in its type group)
    assert exact.type("c2").int_bits == int_bits_for(qg.calib_max["c2"], True)
    two = quantize(graph, weights, parse_precision("8"), calib, headroom=2)
    assert two.type("c2").int_bits == exact.type("c2").int_bits + 2


def test_pinned_types_get_no_headroom(tiny):
    graph, weights = tiny
    qg = quantize(graph, weights, parse_precision("ap_fixed<16,6>"),
                  calibration_inputs(graph, 0, 1))
    assert qg.type("c2") == FixedType(16, 10, True)


@pytest.mark.parametrize("bits", [-1, 17])
def test_headroom_out_of_range_is_refused(tiny, bits):
    graph, weights = tiny
    with pytest.raises(FpgagenError, match=r"headroom must be 0\.\.16 bits"):
        quantize(graph, weights, parse_precision("8"), calibration_inputs(graph, 0, 1),
                 headroom=bits)


def test_saturation_counts_match_the_clamped_outputs(tiny):
    graph, weights = tiny
    qg = quantize(graph, weights, parse_precision("8"), calibration_inputs(graph, 0, 2),
                  headroom=0)
    x = calibration_inputs(graph, 5, 1)[0] * 6.0  # far beyond the calibration images
    vals, counts = golden.run_counted(qg, qg.quantize_input(x))
    assert set(counts) == {lay.name for lay in graph.layers}
    plain = golden.run(qg, qg.quantize_input(x))
    for name, v in vals.items():
        np.testing.assert_array_equal(v, plain[name])
    assert counts["p1"] == counts["cat"] == 0  # they move integers, never saturate
    for name in ("c1", "e1", "e3", "c2"):
        t = qg.type(name)
        at_rail = int(np.count_nonzero((vals[name] == t.qmax) | (vals[name] == t.qmin)))
        assert counts[name] <= at_rail  # every saturated value sits on a rail
    assert counts["c1"] > 0
    t_in = qg.input_type  # AP_RND: floor(v * 2^F + 1/2), then the range
    r = np.floor(x.astype(np.float64) * 2.0 ** t_in.frac + 0.5)
    assert qg.input_out_of_range(x) == int(np.count_nonzero((r > t_in.qmax) | (r < t_in.qmin)))
    assert qg.input_out_of_range(x) > 0


def _bright_input(tmp_path) -> str:
    graph = load_model("squeezenet1_0", 64)
    path = tmp_path / "bright.npy"
    np.save(path, bright(calibration_inputs(graph, 4242, 1)[0]))
    return str(path)


def test_bright_image_no_longer_saturates_w16(cli, tmp_path):
    """Types sized exactly to the synthetic calibration images clamp a brighter image: at
    w16a16 SqueezeNet 1.0's logits fell to ~16 dB. One bit of headroom keeps them >= 70 dB."""
    path = _bright_input(tmp_path)
    code, out, err = cli("run", *BRIGHT, "--input", path)
    assert code == 0, err
    res = json.loads(out)
    assert res["calib_headroom_bits"] == 1
    assert sum(res["saturated"].values()) == 0
    assert res["sqnr_db"]["pool10"] >= 70.0
    code, out, err = cli("run", *BRIGHT, "--input", path, "--calib-headroom", "0")
    assert code == 0, err
    tight = json.loads(out)
    assert sum(tight["saturated"].values()) > 100 and tight["sqnr_db"]["pool10"] < 30.0


def test_run_prints_saturation_per_layer(cli, tmp_path):
    path = _bright_input(tmp_path)
    code, out, _ = cli("run", *BRIGHT[:-1], "--input", path, "--calib-headroom", "0")
    assert code == 0
    assert "saturated" in out and "saturation in" in out and "--calib-headroom" in out
    assert any("fire" in ln and " %)" in ln for ln in out.splitlines())  # count (share)
    code, out, _ = cli("run", *BRIGHT[:-1], "--input", path)
    assert code == 0 and "saturation in" not in out


def test_bad_headroom_is_one_line(cli):
    code, out, err = cli("run", *BRIGHT, "--calib-headroom", "99")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "calibration headroom must be 0..16 bits, got 99" in err


# --- check: a suggestion carries its quality ----------------------------------------------------

@pytest.mark.slow
def test_kv260_does_not_suggest_a_precision_that_is_noise(cli):
    """With its weights in the bitstream (block RAM only), SqueezeNet 1.1 does not fit the
    KV260's 144 BRAM36 at w8a8; w4a8 and w4a4 would, but their logits SQNR is far below 20 dB,
    so neither is suggested; run-time weights are (they fit)."""
    code, out, err = cli("check", "-m", "squeezenet", "-b", "kv260", "--weight-source",
                         "bitstream", "--json")
    assert code == 1, err
    s = json.loads(out)["suggestions"]
    assert s["precision"] is None and s["min_logits_sqnr_db"] == 20.0
    rejected = {x["precision"]: x["logits_sqnr_db"] for x in s["rejected"]}
    assert set(rejected) == {"w4a8", "w4a4"}
    assert all(db < 20.0 for db in rejected.values())
    assert s["runtime_weights_fit"] is True
    code, out, _ = cli("check", "-m", "squeezenet", "-b", "kv260", "--weight-source", "bitstream")
    assert code == 1
    assert "would fit: --precision" not in out
    assert "not suggested: --precision w4a8 fits" in out and "logits SQNR is" in out


@pytest.mark.slow
def test_a_suggested_precision_carries_its_sqnr(cli):
    # (w8a16 needs 2,833,728 B with the double-buffered image staging)
    code, out, err = cli("check", "-m", "squeezenet", "-b", "zynq", "-p", "16", "--budget",
                         "2800KB", "--json")
    assert code == 1, err
    s = json.loads(out)["suggestions"]
    assert s["precision"] == "w8a16" and s["precision_logits_sqnr_db"] >= 20.0
    assert s["rejected"] == []
    # the same figure `fpgagen run` prints for that precision on its default image
    code, out, _ = cli("run", "-m", "squeezenet", "-p", "w8a16", "-q", "--json")
    assert code == 0
    assert json.loads(out)["sqnr_db"]["pool10"] == pytest.approx(
        s["precision_logits_sqnr_db"], abs=0.01)
    code, out, _ = cli("check", "-m", "squeezenet", "-b", "zynq", "-p", "16", "--budget",
                       "2800KB")
    assert "would fit: --precision w8a16" in out and "logits SQNR" in out


@pytest.mark.slow
def test_suggest_rates_only_what_fits():
    graph, board = load_model("zynqnet"), load_board("zynq")
    s = suggest(graph, board, parse_precision("16"), None, True, None)
    assert s.precision == "w4a4" and s.precision_sqnr_db is None and s.rejected == ()
    asked: list[str] = []
    rated = suggest(graph, board, parse_precision("16"), None, True, None,
                    rate=lambda text: asked.append(text) or 5.0)
    assert asked == ["w4a4"]  # the only one that fits: nothing else is worth a golden run
    assert rated.precision is None and [x.precision for x in rated.rejected] == ["w4a4"]


# --- check: a narrowed default engine says why --------------------------------------------------

def test_shrunk_default_engine_is_explained(cli):
    code, out, err = cli("check", "-m", "squeezenet", "-b", "zcu104", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["engine"] == {"p_in": 16, "p_out": 32, "p_pix": 1, "macs_per_cycle": 512}
    assert "halved from the DSP-sized 16x64 to 16x32" in r["engine_note"]
    # the pixel-parallel engine check names: bound by memory (16x64 weight words do not fit)
    assert r["pixel_engine"]["pe"] == "16x32x6" and r["pixel_engine"]["binding"] == "memory"
    assert "BRAM36 of 312" in r["engine_note"]
    _, out, _ = cli("check", "-m", "squeezenet", "-b", "zcu104")
    assert "engine: P_out halved from the DSP-sized 16x64" in out
    _, out, _ = cli("check", "-m", "squeezenet", "-b", "zcu104", "--pe", "16x32", "--json")
    assert json.loads(out)["engine_note"] == ""  # chosen by --pe: nothing to explain
    _, out, _ = cli("check", "-m", "squeezenet", "-b", "zc706", "--json")
    # the DSP-sized default, packed: two MACs per DSP48E1 where that is >= 1.3x faster
    assert json.loads(out)["engine_note"].startswith(
        "16x64 with two MACs per DSP48E1 (528 DSPs): estimated 1.8")


def test_probe_rates_what_cannot_be_built_as_minus_inf(tiny):
    graph, weights = tiny
    probe = QualityProbe(graph, weights, calibration_inputs(graph, 0, 2),
                         calibration_inputs(graph, 9, 1)[0])
    assert probe.logits_sqnr("ap_fixed<32,16>") == -math.inf  # a 70-bit accumulator: refused
    assert probe.logits_sqnr("16") > 50.0 > probe.logits_sqnr("w4a4")
