"""What report.md and report.json say first (fpgagen/report/report.py, provenance.py): the
verdict block (fits, C-sim, RTL, Fmax with its source, speed), which follows every section
``verify`` and ``synth`` add later; a warning for seeded random weights; the logits SQNR; and a
reproduce block from which the build can be made again."""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
from pathlib import Path

import pytest
from small_onnx import write_small_onnx

from fpgagen.cli.main import main
from fpgagen.report.report import update_report

ZOO = ("--model", "squeezenet", "--input-size", "32", "--pe", "8x8")


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """A zoo build (seeded random weights) and an ONNX one (its own weights), both small."""
    tmp = tmp_path_factory.mktemp("report")
    onnx = write_small_onnx(tmp / "small.onnx")
    out = {"zoo": tmp / "zoo", "onnx": tmp / "onnx"}
    assert main(["build", *ZOO, "--seed", "3", "-q", "-o", str(out["zoo"])]) == 0
    assert main(["build", "--model", str(onnx), "--pe", "8x8", "-p", "w8a8", "-q",
                 "-o", str(out["onnx"])]) == 0
    return out


def _report(d: Path) -> dict:
    return json.loads((d / "report.json").read_text())


def _verdict_rows(md: str) -> dict[str, list[str]]:
    """The verdict table, which must come first after the title."""
    lines = md.splitlines()
    assert lines[0].startswith("# fpgagen build: ") and lines[1] == ""
    assert lines[2] == "| verdict | | |" and lines[3] == "|---|---|---|"
    rows = {}
    for line in lines[4:]:
        if not line.startswith("| "):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[cells[0]] = cells[1:]
    return rows


def test_report_md_opens_with_the_verdict_block(builds):
    md = (builds["zoo"] / "report.md").read_text()
    rows = _verdict_rows(md)
    assert list(rows) == ["fits", "C-sim", "RTL", "Fmax", "speed"]
    r = _report(builds["zoo"])
    assert rows["fits"][0] == "**fits**"
    assert f"{r['memory']['total_bytes']:,} of {r['memory']['budget_bytes']:,} bytes" \
        in rows["fits"][1]
    assert rows["C-sim"][0] == "not run" and "verify <this folder> --csim" in rows["C-sim"][1]
    assert rows["RTL"][0] == "not run" and "--rtl" in rows["RTL"][1]
    assert rows["Fmax"][0] == "200.0 MHz, not measured"
    assert "nominal clock, assumed" in rows["Fmax"][1]
    assert rows["speed"][0] == f"{r['estimate']['fps']:,.1f} fps, estimated"
    v = r["verdict"]
    assert v["fits"]["ok"] is True and v["csim"]["ok"] is None and v["rtl"]["ok"] is None
    assert v["csim"]["status"] == v["rtl"]["status"] == "not run"
    assert v["fmax"] == {**v["fmax"], "status": "not measured", "ok": None, "mhz": 200}


def test_the_verdict_follows_the_sections_added_later(builds, tmp_path):
    d = Path(shutil.copytree(builds["onnx"], tmp_path / "b"))
    update_report(d, "csim", {"bit_exact": True, "tensors_compared": 9, "tensors_expected": 9,
                              "compile_seconds": 1.0, "run_seconds": 1.0})
    update_report(d, "hls_gates", {
        "ok": False, "synthesis_compile": {"clean": True, "initializers_elided": []},
        "memories": {"bram36": 3, "uram": 0, "plan_bram36": 3, "plan_uram": 0,
                     "matches_plan": True, "mismatches": []},
        "instances": {"ok": False, "problems": ["conv_engine x2"], "inline_off": []}})
    update_report(d, "rtl", {"bit_exact": False, "tensors_compared": 8, "tensors_expected": 10,
                             "cycles": 12345, "cycles_per_layer": {}, "mac_utilization": 0.5,
                             "build_seconds": 1.0, "run_seconds": 1.0,
                             "first_mismatch": {"layer": "conv1", "index_hwc": [0, 0, 1],
                                                "expected": 1, "got": 2, "mismatches": 3}})
    update_report(d, "ecp5", {"fmax_mhz": 131.25, "target_mhz": 125.0, "passed": True,
                              "device": "LFE5U-85F", "seed": 1, "utilization": {},
                              "critical_path": [], "notes": []})
    v = _report(d)["verdict"]
    assert v["csim"] == {"status": "bit-exact, HLS gates FAIL", "ok": False,
                         "detail": "9 tensors compared; HLS synthesis-branch gates FAIL"}
    assert v["rtl"]["status"] == "NOT bit-exact" and v["rtl"]["ok"] is False
    assert v["rtl"]["detail"] == ("8 tensors compared, 2 of the 10 the build stores not; "
                                  "latency 12,345 cycles; first mismatch in conv1")
    assert v["fmax"]["status"] == "measured" and v["fmax"]["mhz"] == 131.25
    assert v["speed"]["status"] == "measured" and v["speed"]["cycles"] == 12345
    rows = _verdict_rows((d / "report.md").read_text())
    assert rows["C-sim"][0] == "**bit-exact, HLS gates FAIL**"
    assert rows["RTL"][0] == "**NOT bit-exact**"
    assert rows["Fmax"][0] == "131.2 MHz, **measured**" and "LFE5U-85F" in rows["Fmax"][1]
    assert rows["speed"][0] == f"{200e6 / 12345:,.1f} fps, measured"


