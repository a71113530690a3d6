"""`fpgagen.machine.rules`: ``check`` applies every rule ``build`` applies, before any work, with
the same one-line message naming the layer; DSPs are judged; a bad engine shape stops at once.

Each case was a disagreement once: ``check`` said FITS (exit 0) where ``build`` refused (exit 2)
after quantizing and running the golden model, or ``build`` passed and the RTL died later.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from onnx_models import Builder, save

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.machine.rules import supported_plan
from fpgagen.plan.boards import load_board
from fpgagen.quant.precision import parse_precision

ZC706 = load_board("zynq")
W8 = parse_precision("8")


def _concat_5_6_7() -> Builder:
    """Three convs on the image concatenated as 5 + 6 + 7 channels: P_in must divide 5."""
    b = Builder((1, 3, 8, 8))
    parts = [b.unary("Relu", b.conv("data", name, c, 1), f"r{name}")
             for name, c in (("a", 5), ("c", 6), ("d", 7))]
    b.conv(b.concat(parts, "cat"), "e", 4, 1)
    return b


def _add_on_image() -> Builder:
    b = Builder((1, 3, 8, 8))
    x = b.node("Add", ["data", b.conv("data", "c", 3, 3, pad=1)], "add")
    b.channels[x] = 3
    b.conv(x, "e", 4, 1)
    return b


def _pool_on_image() -> Builder:
    b = Builder((1, 3, 8, 8))
    b.conv(b.unary("MaxPool", "data", "pool", kernel_shape=[2, 2], strides=[2, 2]), "e", 4, 1)
    return b


def _onnx(tmp_path: Path, build: Builder, name: str) -> str:
    last = build.nodes[-1].output[0]
    return str(save(build.model(last, 13), tmp_path / f"{name}.onnx"))


REFUSED = {
    "concat-5-6-7": (_concat_5_6_7, (), "no engine runs concat_5_6_7: concat 'cat' input 'a' "
                     "has 5 channels, so P_in (a power of two dividing it) is at most 1, but "
                     "conv 'a' reads the 3-channel input image, which needs P_in >= 3"),
    "concat-5-6-7-pe4x4": (_concat_5_6_7, ("--pe", "4x4"),
                           "concat 'cat' input 'c' starts at channel 5, not a multiple of the "
                           "engine's P_in=4"),
    "add-on-image": (_add_on_image, (), "layer 'add' (add) reads the input image: the engine "
                     "supports only a conv there"),
    "pool-on-image": (_pool_on_image, (), "layer 'pool' (maxpool) reads the input image: the "
                      "engine supports only a conv there"),
    "pool-on-image-pe4x4": (_pool_on_image, ("--pe", "4x4"), "layer 'pool' (maxpool) reads "
                            "the input image"),
}


def _one_line_error(code: int, out: str, err: str, message: str) -> None:
    assert code == 2 and out == "", (code, out, err)
    assert err.startswith(f"fpgagen: error: {message}") and err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_check_refuses_what_build_refuses(cli, tmp_path, case):
    """Same exit code, same message from both; build writes nothing and refuses before the
    quantizer (no progress line after the plan)."""
    make, extra, message = REFUSED[case]
    model = _onnx(tmp_path, make(), case)
    code, out, err = cli("check", "-m", model, *extra)
    _one_line_error(code, out, err, message)
    code, out, err_json = cli("check", "-m", model, "--json", *extra)
    _one_line_error(code, out, err_json, message)
    assert err_json == err
    target = tmp_path / "build"
    code, out, build_err = cli("build", "-m", model, "-o", str(target), "-q", *extra)
    _one_line_error(code, out, build_err, message)
    assert build_err == err and not target.exists()


def test_image_rule_blames_the_reader_on_the_api():
    """The engine-independent rule comes first: the pool is blamed, whatever the engine."""
    net = g.make_graph("p", (8, 8, 3), [g.maxpool("pool", g.INPUT, 2, 2),
                                         g.conv("c", "pool", 4, 1)])
    with pytest.raises(FpgagenError, match="'pool' \\(maxpool\\) reads the input image"):
        supported_plan(net, ZC706, W8, None, True)


def test_image_wider_than_p_in_is_refused_for_the_conv():
    net = g.make_graph("wide", (8, 8, 12), [g.conv("c1", g.INPUT, 8, 3, pad=1),
                                            g.avgpool("gap", "c1")])
    from fpgagen.plan.engine import EngineConfig

    with pytest.raises(FpgagenError, match="conv 'c1' reads the 12-channel input image: the "
                                           "engine takes at most P_in = 8 channels"):
        supported_plan(net, ZC706, W8, EngineConfig(8, 8), True)
    assert supported_plan(net, ZC706, W8, EngineConfig(16, 8), True).engine.p_in == 16


def test_counters_are_checked_before_any_work():
    """A map wider than the engine's 16-bit counters: refused by the plan's geometry."""
    net = g.make_graph("long", (1, 40_000, 3), [g.conv("c1", g.INPUT, 4, 1),
                                                g.avgpool("gap", "c1")])
    with pytest.raises(FpgagenError, match=r"'c1'.*16-bit counters|counts to"):
        supported_plan(net, ZC706, W8, None, True)


@pytest.mark.parametrize(("precision", "message"), [
    ("w32a28", "layer 'conv1': the accumulator needs at least 66 bits (28-bit input x 32-bit "
               "weight over 27 terms, 60-bit bias), more than the 62"),
    ("w40a8", "--precision gives layer 'conv1' 40-bit weights; the engine's MAC array takes at "
              "most 32 bits"),
    ("w8a31", "--precision gives the input image 31-bit activations; the engine's lanes hold at "
              "most 30 bits"),
])
def test_width_rules_the_rtl_and_golden_model_need(cli, precision, message):
    """w40a8 used to build and pass C-sim, then fail fg_pe_array's elaboration check (W_W <=
    32); w8a31 and w32a28 were refused by build only, after quantizing."""
    code, out, err = cli("check", "-m", "squeezenet", "--input-size", "32", "-p", precision,
                         "--budget", "100MB")
    _one_line_error(code, out, err, message)


def test_width_rules_apply_to_a_design_that_fits(cli, tmp_path):
    """w8a24 sums pool10's 169 values in 34 bits: it fits 100 MB, and is refused by check as
    by build (build used to quantize and run the golden model first)."""
    code, out, err = cli("check", "-m", "squeezenet", "-p", "w8a24", "--budget", "100MB")
    message = "average pool 'pool10' over 13x13 pixels: its sum needs 34 bits"
    _one_line_error(code, out, err, message)
    code, out, build_err = cli("build", "-m", "squeezenet", "-p", "w8a24", "--budget", "100MB",
                               "-o", str(tmp_path / "b"), "-q")
    _one_line_error(code, out, build_err, message)


def test_concat_inputs_asking_for_two_types_are_refused_by_check(cli, tmp_path):
    """One concat input overridden to 16 bits, its sibling at 8: the quantizer refuses (the
    concat is one buffer); check used to pass it."""
    toml = tmp_path / "p.toml"
    toml.write_text('[model]\nprecision = "8"\n[layers.fire2_expand1x1]\nresult = "16"\n')
    message = "tensors fire2_expand1x1, fire2_expand3x3, fire2_concat"
    code, out, err = cli("check", "-m", "squeezenet", "-p", str(toml))
    assert code == 2 and out == "" and message in err and "must share one type" in err
    code, out, build_err = cli("build", "-m", "squeezenet", "--input-size", "32", "-p",
                               str(toml), "-o", str(tmp_path / "b"), "-q")
    assert code == 2 and build_err == err


def test_a_design_that_does_not_fit_is_told_so_before_the_width_rules(cli):
    """ZynqNet at 32 bits does not fit 8 MB (exit 1, with a precision that fits) although it
    could not be built at 32 bits either: the narrower precision suggested meets every rule."""
    code, out, _ = cli("check", "-b", "zynq", "-m", "zynqnet", "-p", "32", "--budget", "8MB")
    assert code == 1 and "DOES NOT FIT" in out and "--precision w16a16" in out
    code, _, err = cli("check", "-b", "zynq", "-m", "zynqnet", "-p", "w16a16", "--budget", "8MB")
    assert code == 0, err


# --- DSPs ------------------------------------------------------------------------------------


def test_check_judges_dsps(cli):
    code, out, err = cli("check", "-m", "squeezenet", "--pe", "64x64", "-p", "w4a8")
    assert code == 1, err
    assert "engine 64x64 (4,160 of 900 DSP)" in out
    assert "DOES NOT FIT: DSP 4,160 > 900 (over by 3,260)" in out
    assert "would fit: --pe 16x64" in out and "FITS" not in out.replace("NOT FIT", "")
    code, out, _ = cli("check", "-m", "squeezenet", "--pe", "64x64", "--budget", "100MB",
                       "--json")
    r = json.loads(out)
    assert code == 1 and not r["fits"] and (r["dsp"], r["dsp_available"]) == (4160, 900)
    dsp = next(c for c in r["checks"] if c["name"] == "DSP")
    assert dsp == {"name": "DSP", "used": 4160, "limit": 900, "judged": True, "ok": False}
    assert r["suggestions"]["engine"] == "16x64"   # packed: 16 x 64 / 2 + 16 = 528 of 900
    code, _, _ = cli("check", "-m", "squeezenet", "--pe", "16x32")
    assert code == 0  # 16 x 32 + 16 = 528 of 900


def test_build_refuses_an_engine_over_the_dsps(cli, tmp_path):
    target = tmp_path / "b"
    # 32x64: over the ZC706's 900 DSPs even two MACs per DSP (32 x 32 + 32 = 1,056)
    code, out, _ = cli("build", "-m", "squeezenet", "--input-size", "32", "--pe", "32x64",
                       "-o", str(target))
    assert code == 1 and not target.exists()
    assert "DSP 2,080 > 900" in out and "not built" in out


# --- the engine's shape ----------------------------------------------------------------------


@pytest.mark.parametrize(("pe", "message"), [
    ("3x5", "engine 3x5 is not supported: P_in = 3 and P_out = 5 are not powers of two"),
    ("8x6", "engine 8x6 is not supported: P_out = 6 is not a power of two"),
    ("12x24", "engine 12x24 is not supported: P_in = 12 and P_out = 24 are not powers"),
    ("2048x1", "engine P_in must be 1..1024, got 2048"),
])
@pytest.mark.parametrize("command", ["check", "build"])
def test_bad_engine_shape_stops_before_any_work(cli, tmp_path, pe, message, command):
    target = tmp_path / "b"
    extra = ("-o", str(target), "-q") if command == "build" else ()
    code, out, err = cli(command, "-m", "squeezenet", "--pe", pe, *extra)
    _one_line_error(code, out, err, message)
    assert not target.exists()
