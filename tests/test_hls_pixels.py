"""The HLS core on pixel-parallel engines (EngineConfig.p_pix > 1, issue 25): C-simulation is
bit-exact against the golden model on every layer (the banked arena, p_pix copies of the MAC
array sharing a weight word, max-pool on column chunks, the add on pixel groups, the average
pool per pixel), its loops run the trip counts fpgagen/hls/latency.py models, and the
synthesis-branch gates hold the code to the Plan's memories, one engine instance and short
loop-carried paths. p_pix 3 is there because it is not a power of two (the phases wrap by
comparison, not by bit fields)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fpgagen.frontend import graph as g
from fpgagen.frontend.weights import random_weights
from fpgagen.hls.emit import emit_hls
from fpgagen.hls.gates import run_gates
from fpgagen.hls.latency import schedule_of
from fpgagen.hls.memories import plan_arrays
from fpgagen.machine.context import lower
from fpgagen.pipeline import make_design
from fpgagen.plan.boards import load_board
from fpgagen.plan.budget import judge
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import make_plan
from fpgagen.plan.streams import build_stream_format
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, quantize
from fpgagen.verify import csim
from fpgagen.verify.vectors import write_vectors

sys.path.insert(0, str(Path(__file__).parent))

from test_hls import _csim_edge, csim_dsps, csim_trips, model_trips


# the first two are the fast loop's C-simulations (35 to 45 s wall each on a shared 2-core
# machine, most of it g++); the third is in the slow set
@pytest.mark.parametrize(("pe", "fuse"), [
    ((4, 8, False, 2), True),
    ((8, 4, False, 3), True),
    pytest.param((4, 16, False, 3), False, marks=pytest.mark.slow),
], ids=["4x8x2-fused", "8x4x3-lane-groups", "4x16x3-banks-nofuse"])
def test_edge_layers_bit_exact_on_pixel_banks(tmp_path, pe, fuse):
    """The edge graph (stride-2 conv on the image, an overhanging ceil-mode pool, a fire
    module, an add, a global average pool) at 2 and 3 pixels a beat: every tensor equals the
    golden model, each loop runs the modelled trips, and a conv iteration computes P_in x P_out
    products for each of the p_pix pixels (one weight word)."""
    qg, design, text, code = _csim_edge(tmp_path, "8", pe, fuse, 1.0)
    assert design.plan.engine.p_pix == pe[3]
    assert code == 0, text
    compared = {ln.split()[1] for ln in text.splitlines() if ln.startswith("OK ")}
    expected = {lay.name for lay in qg.graph.layers} | {"output"}
    if fuse:
        expected.discard("c1")  # a fused conv's output is a ring, compared through p1
    assert compared == expected
    assert csim_trips(text) == model_trips(design.plan, qg)
    eng = design.plan.engine
    assert csim_dsps(text) == {"conv": eng.macs, "avg": eng.p_in}
    assert eng.macs == pe[0] * pe[1] * pe[3]


def test_pixel_core_declares_the_plans_banks(tmp_path):
    """Without a compiler (the fast loop): at 3 pixels a beat the generated core declares each
    arena column with its pixel-bank dimension, partitions it there and by word bank, has the
    Plan's staging banks, and its table rows carry the phase fields; the latency model's conv
    trips shrink by the pixel groups."""
    gr = phase_graph()
    prec = parse_precision("8")
    qg = quantize(gr, random_weights(gr, 5), prec, calibration_inputs(gr, 3))
    board = load_board("zynq")
    plan = make_plan(gr, board, prec, engine=EngineConfig(4, 16, p_pix=3), fuse=False)
    m = lower(plan, qg)
    emit_hls(tmp_path / "hls", m)
    src = (tmp_path / "hls" / "fpgagen.cpp").read_text()
    head = (tmp_path / "hls" / "fpgagen.h").read_text()
    assert "#define FG_P_PIX 3" in head and "int ph0;" in head and "int pix_step;" in head
    # the 3 pixels' taps at stride 1 span 3 pixels: 4 staging banks for 1 tap a beat
    assert (plan.stage_taps, plan.stage_banks) == (1, 4)
    assert "#define FG_STAGE_BANKS 4" in head and "#define FG_TAPS 1 " in head
    cols = [ln for ln in src.splitlines() if ln.startswith("static ap_uint<")
            and "arena_c" in ln]
    assert cols and all("[FG_P_PIX][FG_ARENA_BANKS][FG_ARENA_BANK_DEPTH]" in c for c in cols)
    for i in range(len(cols)):
        for dim in (1, 2):  # pixel banks, word banks (P_out / P_in = 4)
            assert (f"HLS ARRAY_PARTITION variable=arena_c{i} type=complete dim={dim})"
                    in src)
    arena = plan.hls_memories["activations"]
    assert len(arena.parts) == 3 * 4
    one = lower(make_plan(gr, board, prec, engine=EngineConfig(4, 16), fuse=False), qg)
    c2 = next(e for e in m.table if e.name == "c2")
    trips = {la.name: la.loops[0].total_trips for la in schedule_of(m).layers if la.loops}
    trips1 = {la.name: la.loops[0].total_trips for la in schedule_of(one).layers if la.loops}
    # one call (unfused): its outputs' steps and one tail step
    assert trips1["c2"] - 1 == c2.out_h * c2.out_w * 25 * c2.out_groups * c2.in_blocks
    assert trips["c2"] - 1 == c2.out_h * 5 * 25 * c2.out_groups * c2.in_blocks  # 14 -> 5


def phase_graph() -> g.Graph:
    """Geometry the edge graph leaves out: a stride-1 conv on the image (a beat's p_pix
    pixels' taps overlap in the staging banks), a padded stride-1 max-pool (windows starting
    left of the row: phase (-1) mod p_pix), a 5x5 conv of pad 2 on the arena (kernel columns
    across two pixel groups), a 2x2/2 pool (the window phase steps 2 a window) on rows of
    14 and 7 pixels (a last group of padding pixels)."""
    return g.make_graph("phases", (9, 14, 3), [
        g.conv("c1", g.INPUT, 8, 3, pad=1), g.maxpool("p1", "c1", 3, 1, pad=1),
        g.conv("c2", "p1", 8, 5, pad=2), g.maxpool("p2", "c2", 2, 2),
        g.conv("c3", "p2", 10, 1, relu=False), g.avgpool("gap", "c3")])


@pytest.mark.slow  # four C-simulation builds: about 35 s of CPU
@pytest.mark.parametrize("pix", [4, 5])
def test_phases_bit_exact(tmp_path, pix):
    """`phase_graph` at 4 and 5 pixels a beat (4x8, fused and not): every tensor equals the
    golden model and the loops run the modelled trips."""
    gr = phase_graph()
    prec = parse_precision("8")
    qg = quantize(gr, random_weights(gr, 5), prec, calibration_inputs(gr, 3))
    for fuse in (True, False):
        out = tmp_path / str(fuse)
        plan = make_plan(gr, load_board("zynq"), prec, engine=EngineConfig(4, 8, p_pix=pix),
                         fuse=fuse)
        design = make_design(plan, qg, judge(plan), {}, calibration_inputs(gr, 7, 1)[0])
        emit_hls(out / "hls", lower(plan, qg))
        write_vectors(out / "vectors", qg, design.outputs, build_stream_format(qg))
        csim.compile_csim(out / "hls", out / "tb")
        text, code = csim.run_csim(out / "tb", out / "vectors")
        assert code == 0, text
        compared = {ln.split()[1] for ln in text.splitlines() if ln.startswith("OK ")}
        rings = {n for n, t in plan.tensors.items() if t.kind == "ring"}  # fused convs'
        assert compared == {lay.name for lay in gr.layers} - rings | {"output"}, text
        assert csim_trips(text) == model_trips(plan, qg)


@pytest.mark.slow  # build, C-simulation and the four gates: 90 s wall
def test_digits_build_verifies_with_the_gates(cli, tmp_path):
    """`fpgagen build --pe 8x8x2` writes hls/ and system/, and `verify --csim` is bit-exact
    with every HLS gate passing (memories = the Plan's, one instance a unit, loop state)."""
    out = tmp_path / "d"
    code, _, err = cli("build", "--model", "digits", "--board", "pynq-z2", "--pe", "8x8x2",
                       "-q", "-o", str(out))
    assert code == 0, err
    assert (out / "hls" / "fpgagen.cpp").exists() and (out / "system").is_dir()
    assert "hls_note" not in json.loads((out / "report.json").read_text())
    code, text, _ = cli("verify", str(out), "--csim", "-q", "--json")
    assert code == 0, text
    result = json.loads(text)
    assert result["csim"]["bit_exact"]
    assert result["csim"]["tensors_compared"] == 17


@pytest.mark.slow  # C-simulation and the four gates: 80 s wall
def test_gates_on_three_pixel_banks(tmp_path):
    """The gates on a p_pix 3 edge build: the arena's arrays are 3 pixel banks of its columns,
    as many as `Plan.hls_memories` writes (`written_arrays`)."""
    _, design, text, code = _csim_edge(tmp_path, "8", (4, 16, False, 3), True, 1.0)
    assert code == 0, text
    gates = run_gates(tmp_path / "hls", plan_arrays(design.plan.hls_memories))
    assert gates.ok, gates.lines()
    arena = design.plan.hls_memories["activations"]
    assert len(arena.parts) == 3 * 4  # 3 pixel banks x 4 word banks (P_out / P_in)


@pytest.mark.slow
def test_squeezenet_zcu102_four_pixels_bit_exact(cli, tmp_path):
    """SqueezeNet 1.1 on the ZCU102 at --pe 16x64x4 (the board's pixel-parallel engine):
    C-simulation equals the golden model on all 38 tensors and the gates pass (measured: build
    17 s, verify --csim 60 s: compile 17 s, run 16 s, gates 21 s; the test 96 s wall on a
    loaded machine)."""
    out = tmp_path / "sq"
    code, _, err = cli("build", "--model", "squeezenet", "--board", "zcu102", "--pe",
                       "16x64x4", "-q", "-o", str(out))
    assert code == 0, err
    code, text, _ = cli("verify", str(out), "--csim", "-q", "--json")
    assert code == 0, text
    result = json.loads(text)
    assert result["csim"]["bit_exact"] and result["csim"]["tensors_compared"] == 38
