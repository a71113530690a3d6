"""system/build.tcl and system/README.txt, checked for form without Vivado.

Plain tclsh sources the script with every Vivado command stubbed (tests/tcl_stub.py,
tests/vivado_stub.tcl; an unknown command or option fails), and the log of calls says what
Vivado would have been asked to build: which PS, which cells with which names and settings,
which connections, which files. One small build per board kind (a Zynq-7000, a Zynq
UltraScale+ and the Virtex-7 without a PS), shared by the tests of a module.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from small_onnx import write_small_onnx
from tcl_stub import SYSTEM, TCL86, Run, find_tclsh, run_tcl

from fpgagen.cli.main import main
from fpgagen.plan.boards import all_boards, load_board
from fpgagen.plan.streams import dma_length_bits, stream_format
from fpgagen.rtl.vivado import rtl_sources
from fpgagen.system.blockdesign import (
    BITSTREAM,
    CORE_CELL,
    CORE_INTERFACES,
    CORE_PORTS,
    DMA_CELL,
    HWH,
    IRQ_CELL,
    IRQ_SOURCES,
    PROCESSING_SYSTEMS,
    XSA,
    core_port_problems,
    hls_export,
    system_context,
)

PS_BOARDS = {"pynq-z2": "zynq7000", "kv260": "zynquplus"}
NO_PS = "vc709"
# the PS IP's PL clock request, per family
CLOCK_CONFIG = {"zynq7000": "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ",
                "zynquplus": "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"}
# the PS ports the block design uses, per family: register master, DDR slave, IRQ input
PS_PORTS = {"zynq7000": ("M_AXI_GP0", "S_AXI_HP0", "IRQ_F2P"),
            "zynquplus": ("M_AXI_HPM0_FPD", "S_AXI_HP0_FPD", "pl_ps_irq0")}
_TYPE = re.compile(r"^ap_(u?)fixed<(\d+),-?\d+>$")
_TCL_WORD = re.compile(r"\{[^{}]*\}|\S+")


@pytest.fixture(scope="module")
def tclsh() -> str:
    return find_tclsh()


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return write_small_onnx(tmp_path_factory.mktemp("model") / "small.onnx")


@pytest.fixture(scope="module")
def builds(model, tmp_path_factory) -> Callable[[str], Path]:
    """The build folder of the small ONNX model for a board (built once per module)."""
    root = tmp_path_factory.mktemp("system")
    cache: dict[str, Path] = {}

    def build(board: str) -> Path:
        if board not in cache:
            out = root / board
            assert main(["build", "--model", str(model), "--board", board, "--pe", "8x8",
                         "-q", "-o", str(out)]) == 0
            cache[board] = out
        return cache[board]

    return build


@pytest.fixture(scope="module")
def flows(builds, tclsh, tmp_path_factory) -> Callable[[str], Run]:
    """The whole flow of a board's build.tcl from an unrelated working folder, every check
    passing, output in the default folder (system/vivado_out/)."""
    cache: dict[str, Run] = {}

    def flow(board: str) -> Run:
        if board not in cache:
            elsewhere = tmp_path_factory.mktemp("elsewhere")
            run = run_tcl(tclsh, builds(board) / "system" / "build.tcl", elsewhere,
                          elsewhere / "t", commands=SYSTEM)
            assert run.code == 0, run.output
            cache[board] = run
        return cache[board]

    return flow


def _copy(build: Path, dst: Path) -> Path:
    """A private copy of a build folder, without the default output of earlier runs."""
    shutil.copytree(build, dst, ignore=shutil.ignore_patterns("vivado_out"))
    return dst


def _configs(run: Run) -> dict[str, dict[str, str]]:
    """CONFIG.* values set by ``set_property -dict`` per object (later settings win)."""
    found: dict[str, dict[str, str]] = {}
    for name, *args in run.calls:
        if name == "set_property" and args[0] == "-dict":
            words = [w.strip("{}") for w in _TCL_WORD.findall(args[1])]
            found.setdefault(args[2], {}).update(zip(words[::2], words[1::2], strict=True))
    return found


def _cells(run: Run) -> dict[str, str]:
    """Block-design cell name -> the IP (VLNV) it instantiates."""
    return {c[-1]: c[c.index("-vlnv") + 1] for c in run.calls if c[0] == "create_bd_cell"}


def _nets(run: Run, command: str) -> list[tuple[str, set[str]]]:
    """(driver pin, the pins it drives) of every connect_bd_net / connect_bd_intf_net."""
    return [(args[0], set(" ".join(args[1:]).split())) for name, *args in run.calls
            if name == command]


def _stream_format(build: Path):
    """The stream geometry from the build's report.json, computed here, not read from system/."""
    report = json.loads((build / "report.json").read_text())
    (in_u, in_w), (out_u, out_w) = (_TYPE.match(report[k]).groups()
                                    for k in ("input_type", "output_type"))
    h, w, c = report["input_shape"]
    out_values = math.prod(report["layers"][-1]["output_shape"])
    return stream_format(int(in_w), not in_u, c, h * w * c, int(out_w), not out_u, out_values)


