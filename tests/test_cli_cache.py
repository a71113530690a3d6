"""``fpgagen cache``: location, entry count and size, ``--clean``, ``--json``, and one-line
errors for bad settings. Entries here are plain folders; sim/test_rtlsim.py has the command
after a real Verilator build."""

from __future__ import annotations

import json
import os
import time

import pytest

from fpgagen.verify.simcache import sim_cache


@pytest.fixture
def cache_env(tmp_path, monkeypatch):
    monkeypatch.setenv("FPGAGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FPGAGEN_CACHE_MAX", "1MB")
    return tmp_path / "cache"


def _entry(name: str, size: int, age: float = 0.0) -> None:
    cache = sim_cache()
    with cache.use(name) as path:
        (path / "data").write_bytes(b"x" * size)
    os.utime(cache.root / f"{name}.use", (time.time() - age,) * 2)


def test_an_empty_cache(cli, cache_env):
    code, out, err = cli("cache")
    assert code == 0 and err == ""
    assert out.splitlines() == [f"location  {cache_env}  ($FPGAGEN_CACHE)", "entries   0",
                                "size      0 B of 1.0 MB ($FPGAGEN_CACHE_MAX)"]
    assert not cache_env.exists(), "looking at the cache made it"
    code, out, _ = cli("cache", "--json")
    assert code == 0 and json.loads(out) == {"location": str(cache_env), "entries": 0,
                                             "in_use": 0, "bytes": 0, "max_bytes": 1_000_000}


def test_entries_and_size(cli, cache_env):
    _entry("a", 1234)
    _entry("b", 66)
    code, out, _ = cli("cache")
    assert code == 0
    assert "entries   2\n" in out and "size      1.3 kB of 1.0 MB" in out
    code, out, _ = cli("cache", "--json")
    assert json.loads(out) == {"location": str(cache_env), "entries": 2, "in_use": 0,
                               "bytes": 1300, "max_bytes": 1_000_000}


def test_clean_frees_all_but_entries_in_use(cli, cache_env):
    _entry("a", 1000)
    _entry("b", 2000)
    _entry("c", 500)
    with sim_cache().use("c"):
        code, out, _ = cli("cache", "--clean")
        assert code == 0
        assert "freed     2 entries, 3.0 kB; kept 1 in use" in out
        assert "entries   1 (1 in use)" in out
        code, out, _ = cli("cache", "--clean", "--json")
        assert json.loads(out) == {"location": str(cache_env), "entries": 1, "in_use": 1,
                                   "bytes": 500, "max_bytes": 1_000_000, "freed_entries": 0,
                                   "freed_bytes": 0, "kept_in_use": 1}
    code, out, _ = cli("cache", "--clean", "--json")
    res = json.loads(out)
    assert (res["freed_entries"], res["freed_bytes"], res["entries"]) == (1, 500, 0)
    assert sorted(p.name for p in (cache_env / "rtlsim").iterdir()) == []


@pytest.mark.parametrize("value", ["2XB", "lots", "-5MB"])
def test_a_bad_cap_is_one_line_and_exit_2(cli, cache_env, monkeypatch, value):
    monkeypatch.setenv("FPGAGEN_CACHE_MAX", value)
    for argv in (["cache"], ["cache", "--json"], ["cache", "--clean"]):
        code, out, err = cli(*argv)
        assert code == 2 and out == ""
        assert err == (f"fpgagen: error: FPGAGEN_CACHE_MAX={value!r} is not a size (bytes, or "
                       "a number with B, KB, MB, GB, TB, KiB, MiB, GiB or TiB: 500MB, 2GB)\n")


def test_a_cache_that_is_a_file_is_one_line_and_exit_2(cli, tmp_path, monkeypatch):
    (tmp_path / "f").write_text("")
    monkeypatch.setenv("FPGAGEN_CACHE", str(tmp_path / "f"))
    code, out, err = cli("cache")
    assert code == 2 and out == ""
    assert err == f"fpgagen: error: FPGAGEN_CACHE={tmp_path / 'f'} is not a folder\n"


def test_a_bad_cap_stops_an_rtl_run_before_any_work(cli, cache_env, monkeypatch, tmp_path):
    """`fpgagen eval --rtl` reads the cap before building anything."""
    monkeypatch.setenv("FPGAGEN_CACHE_MAX", "huge")
    code, out, err = cli("eval", "-m", "digits", "--data", "digits", "--limit", "2", "--rtl",
                         "1", "-q")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "FPGAGEN_CACHE_MAX='huge' is not a size" in err
    assert not cache_env.exists()
