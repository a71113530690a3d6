"""The model zoo against the published figures, layer by layer."""

from __future__ import annotations

import pytest

from fpgagen.errors import FpgagenError
from fpgagen.frontend import zoo


@pytest.mark.parametrize(("name", "size", "params", "macs"), [
    ("squeezenet1_0", 227, 1_248_424, 832_667_936),
    ("squeezenet1_0", 224, 1_248_424, 818_924_576),
    ("squeezenet1_1", 224, 1_235_496, 349_151_936),
    ("squeezenet1_0_bypass", 227, 1_248_424, 832_667_936),
    ("zynqnet", 256, 2_528_800, 529_301_504),
])
def test_reference_figures(name, size, params, macs):
    gr = zoo.load_model(name, size)
    assert gr.total_params == params
    assert gr.total_macs == macs


def _fire_shapes(gr, fire):
    return [gr.shape(f"{fire}_{part}")
            for part in ("squeeze1x1", "expand1x1", "expand3x3", "concat")]


def test_squeezenet1_0_shapes():
    gr = zoo.squeezenet1_0()
    assert gr.input_shape == (227, 227, 3)
    assert gr.shape("conv1") == (111, 111, 96)
    assert gr.shape("pool1") == (55, 55, 96)
    assert _fire_shapes(gr, "fire2") == [(55, 55, 16), (55, 55, 64), (55, 55, 64), (55, 55, 128)]
    assert gr.shape("fire3_concat") == (55, 55, 128)
    assert gr.shape("fire4_concat") == (55, 55, 256)
    assert gr.shape("pool4") == (27, 27, 256)
    assert gr.shape("fire5_concat") == (27, 27, 256)
    assert gr.shape("fire6_concat") == (27, 27, 384)
    assert gr.shape("fire7_concat") == (27, 27, 384)
    assert gr.shape("fire8_concat") == (27, 27, 512)
    assert gr.shape("pool8") == (13, 13, 512)
    assert _fire_shapes(gr, "fire9") == [(13, 13, 64), (13, 13, 256), (13, 13, 256),
                                        (13, 13, 512)]
    assert gr.shape("conv10") == (13, 13, 1000)
    assert gr.shape("pool10") == (1, 1, 1000)
    assert gr.output == "pool10"
    assert [lay.name for lay in gr.layers if lay.op == "maxpool"] == ["pool1", "pool4", "pool8"]
    assert all(lay.relu for lay in gr.layers if lay.op == "conv")


def test_squeezenet1_1_shapes():
    gr = zoo.load_model("squeezenet")
    assert gr.name == "squeezenet1_1"
    assert gr.input_shape == (224, 224, 3)
    conv1 = gr.layer("conv1")
    assert (conv1.kernel, conv1.stride, conv1.out_channels) == (3, 2, 64)
    expected = {"conv1": (111, 111, 64), "pool1": (55, 55, 64), "fire2_concat": (55, 55, 128),
                "fire3_concat": (55, 55, 128), "pool3": (27, 27, 128),
                "fire4_concat": (27, 27, 256), "fire5_concat": (27, 27, 256),
                "pool5": (13, 13, 256), "fire6_concat": (13, 13, 384),
                "fire7_concat": (13, 13, 384), "fire8_concat": (13, 13, 512),
                "fire9_concat": (13, 13, 512), "conv10": (13, 13, 1000), "pool10": (1, 1, 1000)}
    assert {name: gr.shape(name) for name in expected} == expected
    assert [lay.name for lay in gr.layers if lay.op == "maxpool"] == ["pool1", "pool3", "pool5"]


def test_bypass_adds():
    gr = zoo.squeezenet1_0_bypass()
    adds = [lay for lay in gr.layers if lay.op == "add"]
    assert [(a.name, a.inputs) for a in adds] == [
        ("fire3_bypass", ("fire2_concat", "fire3_concat")),
        ("fire5_bypass", ("pool4", "fire5_concat")),
        ("fire7_bypass", ("fire6_concat", "fire7_concat")),
        ("fire9_bypass", ("pool8", "fire9_concat")),
    ]
    assert all(gr.params(a) == 0 and gr.macs(a) == 0 for a in adds)
    # the fire after each bypass reads the sum, not the bare concat
    assert gr.layer("fire4_squeeze1x1").inputs == ("fire3_bypass",)
    assert gr.layer("pool8").inputs == ("fire8_concat",)
    assert gr.layer("conv10").inputs == ("fire9_bypass",)
    plain = zoo.squeezenet1_0()
    assert {n: gr.shape(n) for n in plain.shapes} == dict(plain.shapes)


def test_zynqnet_shapes():
    gr = zoo.zynqnet()
    assert gr.input_shape == (256, 256, 3)
    assert not any(lay.op == "maxpool" for lay in gr.layers)
    expected = {"c1": (128, 128, 64), "fire2_squeeze3x3": (64, 64, 16),
                "fire2_concat": (64, 64, 128), "fire3_concat": (64, 64, 128),
                "fire4_squeeze3x3": (32, 32, 32), "fire5_concat": (32, 32, 256),
                "fire6_squeeze3x3": (16, 16, 64), "fire6_concat": (16, 16, 512),
                "fire7_concat": (16, 16, 384), "fire8_squeeze3x3": (8, 8, 112),
                "fire8_concat": (8, 8, 512), "fire9_concat": (8, 8, 736),
                "conv10": (8, 8, 1024), "pool10": (1, 1, 1024)}
    assert {name: gr.shape(name) for name in expected} == expected
    convs = [lay for lay in gr.layers if lay.op == "conv"]
    assert all(lay.pad == 1 for lay in convs if lay.kernel == 3)
    assert not gr.layer("conv10").relu
    assert all(lay.relu for lay in convs if lay.name != "conv10")


def test_other_input_sizes_and_errors():
    assert zoo.load_model("squeezenet1_1", 128).shape("pool10") == (1, 1, 1000)
    with pytest.raises(FpgagenError, match="too small for squeezenet1_1"):
        zoo.load_model("squeezenet1_1", 16)
    with pytest.raises(FpgagenError, match="choose from: squeezenet1_0"):
        zoo.load_model("resnet50")
    with pytest.raises(FpgagenError, match="positive"):
        zoo.load_model("squeezenet", 0)