# --- what fpgagen build writes ---

@pytest.mark.parametrize("board", PS_BOARDS)
def test_system_folder(board, builds):
    system = builds(board) / "system"
    # no XDC: the design has no pins, the PS constrains its own clock (the script says so)
    written = sorted(p.name for p in system.iterdir() if p.name != "vivado_out")  # a run's
    assert written == ["README.txt", "build.tcl"]
    assert "No XDC" in (system / "build.tcl").read_text()
    readme = (system / "README.txt").read_text()
    assert "vivado -mode batch -source system/build.tcl" in readme
    assert "What cannot be checked without Vivado" in readme


def test_board_without_ps_gets_a_readme_only(builds, model, cli, tmp_path):
    system = builds(NO_PS) / "system"
    assert [p.name for p in system.iterdir()] == ["README.txt"]
    readme = (system / "README.txt").read_text()
    assert "No block design is generated for this board, and there is no build.tcl" in readme
    assert "has no processing system" in readme and "virtex7" in readme
    # and the CLI says so
    code, out, _ = cli("build", "--model", str(model), "--pe", "8x8",
                       "--board", NO_PS, "-o", str(tmp_path / "b"))
    assert code == 0
    assert "system: no block design" in " ".join(out.split())


def test_cli_names_the_one_command(model, cli, tmp_path):
    code, out, _ = cli("build", "--model", str(model), "--pe", "8x8",
                       "--board", "pynq-z2", "-o", str(tmp_path / "b"), "--json")
    assert code == 0
    assert json.loads(out)["system"].startswith(
        f"system: vivado -mode batch -source {tmp_path / 'b'}/system/build.tcl")


def test_every_zynq_board_has_a_board_part():
    for board in all_boards().values():
        if board.family in PROCESSING_SYSTEMS:
            vendor, name, part0, version = board.board_part.split(":")
            assert vendor and name and part0 == "part0" and re.match(r"^\d+\.\d+$", version)
        else:
            assert board.name == NO_PS


# --- the flow under the stubs ---

@pytest.mark.parametrize("board", PS_BOARDS)
def test_only_known_vivado_commands_and_options(board, flows):
    run = flows(board)
    assert run.unknown_commands(SYSTEM) == []
    names = run.names()
    order = ["ipx::package_project", "create_bd_design", "assign_bd_address",
             "validate_bd_design", "make_wrapper", "launch_runs", "open_run",
             "write_hw_platform"]
    assert [n for n in names if n in order and n != "launch_runs"] == [
        n for n in order if n != "launch_runs"]
    runs = [c[1] for c in run.calls if c[0] == "launch_runs"]
    assert runs == ["synth_1", "impl_1"]
    assert names.index("validate_bd_design") < names.index("launch_runs")


