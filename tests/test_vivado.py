"""rtl/vivado.tcl and rtl/fpgagen.xdc, checked for form without Vivado: plain tclsh sources them
with every Vivado command stubbed (tests/tcl_stub.py, tests/vivado_stub.tcl), and the log says
what Vivado would have been asked to do.
"""

from __future__ import annotations

import re
import shutil
from fnmatch import fnmatch
from pathlib import Path

import pytest
from tcl_stub import OPTION, TCL86, VIVADO, Run, find_tclsh, run_tcl

from fpgagen.cli.main import main
from fpgagen.frontend.zoo import load_model
from fpgagen.plan.boards import load_board
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision
from fpgagen.rtl.emit import HW_HEADERS
from fpgagen.rtl.vivado import emit_vivado, vivado_context

BOARD, MODEL = "zynq", "squeezenet"
ORDER = ("read_verilog", "read_xdc", "synth_design", "opt_design", "place_design",
         "phys_opt_design", "route_design")


def _plan(board: str = BOARD):
    return make_plan(load_model(MODEL), load_board(board), parse_precision(None))


@pytest.fixture(scope="module")
def tclsh() -> str:
    return find_tclsh()


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("vivado") / "sq"
    assert main(["build", "--board", BOARD, "--model", MODEL, "-q", "-o", str(out)]) == 0
    return out / "rtl"


def _copy(rtl: Path, dst: Path) -> Path:
    """A private copy of the rtl/ folder (the tcl finds its files beside itself)."""
    shutil.copytree(rtl, dst, ignore=shutil.ignore_patterns("vivado_out"))
    return dst


