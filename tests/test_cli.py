"""The CLI: tables for people, JSON for machines, one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def test_info_json_figures(cli):
    code, out, _ = cli("info", "--model", "squeezenet", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["model"] == "squeezenet1_1"
    assert info["input_shape"] == [224, 224, 3]
    assert (info["params"], info["macs"]) == (1_235_496, 349_151_936)
    assert sum(lay["macs"] for lay in info["layers"]) == info["macs"]
    first = info["layers"][0]
    assert {"name", "op", "output_shape", "params", "macs"} <= set(first)
    assert first["output_shape"] == [111, 111, 64]


@pytest.mark.parametrize(("model", "size", "params", "macs"), [
    ("squeezenet1_0", "227", 1_248_424, 832_667_936),
    ("squeezenet1_0", "224", 1_248_424, 818_924_576),
    ("zynqnet", "256", 2_528_800, 529_301_504),
])
def test_info_json_other_models(cli, model, size, params, macs):
    code, out, _ = cli("info", "--model", model, "--input-size", size, "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["params"], info["macs"]) == (params, macs)


def test_info_table(cli):
    code, out, _ = cli("info", "--model", "squeezenet1_0")
    assert code == 0
    assert "fire9_expand3x3" in out and "832,667,936" in out and "13x13x512" in out


def test_models_and_boards(cli):
    code, out, _ = cli("models", "--json")
    assert code == 0
    assert {m["name"] for m in json.loads(out)} == {
        "squeezenet1_0", "squeezenet1_1", "squeezenet1_0_bypass", "zynqnet", "digits"}
    assert {m["name"]: m["weights"] for m in json.loads(out)}["digits"] == "trained"
    code, out, _ = cli("boards", "--json")
    boards = {b["name"]: b for b in json.loads(out)}
    assert code == 0 and boards["zc706"]["onchip_kib"] == 2452.5
    code, out, _ = cli("boards")
    assert code == 0 and "xc7z045" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["info", "--model", "alexnet"], "unknown model 'alexnet' (choose from: squeezenet1_0"),
    (["info", "--model", "squeezenet", "--input-size", "0"], "positive integer"),
    (["info", "--model", "squeezenet", "--input-size", "abc"], "positive integer"),
    (["info", "--model", "squeezenet", "--input-size", "20"], "too small"),
    (["info"], "required"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_one_line_exit_2(cli, argv, message):
    code, out, err = cli(*argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("fpgagen: error: ")
    assert message in err


def test_console_script_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "fpgagen", "info", "--model", "nope"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("fpgagen: error: unknown model")


def test_every_command_takes_q():
    """Scripts pass -q to every command; none refuses it (check -q once did)."""
    from fpgagen.cli.main import COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert len(sub.choices) == len(COMMANDS)  # every command module registered one command
    for name, command in sub.choices.items():
        options = {o for a in command._actions for o in a.option_strings}
        assert {"-q", "--quiet"} <= options, name


@pytest.mark.parametrize("argv", [("models",), ("boards",), ("info", "-m", "digits"),
                                  ("check", "-m", "digits")])
def test_q_on_commands_without_progress_changes_nothing(cli, argv):
    plain = cli(*argv)
    assert cli(*argv, "-q") == plain and plain[0] == 0


def test_check_names_the_precision_by_its_widths(cli):
    code, out, _ = cli("check", "-m", "digits", "-p", "8")
    assert code == 0 and "precision w8a8 (bias 16 b)" in out
    code, out, _ = cli("check", "-m", "digits", "-p", "ap_fixed<16,6>")
    assert "precision w16a16 (ap_fixed<16,6>)" in out


def test_boards_table_has_thousands_separators_in_every_column(cli):
    code, out, _ = cli("boards")
    assert code == 0
    vc709 = next(ln for ln in out.splitlines() if "vc709" in ln)
    assert "1,470" in vc709 and "3,600" in vc709 and "1470" not in vc709