@pytest.mark.parametrize("board", PS_BOARDS)
def test_every_file_the_script_names_is_in_the_build(board, builds, flows):
    build, run = builds(board), flows(board)
    rtl = build / "rtl"
    # the sources packaged as the core: every *.v of rtl/ but the bench, by absolute path
    packaged = run.calls[[c[0] for c in run.calls].index("add_files")]
    files = [Path(f) for f in " ".join(packaged[2:]).split()]
    assert all(f.is_absolute() and f.is_file() for f in files)
    assert {f.name for f in files} == set(rtl_sources(rtl)) and "fpgagen_tb.v" not in {
        f.name for f in files}
    # ... with its memory images
    images = run.calls[[c[0] for c in run.calls].index("add_files") + 1]
    assert images[0] == "add_files"
    assert {Path(f) for f in " ".join(images[2:]).split()} == set(rtl.glob("*.hex"))
    # the memory-init files: absolute paths as the core's parameters, every *.hex of rtl/
    core = _configs(run)[CORE_CELL]
    mem = {k.removeprefix("CONFIG."): Path(v) for k, v in core.items() if k.endswith("_FILE")}
    top = (rtl / "fpgagen_top.v").read_text()
    for param, path in mem.items():
        assert re.search(rf"\bparameter\s+{param}\b", top), f"{param} is not a top parameter"
        assert path.is_absolute() and path.is_file()
    assert {p.resolve() for p in mem.values()} == {p.resolve() for p in rtl.glob("*.hex")}
    # ... and its includes, as Verilog headers, found through the project's include folder
    added = [{Path(f) for f in " ".join(c[2:]).split()} for c in run.calls if c[0] == "add_files"]
    assert set(rtl.glob("*.vh")) in added and set(rtl.glob("*.vh"))
    assert ["set_property", "FILE_TYPE", "Verilog Header", "*.vh"] in [
        [*c[:3], c[-1]] for c in run.calls if c[0] == "set_property"]
    assert ["set_property", "include_dirs", str(rtl)] in [c[:3] for c in run.calls]
    # and every file added later is one the project wrote (the block-design wrapper)
    for args in (c[1:] for c in run.calls if c[0] == "add_files"):
        assert all(Path(f).is_file() for f in " ".join(args[1:]).split())


@pytest.mark.parametrize("board", PS_BOARDS)
def test_dma_sized_to_the_streams(board, builds, flows):
    fmt = _stream_format(builds(board))
    dma = _configs(flows(board))[DMA_CELL]
    # the largest transfer: an image, the logits, or the weight load (driver/weights.bin)
    load = (builds(board) / "driver" / "weights.bin").stat().st_size
    assert load == json.loads((builds(board) / "report.json").read_text())["weights"]["bytes"]
    assert int(dma["CONFIG.c_sg_length_width"]) == dma_length_bits(
        max(fmt.in_buffer_bytes, fmt.out_buffer_bytes, load))
    for key in ("c_m_axis_mm2s_tdata_width", "c_s_axis_s2mm_tdata_width",
                "c_m_axi_mm2s_data_width", "c_m_axi_s2mm_data_width"):
        assert int(dma[f"CONFIG.{key}"]) == fmt.tdata_bits, key
    assert dma["CONFIG.c_include_sg"] == "0"  # simple mode: one register write per transfer
    ps = PROCESSING_SYSTEMS[PS_BOARDS[board]]
    assert int(dma["CONFIG.c_addr_width"]) == ps.dma_addr_bits


def test_dma_length_register_moves_the_zc706_squeezenet_image():
    # SqueezeNet 1.1 at 224x224x3, 8-bit values, 1000 8-bit logits (the ZC706 default)
    fmt = stream_format(8, True, 3, 224 * 224 * 3, 8, False, 1000)
    assert (fmt.tdata_bits, fmt.in_beats, fmt.in_buffer_bytes, fmt.out_beats) == (
        32, 37632, 150528, 250)
    dma = system_context(load_board("zc706"), fmt, "squeezenet1_1")["dma"]
    assert dma["c_sg_length_width"] == dma_length_bits(150528) == 18
    assert 2 ** dma["c_sg_length_width"] > fmt.in_buffer_bytes >= 2 ** 14  # 14: the default