def test_random_weights_are_a_warning_first(builds):
    md = (builds["zoo"] / "report.md").read_text()
    r = _report(builds["zoo"])
    assert r["random_weights"] is True
    head = md.split("\n## ")[0]
    assert "> **Warning: the weights are seeded random** (He-normal, seed 3)" in head
    assert head.index("| verdict |") < head.index("Warning")
    onnx = _report(builds["onnx"])
    assert onnx["random_weights"] is False
    assert "seeded random" not in (builds["onnx"] / "report.md").read_text()


def test_the_logits_sqnr_is_in_report_md(builds):
    for d in builds.values():
        q = _report(d)["quality"]
        md = (d / "report.md").read_text()
        assert f"| logits SQNR | {q['logits_sqnr_db']:.1f} dB on the build's image" in md
        assert f"(input quantized: {q['input_sqnr_db']:.1f} dB)" in md


def test_precision_is_named_as_w8a8(builds):
    for d, given in ((builds["zoo"], "8"), (builds["onnx"], "w8a8")):
        r = _report(d)
        assert r["precision"] == given and r["precision_label"] == "w8a8"
        assert "| precision | w8a8 (input" in (d / "report.md").read_text()


def test_the_reproduce_block_names_everything_the_build_read(builds):
    r = _report(builds["onnx"])
    p = r["reproduce"]
    onnx = Path(p["model_file"]["path"])
    assert p["model_file"]["sha256"] == hashlib.sha256(onnx.read_bytes()).hexdigest()
    assert p["weights"]["source"] == "onnx" and p["weights"]["random"] is False
    assert p["command"] == shlex.join(["fpgagen", "build", "--model", str(onnx), "--pe", "8x8",
                                       "-p", "w8a8", "-q", "-o", str(builds["onnx"])])
    z = _report(builds["zoo"])["reproduce"]
    assert z["seed"] == 3 and z["model_file"] is None
    assert z["weights"] == {"source": "random", "random": True, "seed": 3,
                            "description": "seeded random He-normal weights (seed 3), "
                                           "not trained"}
    assert z["calibration"]["source"] == "synthetic" and z["calibration"]["images"] == 4
    assert z["calibration"]["seed"] == 3
    assert z["input"]["source"] == "synthetic"
    assert set(z["tools"]) == {"python", "numpy", "jinja2"}
    md = (builds["zoo"] / "report.md").read_text()
    block = md.split("## Reproduce\n")[1].split("\n## ")[0]
    assert f"    cd {z['cwd']} && {z['command']}\n" in block
    assert "| seed | 3 |" in block and f"numpy {z['tools']['numpy']}" in block


def test_the_recorded_command_builds_the_same_design(builds, tmp_path, monkeypatch):
    """The reproduce block is enough: its command, run again in its folder, makes the same
    vectors and the same report (but for where it was written)."""
    r = _report(builds["zoo"])
    argv = shlex.split(r["reproduce"]["command"])[1:]
    argv[argv.index("-o") + 1] = str(tmp_path / "again")
    monkeypatch.chdir(r["reproduce"]["cwd"])
    assert main(argv) == 0
    for name in ("vectors/output.hex", "vectors/input.hex", "rtl/weights.hex"):
        assert (tmp_path / "again" / name).read_bytes() == \
            (builds["zoo"] / name).read_bytes(), name
    again = _report(tmp_path / "again")
    assert again["quality"] == r["quality"] and again["verdict"] == r["verdict"]


def test_a_build_made_from_python_records_its_call(builds, tmp_path, monkeypatch):
    """Design.build has no command line: its reproduce block records the call instead, which,
    run again, makes the same build as the command line with the same options; an array
    given as the image is named by its SHA-256."""
    import numpy as np

    import fpgagen
    from fpgagen.report.provenance import array_sha256

    monkeypatch.chdir(tmp_path)
    design = fpgagen.Design("squeezenet", input_size=32, pe="8x8", seed=3)
    built = design.build("py")
    p = built.report["reproduce"]
    assert p["command"] is None and p["cwd"] == str(tmp_path)
    assert p["api"] == ("fpgagen.Design('squeezenet', board='zc706', precision='8', pe='8x8', "
                        "input_size=32, seed=3).build('py')")
    assert built.report["random_weights"] is True and p["weights"]["seed"] == 3
    assert p["calibration"] == _report(builds["zoo"])["reproduce"]["calibration"]
    block = (tmp_path / "py" / "report.md").read_text().split("## Reproduce\n")[1]
    assert f"    {p['api']}\n" in block.split("\n## ")[0]
    again = eval(p["api"].replace("'py'", "'again'"), {"fpgagen": fpgagen})
    for name in ("vectors/output.hex", "vectors/input.hex", "rtl/weights.hex"):
        assert (tmp_path / "again" / name).read_bytes() == \
            (builds["zoo"] / name).read_bytes() == (tmp_path / "py" / name).read_bytes(), name
    assert again.report["quality"] == _report(builds["zoo"])["quality"]
    x = np.zeros((32, 32, 3), dtype=np.float32)
    p = design.build("x", x=x).report["reproduce"]
    assert p["api"].endswith(".build('x', x=<array 32x32x3 float32>)")
    assert p["input"] == {"source": "array", "description": "an array given from Python",
                          "sha256": array_sha256(x)}
