"""The --precision spec and FixedType parsing."""

from __future__ import annotations

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.quant.fixed import FixedType
from fpgagen.quant.precision import parse_precision


def test_fixed_type_parse_and_print():
    t = FixedType.parse("ap_fixed<16,6>")
    assert (t.width, t.frac, t.signed) == (16, 10, True)
    assert t.cpp == "ap_fixed<16,6>" and (t.qmin, t.qmax) == (-32768, 32767)
    u = FixedType.parse("ap_ufixed<8, 0, AP_RND, AP_SAT>")
    assert (u.width, u.frac, u.signed, u.qmax) == (8, 8, False, 255)
    assert FixedType.parse("ap_fixed<8,-2>").frac == 10
    assert FixedType.parse("ap_uint<12>") == FixedType(12, 0, False)
    assert FixedType.parse("ap_fixed<64,1>").qmin == -(2**63)
    for bad in ("ap_fixed<4,9>", "ap_fixed<0,0>", "float", "ap_fixed<65,1>", "ap_ufixed<64,1>"):
        with pytest.raises(FpgagenError):
            FixedType.parse(bad)


@pytest.mark.parametrize(("text", "w", "a", "b"), [
    ("8", 8, 8, 16), ("16", 16, 16, 32), ("w8a16", 8, 16, 24), ("W4A8", 4, 8, 12),
])
def test_inline_widths(text, w, a, b):
    p = parse_precision(text).default
    assert (p.weight.width, p.result.width, p.bias.width) == (w, a, b)
    assert p.weight.fixed is None


def test_ap_fixed_pins_every_tensor():
    p = parse_precision("ap_fixed<16,6>").default
    assert p.weight.fixed == p.result.fixed == p.bias.fixed == FixedType(16, 10)


def test_default_is_w8a8():
    assert parse_precision(None).default == parse_precision("8").default


def test_toml_overrides(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('[model]\nprecision = "w8a16"\n[layers.conv1]\nweight = "ap_fixed<8,1>"\n'
                 '[layers.conv10]\nprecision = "16"\nresult = "ap_fixed<16,8>"\n')
    p = parse_precision(str(f))
    assert p.layer("fire2_squeeze1x1").weight.width == 8
    assert p.layer("conv1").weight.fixed == FixedType(8, 7)
    assert p.layer("conv1").bias.width == 24
    assert p.layer("conv10").result.fixed == FixedType(16, 8)
    p.check_layers(["conv1", "conv10", "pool10"])
    with pytest.raises(FpgagenError, match="unknown layer"):
        p.check_layers(["conv1"])


@pytest.mark.parametrize(("content", "message"), [
    ("[model\n", "not valid TOML"),
    ("[modle]\n", "unknown section"),
    ('[layers.conv1]\nwieght = "8"\n', "unknown key"),
    ('[model]\nprecision = "w99a8"\n', "2..64"),
])
def test_toml_errors(tmp_path, content, message):
    f = tmp_path / "p.toml"
    f.write_text(content)
    with pytest.raises(FpgagenError, match=message):
        parse_precision(str(f))


def test_missing_file_and_bad_text():
    with pytest.raises(FpgagenError, match="cannot read"):
        parse_precision("/nonexistent/p.toml")
    with pytest.raises(FpgagenError, match="bad precision"):
        parse_precision("int8")