@pytest.mark.parametrize("board", PS_BOARDS)
def test_processing_system_of_the_family_at_the_board_clock(board, flows):
    run, family = flows(board), PS_BOARDS[board]
    ps = PROCESSING_SYSTEMS[family]
    cells = _cells(run)
    assert cells[ps.cell] == f"xilinx.com:ip:{ps.ip}"
    others = {p.ip for f, p in PROCESSING_SYSTEMS.items() if f != family}
    assert not [v for v in cells.values() if v.split(":")[-1] in others]
    config = _configs(run)[ps.cell]
    assert float(config[CLOCK_CONFIG[family]]) == load_board(board).clock_mhz
    master, slave, irq = PS_PORTS[family]
    intf = dict(_nets(run, "connect_bd_intf_net"))
    assert f"{ps.cell}/{master}" in intf
    assert any(f"{ps.cell}/{slave}" in to for to in intf.values())
    assert any(f"{ps.cell}/{irq}" in to for _, to in _nets(run, "connect_bd_net"))


@pytest.mark.parametrize("board", PS_BOARDS)
def test_cells_named_as_the_drivers_expect(board, builds, flows):
    run = flows(board)
    cells = _cells(run)
    export = hls_export((builds(board) / "hls" / "run_hls.tcl").read_text())
    assert cells[CORE_CELL] == export.vlnv  # the same IP name for the RTL and the HLS core
    assert cells[DMA_CELL] == "xilinx.com:ip:axi_dma"
    assert cells[IRQ_CELL] == "xilinx.com:ip:xlconcat"
    intf = _nets(run, "connect_bd_intf_net")
    assert (f"{DMA_CELL}/M_AXIS_MM2S", {f"{CORE_CELL}/in_stream"}) in intf
    assert (f"{CORE_CELL}/out_stream", {f"{DMA_CELL}/S_AXIS_S2MM"}) in intf
    assert any(to == {f"{CORE_CELL}/s_axi_control"} for _, to in intf)
    nets = _nets(run, "connect_bd_net")
    for i, src in enumerate(IRQ_SOURCES):
        assert (src, {f"{IRQ_CELL}/In{i}"}) in nets
    assert int(_configs(run)[IRQ_CELL]["CONFIG.NUM_PORTS"]) == len(IRQ_SOURCES)
    # one clock and one reset reach the core: every interface of it is on ap_clk
    assert sum(f"{CORE_CELL}/ap_clk" in to for _, to in nets) == 1
    assert sum(f"{CORE_CELL}/ap_rst_n" in to for _, to in nets) == 1
    associated = {c[c.index("-busif") + 1] for c in run.calls
                  if c[0] == "ipx::associate_bus_interfaces" and "-busif" in c}
    assert associated == set(CORE_INTERFACES) - {"interrupt", "ap_clk", "ap_rst_n"}


@pytest.mark.parametrize("board", PS_BOARDS)
def test_bitstream_and_hwh_for_pynq(board, builds, flows):
    flows(board)
    out = builds(board) / "system" / "vivado_out"
    assert Path(BITSTREAM).stem == Path(HWH).stem  # Overlay("x.bit") reads x.hwh
    for name in (BITSTREAM, HWH, XSA, "address_map.txt", "timing_summary.rpt"):
        assert (out / name).is_file(), name


@pytest.mark.parametrize(("installed", "chosen"), [
    ("*", "tul.com.tw:pynq-z2:part0:1.0"),
    ("tul.com.tw:pynq-z2:part0:1.1 tul.com.tw:pynq-z2:part0:1.2 xilinx.com:zc706:part0:1.4",
     "tul.com.tw:pynq-z2:part0:1.2"),
    ("xilinx.com:zc706:part0:1.4", None),
])
def test_board_part_or_the_part_alone(installed, chosen, builds, tclsh, tmp_path):
    run = run_tcl(tclsh, builds("pynq-z2") / "system" / "build.tcl", tmp_path, tmp_path / "t",
                  commands=SYSTEM, board_parts=installed,
                  variables={"fpgagen_out": str(tmp_path / "out")})
    assert run.code == 0, run.output
    board_parts = [c[2] for c in run.calls if c[0] == "set_property" and c[1] == "board_part"]
    assert board_parts == ([chosen] if chosen else [])
    automation = run.option("apply_bd_automation", "-config")[0]
    assert f"apply_board_preset {int(chosen is not None)}" in automation
    if chosen is None:
        assert "is not installed" in run.output and "using the part xc7z020clg400-1" in run.output


