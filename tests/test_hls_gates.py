"""The gates on the HLS core's synthesis branch: g++ compiles it under __SYNTHESIS__,
its memories counted from the code equal the Plan's, one hardware instance per engine unit.

Fixtures (tests/hls_fixtures/README.md): ``units/`` is a hand-written core that follows the
gates' contract, ``today_small/`` the generated core from before the rewrite (it must keep
failing both the count and the instance rule). The tests on freshly generated code
(`test_generated_*`, `test_verify_*`) pass once the generator follows the Plan.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fpgagen.cli.check import check_design, result_json
from fpgagen.errors import FpgagenError
from fpgagen.frontend.onnx_import import load_onnx
from fpgagen.frontend.weights import random_weights
from fpgagen.frontend.zoo import load_model
from fpgagen.hls import instances as hls_instances
from fpgagen.hls import memories as hls_memories
from fpgagen.hls import synth_branch as hls_synth
from fpgagen.hls.emit import emit_hls
from fpgagen.hls.gates import run_gates
from fpgagen.hls.memories import CodeArray, Part, Pragma, hls_pragmas, shape_array
from fpgagen.hls.toolchain import ap_types_dir
from fpgagen.machine.context import lower
from fpgagen.plan.boards import load_board
from fpgagen.plan.bram import map_bram
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, quantize
from fpgagen.util.resources import data_dir

sys.path.insert(0, str(Path(__file__).parent))
from small_onnx import write_small_onnx

FIXTURES = Path(__file__).parent / "hls_fixtures"
ZC706 = load_board("zynq")


def _units_plan() -> dict[str, tuple[Part, ...]]:
    """What the hand-written core builds (its fpgagen.cpp header comment), as Plan parts."""
    return {"activations": (Part.of(map_bram(32, 64)),),
            "input_staging": (Part.of(map_bram(24, 16)),) * 2,
            "weights": (Part.of(map_bram(128, 10)),),
            "biases": (Part(64, 3, 0, 0, 0),)}  # LUTRAM: no block


def _copy(src: Path, dst: Path, old: str | None = None, new: str = "",
          file: str = "fpgagen.cpp") -> Path:
    """A copy of a fixture with ``old`` (found exactly once in ``file``) replaced by ``new``;
    the C-simulation headers (csim/) come from the templates, as a build copies them."""
    shutil.copytree(src, dst)
    shutil.copytree(data_dir("templates") / "hls" / "csim", dst / "csim", dirs_exist_ok=True)
    if old is not None:
        path = dst / file
        text = path.read_text()
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new))
    return dst


def _instances(hls_dir: Path, work: Path) -> hls_instances.InstanceCheck:
    """The instance rule alone (one preprocessing, one -O0 compile)."""
    src = hls_synth.prepare(hls_dir, work / "decl", hls_synth.DECLARATIONS_ONLY)
    obj = hls_synth.compile_object(
        hls_instances.mark_inline_off(hls_synth.preprocess(src)), work / "obj")
    return hls_instances.check_instances(hls_instances.read_callgraph(obj.parent))


# --- the synthesis-branch compile (C) --------------------------------------------------------

def test_ap_types_refuse_synthesis_and_the_shim_includes_them(tmp_path):
    """Why the shim exists: hls4ml's ap_int.h #errors under __SYNTHESIS__."""
    (tmp_path / "t.cpp").write_text('#include "ap_int.h"\nap_int<8> x;\n')
    base = ["g++", "-std=c++14", "-fsyntax-only", "-D__SYNTHESIS__"]
    bare = subprocess.run([*base, "-isystem", str(ap_types_dir()), str(tmp_path / "t.cpp")],
                          capture_output=True, text=True, check=False)
    assert bare.returncode != 0 and "does not support synthesis" in bare.stderr
    shim = tmp_path / "shim"
    shim.mkdir()
    for name in hls_synth.SHIMMED:
        (shim / name).write_text(hls_synth.shim_header(name))
    ok = subprocess.run([*base, "-Wall", "-Wextra", "-isystem", str(shim), "-isystem",
                         str(ap_types_dir()), str(tmp_path / "t.cpp")],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and ok.stderr == "", ok.stderr


def test_large_initializers_are_elided_and_declarations_kept():
    big = ",".join(["{1,2},{3,4}"] * 200)
    text = ("// W[0] = {5}\nstatic const wrom_t WMEM[FG_D][2][2] = {\n" + big + "\n};\n"
            "static const brom_t BMEM[3][2] = {{1,2},{3,4},{5,6}};\nint f() { return 1; }\n")
    out, names = hls_synth.elide_initializers(text, 1000)
    assert names == ("WMEM",)
    assert "static const wrom_t WMEM[FG_D][2][2] = {};\n" in out
    assert "BMEM[3][2] = {{1,2},{3,4},{5,6}};" in out and out.endswith("int f() { return 1; }\n")
    assert hls_synth.elide_initializers(text, 10**6) == (text, ())


def test_a_broken_synthesis_branch_fails_the_compile_gate(tmp_path):
    """An error only the synthesis branch has (C-simulation never sees it), and a warning:
    both fail the gate."""
    broken = _copy(FIXTURES / "units", tmp_path / "b", "typedef ap_int<8> wrom_t;",
                   "typedef ap_int<8> wrom_t;\nstatic wrom_t bad = nope;", file="fpgagen.h")
    cpp = broken / "fpgagen.cpp"
    cpp.write_text(cpp.read_text().replace("  // SECOND SITE", "  int unused_here = 0;"))
    res = hls_synth.syntax_check(hls_synth.prepare(broken, tmp_path / "bb"))
    assert not res.ok
    assert any("'nope' was not declared" in d for d in res.diagnostics), res.diagnostics
    assert any("unused_here" in d and "-Wunused-variable" in d for d in res.diagnostics)


# --- the memory count (B) -------------------------------------------------------------------

def test_pragmas_come_out_of_the_preprocessor_in_both_spellings():
    text = ("x\n#pragma HLS ARRAY_PARTITION variable=arena complete dim=2\n"
            "  #pragma HLS array_reshape variable=WMEM type=cyclic factor=4 dim=3\n"
            "#pragma HLS BIND_STORAGE variable=BMEM type=rom_1p impl=lutram\n#pragma GCC x\n")
    ps = hls_pragmas(text)
    assert [p.directive for p in ps] == ["ARRAY_PARTITION", "ARRAY_RESHAPE", "BIND_STORAGE"]
    assert ps[0].variable == "arena" and ps[0].words == ("complete",)
    assert ps[1].options == {"variable": "WMEM", "type": "cyclic", "factor": "4", "dim": "3"}


def _p(line: str) -> Pragma:
    return hls_pragmas(f"#pragma HLS {line}\n")[0]


@pytest.mark.parametrize(("pragmas", "count", "width", "depth"), [
    ([], 1, 8, 30032 * 16),
    (["ARRAY_PARTITION variable=X type=complete dim=2"], 16, 8, 30032),   # today's arena
    (["ARRAY_RESHAPE variable=X type=complete dim=2"], 1, 128, 30032),    # the Plan's arena
    (["ARRAY_PARTITION variable=X complete dim=2"], 16, 8, 30032),        # Vivado HLS spelling
    (["ARRAY_RESHAPE variable=X type=cyclic factor=4 dim=2"], 1, 32, 30032 * 4),
    (["ARRAY_PARTITION variable=X type=block factor=3 dim=1"], 3, 8, 10011 * 16),
    (["ARRAY_PARTITION variable=X type=complete dim=0"], 30032 * 16, 8, 1),
    (["ARRAY_RESHAPE variable=Y type=complete dim=2"], 1, 8, 30032 * 16),  # another array
])
def test_shape_of_an_array(pragmas, count, width, depth):
    m = shape_array(CodeArray("X", (30032, 16), 8, True), [_p(x) for x in pragmas])
    assert (m.count, m.width, m.depth) == (count, width, depth)


def test_a_banked_arena_is_one_memory_per_bank_and_group():
    """The arena as the HLS core declares it, arena[BANKS][GROUPS][BANK_DEPTH][LANES]: the
    ZCU102's 8 banks (16x128) and a 16x8 engine's 2 lane groups, each part the Plan's."""
    shaping = [_p(f"ARRAY_PARTITION variable=arena type=complete dim={d}") for d in (1, 2)]
    shaping.append(_p("ARRAY_RESHAPE variable=arena type=complete dim=4"))
    banks = shape_array(CodeArray("arena", (8, 1, 3754, 16), 8, True), shaping)
    assert (banks.count, banks.width, banks.depth) == (8, 128, 3754)
    groups = shape_array(CodeArray("arena", (1, 2, 100, 8), 8, True), shaping)
    assert (groups.count, groups.width, groups.depth) == (2, 64, 100)


def test_storage_binding_picks_the_mapping():
    arr = CodeArray("X", (50000, 2), 36, True)
    bram = shape_array(arr, [_p("ARRAY_RESHAPE variable=X type=complete dim=2")])
    assert bram.impl == "bram" and bram.notes and bram.mapping == map_bram(72, 50000)
    uram = shape_array(arr, [_p("ARRAY_RESHAPE variable=X type=complete dim=2"),
                             _p("BIND_STORAGE variable=X type=ram_s2p impl=uram")])
    # all URAM, as Vitis builds it, although 98 BRAM36 would be cheaper than 13 URAM
    assert uram.mapping.uram == 13 and uram.mapping.bram36 == uram.mapping.bram18 == 0
    lut = shape_array(arr, [_p("BIND_STORAGE variable=X type=ram_s2p impl=lutram")])
    assert (lut.mapping.bram36, lut.mapping.bram18, lut.mapping.uram) == (0, 0, 0)
    with pytest.raises(FpgagenError, match="impl=srl"):
        shape_array(arr, [_p("BIND_STORAGE variable=X type=ram_s2p impl=srl")])
    with pytest.raises(FpgagenError, match="dim=3"):
        shape_array(arr, [_p("ARRAY_PARTITION variable=X type=complete dim=3")])


@pytest.fixture(scope="module")
def small_onnx(tmp_path_factory) -> Path:
    """The small fire net of tests/small_onnx.py (runs on an 8x8 engine)."""
    return write_small_onnx(tmp_path_factory.mktemp("onnx") / "small.onnx")


def _small_plan(small_onnx: Path):
    gr, _ = load_onnx(small_onnx)
    return gr, make_plan(gr, ZC706, parse_precision(None), engine=EngineConfig(8, 8))


def test_check_json_records_the_plan_parts_verify_compares_with(small_onnx):
    gr, plan = _small_plan(small_onnx)
    r = check_design(gr, ZC706, parse_precision(None), EngineConfig(8, 8), True, None)
    parts = hls_memories.report_parts({"memory": result_json(r)})
    assert parts == hls_memories.plan_parts(plan.memories)
    assert len(parts["input_staging"]) == plan.stage_taps == 2  # the staging banks
    assert hls_memories.report_parts({"memory": {"memories": [{"name": "x"}]}}) is None


@pytest.fixture(scope="module")
def units_gates():
    return run_gates(FIXTURES / "units", _units_plan())


@pytest.mark.slow
def test_units_fixture_passes_every_gate(units_gates):
    g = units_gates
    assert g.ok, g.lines()
    shapes = {m.array: (m.count, m.width, m.depth, m.impl) for m in g.memories.memories}
    assert shapes == {"arena": (1, 32, 64, "bram"), "stage": (2, 24, 16, "bram"),
                      "WMEM": (1, 128, 10, "bram"), "BMEM": (1, 64, 3, "lutram")}
    assert g.memories.tables == ("LAYERS",)
    assert g.memories.bram36 == g.memories.plan_bram36 == 4  # 2 + 3 BRAM18 halves rounded up
    assert g.memories.line() == "HLS memories: 4 BRAM36 (Plan: 4) from the code"
    assert [u.name for u in g.instances.units if u.inline_off] == ["conv_engine", "pool_unit"]
    assert [u.name for u in g.instances.units if u.multiplies] == ["conv_engine"]


def test_a_memory_unlike_the_plans_names_both_shapes():
    plan = dict(_units_plan())
    plan["input_staging"] = (Part.of(map_bram(24, 8)),) * 4  # four banks in the Plan
    del plan["biases"]
    mem = hls_memories.count_memories(
        [CodeArray("arena", (64, 4), 8, True), CodeArray("stage", (16, 2, 3), 8, True),
         CodeArray("WMEM", (10, 4, 4), 8, True), CodeArray("BMEM", (3, 4), 16, True),
         CodeArray("LAYERS", (2,), 0, False)],
        _fixture_pragmas(), plan)
    assert not mem.ok and len(mem.mismatches) == 2
    assert ("BMEM: the code builds 1 ROM of 64 x 3 (lutram; 0 BRAM36 + 0 BRAM18 + 0 URAM), the "
            "Plan has no such memory") in mem.mismatches
    assert ("stage (input_staging): the code builds 2 RAMs of 24 x 16 (bram; each 0 BRAM36 + 1 "
            "BRAM18 + 0 URAM), the Plan 4 of 24 x 8 (each 0 BRAM36 + 1 BRAM18 + 0 URAM)"
            ) in mem.mismatches


def _fixture_pragmas() -> list[Pragma]:
    """The units fixture's pragmas, as the preprocessor prints them."""
    text = (FIXTURES / "units" / "fpgagen.cpp").read_text()
    lines = re.findall(r"^FG_PRAGMA\((HLS .*)\)$", text, flags=re.M)
    return hls_pragmas("".join(f"#pragma {x}\n" for x in lines))


@pytest.fixture(scope="module")
def today_gates(small_onnx, tmp_path_factory):
    _, plan = _small_plan(small_onnx)
    today = _copy(FIXTURES / "today_small", tmp_path_factory.mktemp("today") / "hls")
    return run_gates(today, hls_memories.plan_parts(plan.memories))


@pytest.mark.slow
def test_todays_core_fails_the_memory_count(today_gates):
    assert today_gates.compile.ok and today_gates.compile.elided == ()  # compiled whole
    m = today_gates.memories
    assert not m.ok and (m.bram36, m.plan_bram36) == (43, 13)  # the Plan: two staging slots
    assert ("WMEM (weights): the code builds 64 ROMs of 8 x 66 (bram; each 0 BRAM36 + 1 BRAM18 "
            "+ 0 URAM), the Plan 1 of 512 x 66 (7 BRAM36 + 1 BRAM18 + 0 URAM)") in m.mismatches
    assert len(m.mismatches) == 4 and m.tables == ("LAYERS",)


# --- one instance per engine unit (D) -------------------------------------------------------

@pytest.mark.slow
def test_todays_core_builds_conv_rows_twice(today_gates):
    i = today_gates.instances
    assert not i.ok
    two = next(p for p in i.problems if p.startswith("conv_rows (multiplying) has 2 instances"))
    assert "fpgagen_top -> conv_rows (fpgagen.cpp:347:16)" in two
    assert "fpgagen_top -> conv_pool_fused (fpgagen.cpp:345:22) -> conv_rows " in two
    assert "no function is marked INLINE off: nothing is a hardware unit of its own" in i.problems
    assert {u.name for u in i.units if u.multiplies} == {"conv_rows", "avgpool"}


def test_a_marked_function_called_from_two_sites_fails(tmp_path):
    """Today's core with conv_rows marked INLINE off: the two call sites are two engines."""
    marked = _copy(FIXTURES / "today_small", tmp_path / "t",
                   "static void conv_rows(const layer_t &L, int y0, int y1) {\n",
                   "static void conv_rows(const layer_t &L, int y0, int y1) {\n"
                   "FG_PRAGMA(HLS INLINE off)\n")
    i = _instances(marked, tmp_path / "w")
    conv = next(u for u in i.units if u.name == "conv_rows")
    assert conv.inline_off and conv.multiplies and len(conv.paths) == 2
    assert any(p.startswith("conv_rows (INLINE off) has 2 instances, want 1") for p in i.problems)


def test_units_fixture_with_a_second_call_site_fails(tmp_path):
    two = _copy(FIXTURES / "units", tmp_path / "u", "  // SECOND SITE",
                "  conv_engine(LAYERS[0]);")
    i = _instances(two, tmp_path / "w")
    assert i.problems == (
        "conv_engine (INLINE off) has 2 instances, want 1: fpgagen_top -> conv_engine "
        "(fpgagen.cpp:86:18); fpgagen_top -> conv_engine (fpgagen.cpp:91:14)",)


def test_a_multiply_outside_an_inline_off_unit_fails(tmp_path):
    inline = _copy(FIXTURES / "units", tmp_path / "u",
                   "static void conv_engine(const layer_t &L) {\nFG_PRAGMA(HLS INLINE off)\n",
                   "static void conv_engine(const layer_t &L) {\n")
    i = _instances(inline, tmp_path / "w")
    assert i.problems == ("conv_engine multiplies outside any INLINE off unit: its MACs are "
                          "copied into every caller (mark the unit that holds them "
                          "FG_PRAGMA(HLS INLINE off))",)


def test_function_names_from_gcc_labels():
    f = hls_instances.function_name
    assert f("void conv_rows(const layer_t&, int, int)") == "conv_rows"
    assert f("static void hls::stream<T>::write(const T&) [with T = int]") == "write"
    assert f("ap_int_base<_AP_W, _AP_S>::RType<_AP_W2, _AP_S2>::mult operator*(const "
             "ap_int_base<_AP_W, _AP_S>&, const ap_int_base<_AP_W2, _AP_S2>&)") == "operator*"


# --- freshly generated code: passes once the generator builds the Plan's machine ------------

def _emit(out: Path, graph, engine=None, board=ZC706):
    prec = parse_precision(None)
    qg = quantize(graph, random_weights(graph, 1), prec, calibration_inputs(graph, 1))
    plan = make_plan(graph, board, prec, engine=engine)
    emit_hls(out, lower(plan, qg))
    return plan


def test_generated_small_core_compiles_under_synthesis(tmp_path, small_onnx):
    gr, _ = load_onnx(small_onnx)
    _emit(tmp_path / "hls", gr, EngineConfig(8, 8))
    res = hls_synth.syntax_check(hls_synth.prepare(tmp_path / "hls", tmp_path / "syn"))
    assert res.ok, res.diagnostics
    assert res.elided == ()


@pytest.mark.slow
def test_generated_default_core_is_the_plans_machine(tmp_path):
    """The ZC706 default's HLS memories, counted from the code, are
    the Plan's BRAM36, memory by memory (the 16x64 packed default's arena as its four banks of
    30,032 / 4 words, the staging banks with two image slots); one instance per
    engine unit."""
    plan = _emit(tmp_path / "hls", load_model("squeezenet"))
    g = run_gates(tmp_path / "hls", hls_memories.plan_parts(plan.memories))
    assert g.compile.ok and g.compile.elided == ("WMEM",), g.compile.diagnostics
    shapes = {m.array: (m.count, m.width, m.depth) for m in g.memories.memories}
    assert shapes == {"arena": (4, 128, 7_508), "stage": (4, 24, 2 * 12_544),
                      "WMEM": (1, 8192, 1_226), "BMEM": (1, 1024, 65)}, g.memories.mismatches
    assert g.memories.ok and g.memories.bram36 == plan.bram36 == 537
    assert g.instances.ok, g.instances.problems


@pytest.mark.slow
def test_uram_board_core_is_the_plans_machine(tmp_path):
    """On the ZCU104 the Plan puts the arena and the four staging banks in URAM, each memory
    wholly (one BIND_STORAGE per array can say nothing else): the code's count equals it."""
    from fpgagen.plan.boards import load_board

    plan = _emit(tmp_path / "hls", load_model("squeezenet"), board=load_board("zcu104"))
    g = run_gates(tmp_path / "hls", hls_memories.plan_parts(plan.memories))
    assert g.memories.ok, g.memories.mismatches
    assert (g.memories.bram36, g.memories.uram) == (plan.bram36, plan.uram) == (293, 44)


@pytest.fixture(scope="module")
def small_build(tmp_path_factory, small_onnx):
    from fpgagen.cli.main import main

    out = tmp_path_factory.mktemp("gates") / "small"
    assert main(["build", "--model", str(small_onnx), "--board", "zynq", "--pe", "8x8", "-q",
                 "-o", str(out)]) == 0
    return out


@pytest.mark.slow
def test_verify_reports_the_memory_count_and_fails_on_a_mismatch(small_build, tmp_path, cli):
    """The Plan in report.json says four staging banks of half the depth: the code's two
    banks no longer match, and verify --csim fails although C-simulation is bit-exact."""
    copy = tmp_path / "b"
    shutil.copytree(small_build, copy)
    report = json.loads((copy / "report.json").read_text())
    stage = next(m for m in report["memory"]["memories"] if m["name"] == "input_staging")
    half = dict(stage["parts"][0], depth=stage["parts"][0]["depth"] // 2)
    stage["parts"] = [half] * 4
    (copy / "report.json").write_text(json.dumps(report))
    code, out, _ = cli("verify", str(copy), "--csim", "-q")
    assert code == 1, out
    assert "C-simulation bit-exact" in out
    line = re.search(r"^HLS memories: (\d+) BRAM36 \(Plan: (\d+)\) from the code$", out, re.M)
    assert line, out
    assert "MISMATCH stage (input_staging): the code builds " in out
    gates = json.loads((copy / "report.json").read_text())["hls_gates"]
    assert gates["memories"]["bram36"] == int(line.group(1)) and not gates["ok"]
    assert "## HLS synthesis branch" in (copy / "report.md").read_text()


def test_verify_skips_the_gates_for_a_report_without_plan_parts(tmp_path):
    """A build from before report.json recorded the Plan's memory parts has nothing to
    compare the code with: the gates are not run (and say so), rather than guessed."""
    from fpgagen.cli.verify import _run_hls_gates
    from fpgagen.util.progress import Steps

    (tmp_path / "report.json").write_text(json.dumps(
        {"memory": {"memories": [{"name": "activations", "width": 64, "depth": 8}]}}))
    assert _run_hls_gates(tmp_path, Steps(True)) is None
    assert "hls_gates" not in json.loads((tmp_path / "report.json").read_text())