@pytest.fixture(scope="module")
def flow(build, tclsh, tmp_path_factory) -> Run:
    """The whole flow from an unrelated working folder, every check passing."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    run = run_tcl(tclsh, build / "vivado.tcl", elsewhere, elsewhere / "t")
    assert run.code == 0, run.output
    return run


def _hex_files(rtl: Path) -> set[Path]:
    return {p.resolve() for p in rtl.glob("*.hex")}


@pytest.mark.slow
def test_vivado_files_beside_the_sources(build):
    for name in ("vivado.tcl", "fpgagen.xdc"):
        assert (build / name).is_file()
    text = (build / "vivado.tcl").read_text()
    assert "fpgagen_tb" not in text.split("set fg_sources", 1)[1].split("}", 1)[0]


def test_only_known_vivado_commands_and_options(flow):
    for name, *args in flow.calls:
        assert name in VIVADO, f"{name} {args}: not a Vivado command this test knows"
        bad = [a for a in args if OPTION.match(a) and a not in VIVADO[name]]
        assert not bad, f"{name}: unknown options {bad}"
    names = flow.names()
    assert [n for n in names if n in ORDER] == list(ORDER)


def test_reads_every_source_from_its_own_folder(flow, build):
    files = [Path(f) for f in flow.call("read_verilog")[0].split()]
    assert all(f.is_absolute() and f.is_file() for f in files)
    expected = {p.resolve() for p in build.glob("*.v")} - {(build / "fpgagen_tb.v").resolve()}
    assert {f.resolve() for f in files} == expected
    # the includes (`include "fg_fields.vh" ...) are found in the sources' folder, not read
    assert {p.name for p in build.glob("*.vh")} == set(HW_HEADERS)
    assert [Path(d).resolve() for d in flow.option("synth_design", "-include_dirs")] == [
        build.resolve()]
    args = flow.call("read_xdc")
    assert args[:2] == ["-mode", "out_of_context"]
    assert Path(args[-1]).resolve() == (build / "fpgagen.xdc").resolve()


def test_synth_design_gets_part_and_absolute_memory_paths(flow, build):
    assert flow.option("synth_design", "-part") == [load_board(BOARD).part]
    assert flow.option("synth_design", "-top") == ["fpgagen_top"]
    assert flow.option("synth_design", "-mode") == ["out_of_context"]
    generics = dict(g.split("=", 1) for g in flow.option("synth_design", "-generic"))
    top = (build / "fpgagen_top.v").read_text()
    for name, value in generics.items():
        assert re.search(rf"\bparameter\s+{name}\b", top), f"{name} is not a top parameter"
        assert '"' not in value and Path(value).is_absolute() and Path(value).is_file()
    assert {Path(v).resolve() for v in generics.values()} == _hex_files(build)
    # the Synth 8-4445 critical warning (file not found) is an error, set before synthesis
    assert flow.calls.index(["set_msg_config", "-id", "Synth 8-4445", "-new_severity",
                             "ERROR"]) < flow.names().index("synth_design")


def test_reports_and_summary_in_the_output_folder(flow, build):
    out = (build / "vivado_out").resolve()
    files = [Path(c[c.index("-file") + 1]) for c in flow.calls if "-file" in c]
    files += [Path(c[-1]) for c in flow.calls if c[0] == "write_checkpoint"]
    assert files and all(f.parent == out and f.is_file() for f in files)
    assert {"report_timing_summary", "report_utilization", "report_drc"} <= set(flow.names())
    assert '"timing_met": true' in (out / "summary.json").read_text()
    assert "WNS 0.125 ns" in flow.output


def test_xdc_clock_matches_board(build, tclsh, tmp_path):
    run = run_tcl(tclsh, build / "fpgagen.xdc", tmp_path, tmp_path / "t")
    assert run.code == 0, run.output
    args = run.call("create_clock")
    assert args[args.index("-name") + 1] == "ap_clk"
    period = float(args[args.index("-period") + 1])
    assert period == pytest.approx(1000.0 / load_board(BOARD).clock_mhz, abs=5e-4)
    top = (build / "fpgagen_top.v").read_text()
    ports = set(re.findall(r"\b(?:input|output)\s+wire\s+(?:\[[^\]]*\]\s*)?(\w+)", top))
    named = [a for name, *args in run.calls if name == "get_ports"
             for a in args if not a.startswith("-") and "==" not in a]
    assert named and all(any(fnmatch(p, a) for p in ports) for a in named), named
    for name, *args in run.calls:
        assert name in VIVADO and not [a for a in args if OPTION.match(a)
                                       and a not in VIVADO[name]], (name, args)


@pytest.mark.parametrize("board", ["pynq-z2", "kv260", "vc709"])
def test_emit_vivado_per_board(board, build, tmp_path):
    rtl = _copy(build, tmp_path / "rtl")
    plan = _plan(board)
    emit_vivado(rtl, vivado_context(plan))
    xdc = (rtl / "fpgagen.xdc").read_text()
    assert f"-period {1000.0 / plan.board.clock_mhz:.3f} [get_ports ap_clk]" in xdc
    assert f"set fg_part {plan.board.part}\n" in (rtl / "vivado.tcl").read_text()


def test_sources_are_globbed_not_listed(build, tclsh, tmp_path):
    rtl = _copy(build, tmp_path / "rtl")
    (rtl / "fg_brand_new.v").write_text("module fg_brand_new; endmodule\n")
    emit_vivado(rtl, vivado_context(_plan()))
    run = run_tcl(tclsh, rtl / "vivado.tcl", tmp_path, tmp_path / "t")
    assert run.code == 0, run.output
    assert str((rtl / "fg_brand_new.v").resolve()) in run.call("read_verilog")[0].split()


def test_every_hex_must_be_a_top_parameter(build, tmp_path):
    rtl = _copy(build, tmp_path / "rtl")
    (rtl / "stray.hex").write_text("00\n")
    with pytest.raises(AssertionError, match=r"stray\.hex"):
        emit_vivado(rtl, vivado_context(_plan()))


def test_every_file_parameter_must_name_a_file(build, tmp_path):
    rtl = _copy(build, tmp_path / "rtl")
    top = rtl / "fpgagen_top.v"
    top.write_text(top.read_text().replace('"weights.hex"', '"elsewhere/weights.hex"'))
    with pytest.raises(AssertionError, match=re.escape("WEIGHTS_FILE='elsewhere/weights.hex'")):
        emit_vivado(rtl, vivado_context(_plan()))


@pytest.mark.parametrize("victim", ["weights.hex", "biases.hex", "fg_rom.v", "fg_fields.vh",
                                    "fpgagen.xdc"])
def test_missing_file_fails_before_synthesis(victim, build, tclsh, tmp_path):
    rtl = _copy(build, tmp_path / "rtl")
    (rtl / victim).unlink()
    run = run_tcl(tclsh, rtl / "vivado.tcl", tmp_path, tmp_path / "t")
    assert run.code != 0
    assert f"{rtl.resolve() / victim}" in run.output and "fpgagen: ERROR: missing" in run.output
    assert not {"read_verilog", "synth_design"} & set(run.names())


def test_path_with_a_space_fails_before_synthesis(build, tclsh, tmp_path):
    rtl = _copy(build, tmp_path / "my build" / "rtl")
    run = run_tcl(tclsh, rtl / "vivado.tcl", tmp_path, tmp_path / "t")
    assert run.code != 0 and "synth_design -generic" in run.output
    assert "synth_design" not in run.names()


@pytest.mark.parametrize(("stub", "message"), [
    ({"ramb36": 0, "ramb18": 0}, "far below the Plan"),
    ({"ramb36": 40, "ramb18": 10}, "far below the Plan"),
    ({"init": 0}, "weight/bias ROMs are zero"),
])
def test_missing_block_ram_fails_after_synthesis(stub, message, build, tclsh, tmp_path):
    run = run_tcl(tclsh, build / "vivado.tcl", tmp_path, tmp_path / "t",
                  variables={"fpgagen_out": str(tmp_path / "out")}, **stub)
    assert run.code != 0 and message in run.output, run.output
    assert "synth_design" in run.names() and "opt_design" not in run.names()


@pytest.mark.parametrize(("stub", "message"), [
    ({"wns": -0.412}, "WNS -0.412 ns (setup)"),
    ({"whs": -0.020}, "WHS -0.020 ns (hold)"),
    ({"paths": 0}, "no timed path"),
])
def test_timing_not_met_fails(stub, message, build, tclsh, tmp_path):
    run = run_tcl(tclsh, build / "vivado.tcl", tmp_path, tmp_path / "t",
                  variables={"fpgagen_out": str(tmp_path / "out")}, **stub)
    assert run.code != 0 and message in run.output, run.output
    assert "route_design" in run.names()
    if stub != {"paths": 0}:
        assert "timing NOT met at 200 MHz" in run.output
        assert '"timing_met": false' in (tmp_path / "out" / "summary.json").read_text()


def test_output_folder_and_synth_only_from_tclargs(build, tclsh, tmp_path):
    run = run_tcl(tclsh, build / "vivado.tcl", tmp_path, tmp_path / "t",
                  argv=("-out", "impl", "-synth_only"))
    assert run.code == 0, run.output
    out = (tmp_path / "impl").resolve()  # relative to the working folder
    assert Path(run.call("write_checkpoint")[-1]) == out / "post_synth.dcp"
    assert "opt_design" not in run.names() and '"stage": "synth"' in (
        out / "summary.json").read_text()


def test_output_folder_from_a_variable(build, tclsh, tmp_path):
    run = run_tcl(tclsh, build / "vivado.tcl", tmp_path, tmp_path / "t",
                  variables={"fpgagen_out": str(tmp_path / "v"), "fpgagen_synth_only": "1"})
    assert run.code == 0, run.output
    assert Path(run.call("write_checkpoint")[-1]) == (tmp_path / "v").resolve() / "post_synth.dcp"


def test_unknown_argument_is_an_error(build, tclsh, tmp_path):
    run = run_tcl(tclsh, build / "vivado.tcl", tmp_path, tmp_path / "t", argv=("-bitstream",))
    assert run.code != 0 and "unknown argument '-bitstream'" in run.output
    assert not run.calls


def test_script_is_tcl_8_5(build):
    for path in (build / "vivado.tcl", build / "fpgagen.xdc"):
        code = [line for line in path.read_text().splitlines()
                if not line.lstrip().startswith("#")]
        bad = [line for line in code if TCL86.search(line)]
        assert not bad, f"{path.name}: Tcl 8.6 only: {bad}"