def test_zynq_ultrascale_without_board_files(builds, tclsh, tmp_path):
    run = run_tcl(tclsh, builds("kv260") / "system" / "build.tcl", tmp_path, tmp_path / "t",
                  commands=SYSTEM, board_parts="",
                  variables={"fpgagen_out": str(tmp_path / "out")})
    assert run.code == 0, run.output
    assert "apply_bd_automation" not in run.names()  # the MPSoC needs no external pins


@pytest.mark.parametrize("victim", ["rtl/weights.hex", "rtl/fg_rom.v", "rtl/fg_fields.vh",
                                    "rtl/fpgagen_top.v"])
def test_missing_file_fails_before_any_project(victim, builds, tclsh, tmp_path):
    build = _copy(builds("pynq-z2"), tmp_path / "b")
    (build / victim).unlink()
    run = run_tcl(tclsh, build / "system" / "build.tcl", tmp_path, tmp_path / "t",
                  commands=SYSTEM)
    assert run.code != 0
    assert "fpgagen: ERROR: missing" in run.output and str(build / victim) in run.output
    assert not run.calls


@pytest.mark.parametrize(("stub", "message"), [
    ({"paths": 0}, "no timed path"),
    ({"impl_status": "route_design ERROR"}, "impl_1 did not finish write_bitstream"),
    ({"synth_status": "synth_design ERROR"}, "synth_1 did not finish synth_design"),
    ({"bitstream": 0}, "no bitstream"),
])
def test_failures_end_the_run_without_a_bitstream(stub, message, builds, tclsh, tmp_path):
    out = tmp_path / "out"
    run = run_tcl(tclsh, builds("pynq-z2") / "system" / "build.tcl", tmp_path, tmp_path / "t",
                  commands=SYSTEM, variables={"fpgagen_out": str(out)}, **stub)
    assert run.code != 0 and message in run.output, run.output
    assert not (out / BITSTREAM).exists() and not (out / HWH).exists()
    if "status" in next(iter(stub)):
        assert "runme.log" in run.output


@pytest.mark.parametrize(("stub", "worst"), [
    ({"wns": -0.3}, "worst slack -0.300 ns (WNS -0.300 ns setup, WHS 0.050 ns hold)"),
    ({"whs": -0.02}, "worst slack -0.020 ns (WNS 0.500 ns setup, WHS -0.020 ns hold)"),
])
def test_timing_failure_writes_outputs_named_so(stub, worst, builds, tclsh, tmp_path):
    """Negative slack: the bitstream, .hwh and .xsa under names that say so, a non-zero exit
    with the worst slack; a later run that meets timing removes them (one run's outputs)."""
    out = tmp_path / "out"
    run = run_tcl(tclsh, builds("pynq-z2") / "system" / "build.tcl", tmp_path, tmp_path / "t",
                  commands=SYSTEM, variables={"fpgagen_out": str(out)}, argv=("-clock", "150"),
                  **{"wns": 0.5, "whs": 0.05, **stub})
    assert run.code != 0, run.output
    assert f"timing NOT met at 150 MHz: {worst}" in run.output, run.output
    failed = ("fpgagen_TIMING_FAILED.bit", "fpgagen_TIMING_FAILED.hwh",
              "fpgagen_TIMING_FAILED.xsa")
    for name in failed:
        assert (out / name).is_file(), name
    assert f"written as {', '.join(failed[:2])} and {failed[2]}" in run.output
    assert not (out / BITSTREAM).exists() and not (out / HWH).exists()
    assert not (out / XSA).exists()
    run = run_tcl(tclsh, builds("pynq-z2") / "system" / "build.tcl", tmp_path, tmp_path / "t2",
                  commands=SYSTEM, variables={"fpgagen_out": str(out)}, argv=("-clock", "90"))
    assert run.code == 0, run.output
    assert sorted(p.name for p in out.glob("fpgagen*.*")) == sorted([BITSTREAM, HWH, XSA])


