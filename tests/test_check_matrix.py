"""``check`` over a model x board matrix in one table, "did you mean" for mistyped names, and the
default engine of every board in ``fpgagen boards``."""

from __future__ import annotations

import json

import pytest

# docs/boards.md, Boards: the DSP-sized engine of every board
README_ENGINES = {"kv260": "16x64", "pynq-z2": "16x8", "ultra96v2": "16x16", "vc709": "16x128",
                  "zc706": "16x32", "zcu102": "16x128", "zcu104": "16x64"}


@pytest.mark.slow
def test_matrix_is_one_summary_table(cli):
    code, out, err = cli("check", "-m", "squeezenet,squeezenet1_0", "-b", "all")
    assert code == 1, err  # some boards are too small
    lines = out.splitlines()
    assert len(lines) < 80, len(lines)  # was ~415: every design's full report
    assert "10 largest consumers" not in out and "On-chip memories" not in out
    assert "Summary: 14 designs, 9 fit" in out
    header = next(ln for ln in lines if "verdict" in ln)
    for col in ("model", "board", "verdict", "memory B", "BRAM36", "URAM", "DSP", "engine"):
        assert col in header
    rows = [ln for ln in lines if ln.startswith("│ squeezenet")]
    assert len(rows) == 14
    zc706 = next(ln for ln in rows if "squeezenet1_1" in ln and "zc706" in ln)
    assert "fits" in zc706 and "528/900" in zc706 and "537/545" in zc706
    # SqueezeNet 1.1 fits the KV260 with its weights loaded at run time into URAM; 1.0 does not
    kv260 = next(ln for ln in rows if "squeezenet1_1" in ln and "kv260" in ln)
    assert "fits" in kv260 and "144/144" in kv260 and "62/64" in kv260
    kv260 = next(ln for ln in rows if "squeezenet1_0" in ln and "kv260" in ln)
    assert "NO: BRAM36" in kv260
    assert "squeezenet1_0 on kv260: NO: BRAM36" in out  # then what would make it fit
    assert "--details" in out


def test_matrix_details_prints_every_report(cli):
    code, out, _ = cli("check", "-m", "squeezenet", "-b", "zc706,vc709", "--details")
    assert code == 0
    assert out.count("10 largest consumers") == 2 and "Summary: 2 designs, 2 fit" in out


@pytest.mark.parametrize(("argv", "hint"), [
    (("check", "-m", "squeezenet1_2"), "did you mean 'squeezenet1_1'?"),
    (("check", "-m", "squeezenet", "-b", "zc7060"), "did you mean 'zc706'?"),
    (("check", "-m", "squeezenet", "-b", "ZCU106"), "did you mean 'zcu104'?"),
    (("info", "-m", "zynqnet2"), "did you mean 'zynqnet'?"),
    (("build", "-m", "squeezenet", "-b", "pynqz1", "-q"), "did you mean 'pynqz2'?"),
])
def test_unknown_names_get_did_you_mean(cli, argv, hint):
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert err.startswith("fpgagen: error: unknown ") and err.count("\n") == 1
    assert hint in err and "choose from: " in err


def test_no_guess_for_a_name_like_nothing(cli):
    code, _, err = cli("info", "-m", "alexnet")
    assert code == 2 and "did you mean" not in err and "choose from: squeezenet1_0" in err


def test_boards_show_the_default_engine(cli):
    code, out, _ = cli("boards", "--json")
    assert code == 0
    engines = {b["name"]: f"{b['default_engine']['p_in']}x{b['default_engine']['p_out']}"
               for b in json.loads(out)}
    assert engines == README_ENGINES
    for b in json.loads(out):
        assert b["default_engine"]["dsp"] <= b["dsp"]
    code, out, _ = cli("boards")
    assert code == 0 and "DSP-sized engine" in out
    row = next(ln for ln in out.splitlines() if "zcu102" in ln)
    assert "16x128" in row
