"""The gates on the HLS core's synthesis branch: g++ compiles it under __SYNTHESIS__ with
every initializer, its memories counted from the code equal the Plan's, one hardware instance
per engine unit, no loop-carried cycle of a pipelined loop with more than two multiplexers
after an adder.

Fixtures (tests/hls_fixtures/README.md): ``units/`` is a hand-written core that follows the
gates' contract, ``today_small/`` an old generated core (it must keep failing the count and the
instance rule), ``wide_counters/`` the generated core from before the loop-state rewrite (it
must keep failing the loop-state rule). The tests on freshly generated code
(`test_generated_*`, `test_verify_*`) pass because the generator follows the Plan.
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
from fpgagen.hls import recurrences as hls_loops
from fpgagen.hls import synth_branch as hls_synth
from fpgagen.hls.emit import emit_hls
from fpgagen.hls.gates import run_gates
from fpgagen.hls.memories import CodeArray, CodeMemory, Part, Pragma, hls_pragmas, shape_array
from fpgagen.hls.toolchain import ap_types_dir
from fpgagen.machine.context import lower
from fpgagen.plan.boards import load_board
from fpgagen.plan.bram import map_bram, map_one_array
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
    """What the hand-written core builds (its fpgagen.cpp header comment), as the arrays the
    Plan would write: each one array, built in one block aspect."""
    return {"activations": (Part.of(map_one_array(32, 64)),),
            "input_staging": (Part.of(map_one_array(24, 16)),) * 2,
            "weights": (Part.of(map_one_array(128, 10)),),
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
    broken = _copy(FIXTURES / "units", tmp_path / "b", "typedef int8_t wrom_t;",
                   "typedef int8_t wrom_t;\n#ifdef __SYNTHESIS__\nstatic wrom_t bad = nope;\n"
                   "#endif", file="fpgagen.h")
    cpp = broken / "fpgagen.cpp"
    cpp.write_text(cpp.read_text().replace("  // SECOND SITE", "  int unused_here = 0;"))
    res = hls_synth.compile_check(hls_synth.prepare(broken, tmp_path / "bb"))
    assert not res.ok and res.elided == ()
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


def test_check_json_records_the_hls_arrays_verify_compares_with(small_onnx):
    """check --json records the HLS core's memories (one staging image) with the arrays each
    is written as: a RAM's block-RAM columns per bank, a ROM as one array."""
    gr, plan = _small_plan(small_onnx)
    r = check_design(gr, ZC706, parse_precision(None), EngineConfig(8, 8), True, None)
    j = result_json(r)
    arrays = hls_memories.report_arrays({"memory": j})
    assert arrays == hls_memories.plan_arrays(plan.hls_memories)
    staging = plan.hls_memories["input_staging"]
    cols = sum(c.count for c in staging.parts[0].columns)
    assert len(arrays["input_staging"]) == plan.stage_taps * cols == 2 * cols  # per bank
    assert {a.depth for a in arrays["input_staging"]} == {32 * 32 // 2}  # one 32x32 image
    assert len(arrays["weights"]) == len(arrays["biases"]) == 1  # ROMs: one array each
    assert (j["hls_bram36"], j["bram36"]) == (plan.hls_bram36, plan.bram36)
    assert hls_memories.report_arrays({"memory": {"memories": [{"name": "x"}]}}) is None


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
    assert ("input_staging: the code builds 2 of 24 x 16 (each 0 BRAM36 + 1 BRAM18 + 0 URAM) "
            "(stage), the Plan 4 of 24 x 8 (each 0 BRAM36 + 1 BRAM18 + 0 URAM)"
            ) in mem.mismatches


def test_a_rom_of_ap_int_elements_fails_the_memory_count():
    """A ROM's initializer must be plain integers: a const array of ap_int elements is named,
    with how many class objects its initializer makes."""
    arrays = [CodeArray("arena", (64, 4), 8, True), CodeArray("stage", (16, 2, 3), 8, True),
              CodeArray("WMEM", (10, 4, 4), 8, True, ap=True, const=True),
              CodeArray("BMEM", (3, 4), 16, True, const=True)]
    mem = hls_memories.count_memories(arrays, _fixture_pragmas(), _units_plan())
    assert mem.mismatches == ("WMEM: a ROM of ap_int/ap_uint elements; its initializer is 160 "
                              "class objects (write it as plain integers)",)


def test_columns_of_one_memory_are_one_role():
    """The arena written as its columns (arena_c0, arena_c1, ..) is compared as one memory:
    the columns' arrays against the Plan's."""
    assert hls_memories.role_of("arena_c12") == "activations"
    assert hls_memories.role_of("stage_c0") == "input_staging"
    assert hls_memories.role_of("WMEM") == "weights" and hls_memories.role_of("x_c1") is None
    cols = [CodeMemory("arena_c0", 2, 72, 100, "bram", map_one_array(72, 100)),
            CodeMemory("arena_c1", 2, 56, 100, "bram", map_one_array(56, 100))]
    plan = {"activations": (Part.of(map_one_array(72, 100)),) * 4}
    (line,) = hls_memories.compare(cols, plan)
    assert line.startswith("activations: the code builds 2 of 56 x 100 (each 1 BRAM36 + 0 "
                           "BRAM18 + 0 URAM) + 2 of 72 x 100 (each 1 BRAM36")
    plan = {"activations": (Part.of(map_one_array(72, 100)),) * 2
            + (Part.of(map_one_array(56, 100)),) * 2}
    assert hls_memories.compare(cols, plan) == []


def _fixture_pragmas() -> list[Pragma]:
    """The units fixture's pragmas, as the preprocessor prints them."""
    text = (FIXTURES / "units" / "fpgagen.cpp").read_text()
    lines = re.findall(r"^FG_PRAGMA\((HLS .*)\)$", text, flags=re.M)
    return hls_pragmas("".join(f"#pragma {x}\n" for x in lines))


@pytest.fixture(scope="module")
def today_gates(small_onnx, tmp_path_factory):
    _, plan = _small_plan(small_onnx)
    today = _copy(FIXTURES / "today_small", tmp_path_factory.mktemp("today") / "hls")
    return run_gates(today, hls_memories.plan_arrays(plan.hls_memories))


@pytest.mark.slow
def test_todays_core_fails_the_memory_count(today_gates):
    assert today_gates.compile.ok and today_gates.compile.elided == ()  # compiled whole
    m = today_gates.memories
    assert not m.ok and (m.bram36, m.plan_bram36) == (43, 12)  # the Plan: one staging image
    assert ("weights: the code builds 64 of 8 x 66 (each 0 BRAM36 + 1 BRAM18 + 0 URAM) (WMEM), "
            "the Plan 1 of 512 x 66 (0 BRAM36 + 15 BRAM18 + 0 URAM)") in m.mismatches
    # its ROMs are ap_int arrays: initializers of class objects
    assert ("WMEM: a ROM of ap_int/ap_uint elements; its initializer is 4,224 class objects "
            "(write it as plain integers)") in m.mismatches
    assert len(m.mismatches) == 6 and m.tables == ("LAYERS",)


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
    res = hls_synth.compile_check(hls_synth.prepare(tmp_path / "hls", tmp_path / "syn"))
    assert res.ok, res.diagnostics
    assert res.elided == ()


# the bound on the whole synthesis branch of the ZC706 default, initializers included: a
# design property (g++ -O0 takes about 9 s of CPU and 350 MB here, docs/hardware.md), held on
# g++'s own CPU time so that a loaded machine does not decide it
FULL_COMPILE_BOUND_S = 60.0


@pytest.mark.slow
def test_generated_default_core_is_the_plans_machine(tmp_path):
    """The ZC706 default (SqueezeNet 1.1, the packed 16x64 engine): its synthesis branch, every
    initializer included (1,226 x 256 uint32_t chunks of weights), compiles clean with g++ -O0
    in under a minute; its HLS memories, counted from the code under the one-array rule, are
    the Plan's HLS memories array by array (the arena as 4 banks x 4 columns of 72, 36, 18 and
    2 bits, the staging as 4 banks x 3 columns of one image, one array per ROM): 503 BRAM36,
    the Verilog core's 537 less the second staging image; one instance per engine unit; every
    pipelined loop passes the loop-state rule."""
    plan = _emit(tmp_path / "hls", load_model("squeezenet"))
    g = run_gates(tmp_path / "hls", hls_memories.plan_arrays(plan.hls_memories))
    assert g.compile.ok and g.compile.elided == (), g.compile.diagnostics
    assert 0 < g.compile.cpu_seconds < FULL_COMPILE_BOUND_S, g.compile
    assert g.compile.max_rss_mb < 2048, g.compile  # and no more memory than a laptop has
    shapes = sorted((m.array, m.count, m.width, m.depth) for m in g.memories.memories)
    assert shapes == [("BMEM", 1, 1024, 65), ("WMEM", 1, 8192, 1_226),
                      ("arena_c0", 4, 72, 7_508), ("arena_c1", 4, 36, 7_508),
                      ("arena_c2", 4, 18, 7_508), ("arena_c3", 4, 2, 7_508),
                      ("stage_c0", 4, 18, 12_544), ("stage_c1", 4, 4, 12_544),
                      ("stage_c2", 4, 2, 12_544)], g.memories.mismatches
    assert g.memories.ok and g.memories.bram36 == plan.hls_bram36 == 503
    assert plan.bram36 == 537 and plan.bram36 - plan.hls_bram36 == 4 * (18 - 9.5)
    assert g.instances.ok, g.instances.problems
    assert g.loops.ok and len(g.loops.loops) == 6, g.loops.violations


@pytest.mark.slow
@pytest.mark.parametrize("board", ["zcu104", "vc709", "pynq-z2"])
def test_other_boards_cores_are_the_plans_machine(tmp_path, board):
    """On the ZCU104 the Plan puts the arena and the staging banks in URAM, column by column
    (each column array its own BIND_STORAGE): the code's count equals the Plan's HLS memories.
    VC709: 8 arena banks; PYNQ-Z2: 16x8, the arena in two lane groups written separately
    (the default does not fit that part, and the count says the same as the Plan)."""
    plan = _emit(tmp_path / "hls", load_model("squeezenet"), board=load_board(board))
    g = run_gates(tmp_path / "hls", hls_memories.plan_arrays(plan.hls_memories))
    assert g.memories.ok, g.memories.mismatches
    assert (g.memories.bram36, g.memories.uram) == (plan.hls_bram36, plan.hls_uram)
    assert g.compile.ok and g.instances.ok and g.loops.ok
    if board == "zcu104":
        assert (plan.hls_bram36, plan.hls_uram) == (293, 32)
        assert {m.impl for m in g.memories.memories if m.array.startswith(("arena", "stage"))
                } == {"uram"}


@pytest.fixture(scope="module")
def small_build(tmp_path_factory, small_onnx):
    from fpgagen.cli.main import main

    out = tmp_path_factory.mktemp("gates") / "small"
    assert main(["build", "--model", str(small_onnx), "--board", "zynq", "--pe", "8x8", "-q",
                 "-o", str(out)]) == 0
    return out


@pytest.mark.slow
def test_verify_reports_the_memory_count_and_fails_on_a_mismatch(small_build, tmp_path, cli):
    """The Plan in report.json says the HLS staging columns are half as deep (as if the banks
    were twice as many): the code's columns no longer match, and verify --csim fails although
    C-simulation is bit-exact."""
    copy = tmp_path / "b"
    shutil.copytree(small_build, copy)
    report = json.loads((copy / "report.json").read_text())
    stage = next(m for m in report["memory"]["hls_memories"] if m["name"] == "input_staging")
    stage["arrays"] = [dict(a, depth=a["depth"] // 2) for a in stage["arrays"]] * 2
    (copy / "report.json").write_text(json.dumps(report))
    code, out, _ = cli("verify", str(copy), "--csim", "-q")
    assert code == 1, out
    assert "C-simulation bit-exact" in out
    line = re.search(r"^HLS memories: (\d+) BRAM36 \(Plan: (\d+)\) from the code$", out, re.M)
    assert line, out
    assert "MISMATCH input_staging: the code builds " in out
    assert re.search(r"^HLS loop state: 6 pipelined loops, .*: yes", out, re.M), out
    gates = json.loads((copy / "report.json").read_text())["hls_gates"]
    assert gates["memories"]["bram36"] == int(line.group(1)) and not gates["ok"]
    assert gates["synthesis_compile"]["initializers_elided"] == []
    assert gates["loop_state"]["ok"] and len(gates["loop_state"]["loops"]) == 6
    md = (copy / "report.md").read_text()
    assert "## HLS synthesis branch" in md and "- Loop state: 6 pipelined loops" in md


def test_verify_skips_the_gates_for_a_report_without_hls_arrays(tmp_path):
    """A build from before report.json recorded the HLS core's memory arrays has nothing to
    compare the code with: the gates are not run (and say so), rather than guessed."""
    from fpgagen.cli.verify import _run_hls_gates
    from fpgagen.util.progress import Steps

    (tmp_path / "report.json").write_text(json.dumps(
        {"memory": {"memories": [{"name": "activations", "width": 64, "depth": 8}]}}))
    assert _run_hls_gates(tmp_path, Steps(True)) is None
    assert "hls_gates" not in json.loads((tmp_path / "report.json").read_text())


# --- the loop state of the pipelined loops (E) ----------------------------------------------

# A three-level loop nest written the way the HLS core's loops were: nested if/else on 32-bit
# ints, each level's address updated inside its branch, so the outermost address passes
# through three multiplexers after its adder on its way back to its register.
NEST_BAD = """
struct layer_t { int a_last, b_last, c_last, step_b, step_c; };
static int mem[64];
static void nest(const layer_t &L) {
  int a = 0, b = 0, c = 0, addr = 0, a_b = 0, a_c = 0;
  bool done = false;
nest_steps:
  while (!done) {
#pragma HLS PIPELINE II=1
    mem[addr] = 1;
    if (a != L.a_last) {
      a++;
      addr++;
    } else {
      a = 0;
      if (b != L.b_last) {
        b++;
        a_b += L.step_b;
        addr = a_b;
      } else {
        b = 0;
        if (c != L.c_last) {
          c++;
          a_c += L.step_c;
          a_b = a_c;
          addr = a_c;
        } else {
          done = true;
        }
      }
    }
  }
}
"""

# The same nest as the generator writes it: registered next-is-last flags, the stepping
# level's origin and step multiplexed in front of one adder, one multiplexer after it.
NEST_GOOD = """
struct layer_t { int a_last, b_last, c_last, step_b, step_c; };
static int mem[64];
static int step(int v, bool at) {
  return at ? 0 : v + 1;
}
static void nest(const layer_t &L) {
  int a = 0, b = 0, addr = 0, a_b = 0, a_c = 0;
  bool a_at = L.a_last == 0, b_at = L.b_last == 0, w_c = a_at && b_at, done = false;
nest_steps:
  while (!done) {
#pragma HLS PIPELINE II=1
    mem[addr] = 1;
    bool e_b = a_at, e_c = w_c;
    int next = (e_c ? a_c : e_b ? a_b : addr) + (e_c ? L.step_c : e_b ? L.step_b : 1);
    addr = next;
    if (e_b) a_b = next;
    if (e_c) a_c = next;
    int a_next = step(a, a_at);
    a = a_next;
    a_at = a_next == L.a_last;
    if (e_b) {
      int b_next = step(b, b_at);
      b = b_next;
      b_at = b_next == L.b_last;
    }
    w_c = a_at && b_at;
  }
}
"""


def test_the_loop_state_rule_fails_a_nest_of_ifs_and_passes_muxed_operands():
    bad = hls_loops.check_source(NEST_BAD, {"layer_t"})
    assert not bad.ok and [x.loop for x in bad.loops] == ["nest/nest_steps"]
    # the outermost level's counter and address: adder, then its own if, b's, a's. (addr
    # itself is on no cycle with a_c: a memory address, pipelined freely; its own cycle is
    # addr++ through one multiplexer.)
    assert [str(v) for v in bad.violations] == [
        f"nest/nest_steps: {r}'s next value goes through 3 multiplexers after an adder or "
        "comparator (at most 2 on a loop-carried cycle)" for r in ("a_c", "c")]
    good = hls_loops.check_source(NEST_GOOD, {"layer_t"})
    assert good.ok, [str(v) for v in good.violations]
    (loop,) = good.loops
    # the step() helper is inlined: its `at ? 0 : v + 1` is the counter's one multiplexer,
    # the enable's `if` the second
    assert loop.worst == 2 and {"a", "a_at", "b", "b_at", "addr", "a_b", "a_c", "w_c"} <= set(
        loop.carried)


def test_the_loop_state_rule_counts_what_follows_an_adder_on_a_cycle():
    """A multiplexer in front of an adder is free; a comparator starts the count as an adder
    does; a memory read cuts a path; a path outside every cycle (here x -> y) is not held to
    the rule."""
    def worst(body: str, decls: str = "int x = 0, y = 0, z = 0; bool f = false;") -> int:
        src = (f"static int mem[8];\nstatic void u() {{\n  {decls}\n  while (true) {{\n"
               f"#pragma HLS PIPELINE II=1\n{body}\n  }}\n}}\n")
        (loop,) = hls_loops.check_source(src, set()).loops
        return loop.worst

    assert worst("x = (f ? y : f ? z : x) + 1;") == 0           # muxes before the adder
    assert worst("x = f ? (f ? x + 1 : 0) : x;") == 2           # two after it
    assert worst("if (f) { if (x == 3) x = 0; else x = x + 2; }") == 2
    assert worst("x = f ? (f ? (f ? x + 1 : 0) : 1) : x;") == 3
    assert worst("x = x + 1; y = f ? (f ? (f ? x : 0) : 1) : 2;") == 0  # x -> y: no cycle
    assert worst("x = mem[x & 7]; x = f ? (f ? (f ? x : 0) : 1) : 2;") == -1  # read register
    # a function the file does not define cannot be vouched for
    opaque = hls_loops.check_source("static void u() {\n  int x = 0;\n  while (true) {\n"
                                    "#pragma HLS PIPELINE II=1\n    x = mystery(x);\n  }\n}\n",
                                    set())
    assert not opaque.ok and opaque.problems == (
        "u/loop at line 3: calls mystery, which fpgagen.cpp does not define: its logic cannot "
        "be checked",)


def test_the_pre_rewrite_core_fails_the_loop_state_rule(tmp_path):
    """The generated core from before the loop-state rewrite (tests/hls_fixtures/wide_counters,
    the small net): its conv and max-pool loops step 32-bit int counters and addresses inside
    nested if/else chains, three to five multiplexers after the adder."""
    old = _copy(FIXTURES / "wide_counters", tmp_path / "w")
    src = hls_synth.prepare(old, tmp_path / "p", hls_synth.DECLARATIONS_ONLY)
    res = hls_loops.check_preprocessed(hls_synth.preprocess(src), src.root)
    assert not res.ok and len(res.loops) == 6
    bad = {v.loop for v in res.violations}
    assert bad == {"conv_engine/conv_steps", "maxpool_unit/pool_steps"}
    assert ("conv_engine/conv_steps: cur.o_row's next value goes through 5 multiplexers after an "
            "adder or comparator (at most 2 on a loop-carried cycle)") in map(str, res.violations)


def test_generated_small_core_passes_the_loop_state_rule(tmp_path, small_onnx):
    gr, _ = load_onnx(small_onnx)
    _emit(tmp_path / "hls", gr, EngineConfig(8, 8))
    src = hls_synth.prepare(tmp_path / "hls", tmp_path / "p", hls_synth.DECLARATIONS_ONLY)
    res = hls_loops.check_preprocessed(hls_synth.preprocess(src), src.root)
    assert res.ok, [str(v) for v in res.violations]
    assert [x.loop for x in res.loops] == [
        "conv_engine/conv_steps", "maxpool_unit/pool_steps", "avgpool_unit/avg_steps",
        "add_unit/add_steps", "load_image/load_pixels", "send_logits/send_values"]
    conv = res.loops[0]
    # the registers the conv loop carries: the nest's counters and flags, the address chains
    assert {"cb", "cb_at", "cb_nr", "w_ky", "w_oy", "addr", "a_kx", "cur.a_row", "cur.o_row",
            "waddr", "acc", "res", "tail", "done"} <= set(conv.carried)