@pytest.mark.parametrize(("board", "config"), [
    ("pynq-z2", "PCW_FPGA0_PERIPHERAL_FREQMHZ"),
    ("zcu102", "PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"),
])
def test_clock_argument_sets_the_pl_clock(board, config, builds, tclsh, tmp_path):
    script = builds(board) / "system" / "build.tcl"
    run = run_tcl(tclsh, script, tmp_path, tmp_path / "t", commands=SYSTEM,
                  argv=("-clock", "142.5"), variables={"fpgagen_out": str(tmp_path / "o")})
    assert run.code == 0, run.output
    ps = [c for c in run.calls if c[0] == "set_property" and c[1] == "-dict"
          and f"CONFIG.{config}" in c[2]]
    assert len(ps) == 1 and f"CONFIG.{config} 142.5" in ps[0][2], ps
    assert "PL clock 142.5 MHz instead of the build's" in run.output
    assert "timing met at 142.5 MHz" in run.output
    # the variable does the same from a Vivado Tcl shell; the default is the board's clock
    run = run_tcl(tclsh, script, tmp_path, tmp_path / "t2", commands=SYSTEM,
                  variables={"fpgagen_out": str(tmp_path / "o"), "fpgagen_clock": "120"})
    assert run.code == 0 and "timing met at 120 MHz" in run.output, run.output
    run = run_tcl(tclsh, script, tmp_path, tmp_path / "t3", commands=SYSTEM,
                  variables={"fpgagen_out": str(tmp_path / "o")})
    assert "instead of the build's" not in run.output


@pytest.mark.parametrize(("stub", "message"), [
    ({"missing_busifs": "s_axi_control"}, "the packaged core has no s_axi_control interface"),
    ({"missing_busifs": "out_stream"}, "the packaged core has no out_stream interface"),
    ({"ipdef": 0}, "the IP catalog has no fpgagen:cnn:fpgagen_top:1.0"),
])
def test_core_problems_stop_before_the_block_design(stub, message, builds, tclsh, tmp_path):
    run = run_tcl(tclsh, builds("kv260") / "system" / "build.tcl", tmp_path, tmp_path / "t",
                  commands=SYSTEM, variables={"fpgagen_out": str(tmp_path / "out")}, **stub)
    assert run.code != 0 and message in run.output, run.output
    assert "create_bd_design" not in run.names()


def test_pl_clock_the_ps_cannot_make_is_a_note(builds, tclsh, tmp_path):
    run = run_tcl(tclsh, builds("pynq-z2") / "system" / "build.tcl", tmp_path, tmp_path / "t",
                  commands=SYSTEM, act_mhz="95.238",
                  variables={"fpgagen_out": str(tmp_path / "out")})
    assert run.code == 0, run.output
    assert "the PS gives the PL 95.238 MHz, not 100 MHz" in run.output


def test_hls_core_needs_its_export(builds, tclsh, tmp_path):
    build = _copy(builds("kv260"), tmp_path / "b")
    script = build / "system" / "build.tcl"
    run = run_tcl(tclsh, script, tmp_path, tmp_path / "t", commands=SYSTEM,
                  argv=("-core", "hls"))
    assert run.code != 0 and "vitis_hls -f run_hls.tcl" in run.output, run.output
    assert not run.calls
    # what export_design leaves: the IP catalog folder with component.xml
    export = hls_export((build / "hls" / "run_hls.tcl").read_text())
    (build / export.ip_dir).mkdir(parents=True)
    (build / export.ip_dir / "component.xml").write_text("<stub/>\n")
    out = tmp_path / "out"
    run = run_tcl(tclsh, script, tmp_path, tmp_path / "t2", commands=SYSTEM,
                  argv=("-core", "hls", "-out", str(out)))
    assert run.code == 0, run.output
    assert run.unknown_commands(SYSTEM) == []
    assert not [n for n in run.names() if n.startswith("ipx::")]
    repo = [c[2] for c in run.calls if c[0] == "set_property" and c[1] == "ip_repo_paths"]
    assert [Path(r) for r in repo] == [build / export.ip_dir]
    assert _cells(run)[CORE_CELL] == export.vlnv
    assert not any(k.endswith("_FILE") for k in _configs(run).get(CORE_CELL, {}))
    assert (out / BITSTREAM).is_file()


