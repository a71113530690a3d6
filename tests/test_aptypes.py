"""The ap_types headers are found inside the installed hls4ml package."""

from __future__ import annotations

from fpgagen.hls.toolchain import ap_types_dir, include_flags


def test_headers_found():
    d = ap_types_dir()
    assert (d / "ap_fixed.h").is_file() and (d / "ap_int.h").is_file()
    assert d.parts[-3:] == ("templates", "vivado", "ap_types")
    assert include_flags() == [f"-I{d}"]