def test_hls_export_is_read_from_run_hls_tcl(builds):
    text = (builds("pynq-z2") / "hls" / "run_hls.tcl").read_text()
    export = hls_export(text)
    assert export.ip_dir == "hls/fpgagen_small/solution1/impl/ip"
    assert export.vlnv == "fpgagen:cnn:fpgagen_top:1.0"
    with pytest.raises(AssertionError, match="export_design"):
        hls_export(re.sub(r"^export_design.*$", "", text, flags=re.M))


@pytest.mark.parametrize(("argv", "message"), [
    (("-bitstream",), "unknown argument '-bitstream'"),
    (("-core", "vhdl"), "-core must be rtl or hls, not 'vhdl'"),
    (("-jobs", "0"), "-jobs must be a positive integer"),
    (("-out",), "-out needs a value"),
    (("-clock",), "-clock needs a value"),
    (("-clock", "fast"), "-clock must be a frequency in MHz from 1 to 1000, not 'fast'"),
    (("-clock", "0"), "-clock must be a frequency in MHz from 1 to 1000, not '0'"),
    (("-clock", "1e9"), "-clock must be a frequency in MHz from 1 to 1000, not '1e9'"),
])
def test_bad_arguments(argv, message, builds, tclsh, tmp_path):
    run = run_tcl(tclsh, builds("pynq-z2") / "system" / "build.tcl", tmp_path, tmp_path / "t",
                  commands=SYSTEM, argv=argv)
    assert run.code != 0 and message in run.output, run.output
    assert not run.calls


@pytest.mark.parametrize("board", PS_BOARDS)
def test_script_is_tcl_8_5(board, builds):
    path = builds(board) / "system" / "build.tcl"
    code = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    bad = [line for line in code if TCL86.search(line)]
    assert not bad, f"Tcl 8.6 only: {bad}"


# --- the core's ports against what the block design connects ---

def _top(tdata: int, drop: str = "") -> str:
    widths = {"s_axi_control_AWADDR": 6, "s_axi_control_ARADDR": 6, "s_axi_control_WDATA": 32,
              "s_axi_control_RDATA": 32, "s_axi_control_WSTRB": 4, "s_axi_control_BRESP": 2,
              "s_axi_control_RRESP": 2, "in_stream_TDATA": tdata, "out_stream_TDATA": tdata,
              "in_stream_TKEEP": tdata // 8, "out_stream_TKEEP": tdata // 8}
    ports = [f"    input wire {f'[{widths[p] - 1}:0] ' if widths.get(p, 1) > 1 else ''}{p}"
             for p in CORE_PORTS if p != drop]
    return "module fpgagen_top (\n" + ",\n".join(ports) + "\n);\nendmodule\n"


def test_core_port_problems():
    assert core_port_problems(_top(32), 32) == []
    assert core_port_problems(_top(64), 64) == []
    assert core_port_problems(_top(32, drop="interrupt"), 32) == ["no port interrupt"]
    assert core_port_problems(_top(32), 64) == [
        "in_stream_TDATA is 32 bits, the DMA's stream 64",
        "in_stream_TKEEP is 4 bits, 8 expected",
        "out_stream_TDATA is 32 bits, the DMA's stream 64",
        "out_stream_TKEEP is 4 bits, 8 expected"]


@pytest.mark.parametrize("board", PS_BOARDS)
def test_generated_core_has_the_block_designs_ports(board, builds):
    build = builds(board)
    assert core_port_problems((build / "rtl" / "fpgagen_top.v").read_text(),
                              _stream_format(build).tdata_bits) == []
