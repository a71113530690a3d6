"""fg_engine through the generated top: single-layer graphs with the awkward shapes, every
rounding and saturation mode, bit-exact against the golden model, layer by layer.

The cocotb test is the whole-design bench of ``fpgagen.verify.rtlbench`` (HDL clock, image
stream and logits sink in ``fpgagen_tb.v``; Python resets, starts and awaits done), run on the
top that ``emit_rtl`` generates around fg_engine for each tiny graph. Every layer output is
read back from an arena dump after its table entry and compared with the golden model, and the
streamed logits (count, TLAST, values) too.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from fpgagen.driver.fpgagen_driver import STATUS_LOADED, WEIGHTS_ERROR, WEIGHTS_LOADED
from fpgagen.frontend import graph as g
from fpgagen.frontend.weights import random_weights
from fpgagen.machine.context import lower
from fpgagen.machine.engine_table import table_words
from fpgagen.pipeline import make_design
from fpgagen.plan.boards import load_board
from fpgagen.plan.budget import judge
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import make_plan
from fpgagen.quant.freeze import requantize, types_record
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, quantize
from fpgagen.rtl.emit import emit_rtl
from fpgagen.verify import rtlbench, rtlfigures, rtlresults
from fpgagen.verify.vectors import write_vectors


def edge_graph() -> g.Graph:
    """Cin = 3 from the image, odd 13x11 input, stride 2 + pad 1, a ceil-mode pool that
    overhangs, a fire module with concat, a signed branch into an add, a conv without ReLU
    and a global average pool (the same graph as the HLS edge tests)."""
    return g.make_graph("edge", (13, 11, 3), [
        g.conv("c1", g.INPUT, 8, 3, 2, 1), g.maxpool("p1", "c1"),
        g.conv("sq", "p1", 4, 1), g.conv("e1", "sq", 8, 1), g.conv("e3", "sq", 8, 3, pad=1),
        g.concat("cat", "e1", "e3"), g.conv("side", "p1", 16, 1, relu=False),
        g.add("byp", "cat", "side"), g.conv("c10", "byp", 10, 1, relu=False),
        g.avgpool("gap", "c10")])


def pool_graph() -> g.Graph:
    """A pool with padding and a 2x2 window on an odd map (overhang on both edges), a 5x5
    conv with pad 2, and a signed (no-ReLU) input to the max-pool."""
    return g.make_graph("pools", (9, 7, 3), [
        g.conv("c1", g.INPUT, 6, 5, 1, 2, relu=False), g.maxpool("p1", "c1", 2, 2, pad=1),
        g.conv("c2", "p1", 12, 3, 2, 0), g.maxpool("p2", "c2", 3, 1, pad=1),
        g.avgpool("gap", "p2")])


def carry_graph() -> g.Graph:
    """Max-pools that reuse columns (S < K <= 2S): 3x3/2 with pad 1 on an even 12x12 map,
    whose last window in each row and column holds one inside column (the carried one) and
    nothing new; and a 4x4/3 pool (one shared column) on a signed input."""
    return g.make_graph("carry", (12, 12, 3), [
        g.conv("c1", g.INPUT, 8, 3, 1, 1, relu=False), g.maxpool("p1", "c1", 3, 2, pad=1),
        g.conv("c2", "p1", 8, 1, relu=False), g.maxpool("p2", "c2", 4, 3),
        g.conv("c3", "p2", 6, 1), g.avgpool("gap", "c3")])


def dense_graph() -> g.Graph:
    """A 1x1 conv on the image fused with a 3x3/1 pool (no column reuse: K > 2S). On a 4x8
    engine every conv beat ends a dot product whose result takes two arena writes, so the
    concurrently running pool must wait for the write port (its credit stall); and the conv
    is faster than the pool, so it must wait for ring slots (K + S = 4 of its 9 rows) that
    the pool has not read yet. Mutating either wait away fails this test."""
    return g.make_graph("dense", (9, 40, 3), [
        g.conv("c1", g.INPUT, 8, 1), g.maxpool("p1", "c1", 3, 1, pad=1),
        g.conv("c2", "p1", 5, 1), g.avgpool("gap", "c2")])


def split_graph() -> g.Graph:
    """Narrow 1x1 convs that the engine splits into column groups (fpgagen/plan/engine.py
    conv_split), on a 4x16 engine (NW = 4 banks): s4 reads 4 words and has 4 channels (G = 4,
    one beat per pixel), s8 8 channels from 6 words (G = 2: 6 is not a multiple of 4, three
    beats), sn a signed input (no ReLU before it) split 4 ways over 8 words; next to them
    unsplit 1x1 and 3x3 convs, a pool and the average pool, so a split layer's column groups
    and partial sums must not leak into its neighbours."""
    return g.make_graph("split", (10, 9, 3), [
        g.conv("c1", g.INPUT, 16, 3, 1, 1), g.conv("s4", "c1", 4, 1),
        g.conv("e24", "s4", 24, 3, pad=1), g.conv("s8", "e24", 8, 1),
        g.conv("w32", "s8", 32, 1, relu=False), g.conv("sn", "w32", 4, 1),
        g.maxpool("p1", "sn", 2, 2), g.conv("c10", "p1", 10, 1), g.avgpool("gap", "c10")])


NEGATIVE_SHIFT_TOML = """[model]
precision = "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
[layers.byp]
result = "ap_fixed<8,-1,AP_TRN,AP_WRAP>"
"""


def run_graph(tmp: Path, gr: g.Graph, precision: str, pe: tuple[int, int], fuse: bool,
              scale: float, backpressure: int = 0, pack: bool | None = None):
    if precision == "toml":
        path = tmp / "p.toml"
        path.write_text(NEGATIVE_SHIFT_TOML)
        precision = str(path)
    prec = parse_precision(precision)
    qg = quantize(gr, random_weights(gr, 3), prec, calibration_inputs(gr, 3))
    engine = EngineConfig(pe[0], pe[1], p_pix=pe[2] if len(pe) > 2 else 1)
    plan = make_plan(gr, load_board("zynq"), prec, engine=engine, fuse=fuse, pack=pack)
    design = make_design(plan, qg, judge(plan), {}, calibration_inputs(gr, 7, 1)[0] * scale)
    emit_rtl(tmp / "rtl", lower(plan, qg))
    write_vectors(tmp / "vectors", qg, design.outputs)
    run = rtlbench.run_rtl(tmp / "rtl", tmp / "vectors" / "input.hex", tmp / "work",
                           max_cycles=200_000, backpressure=backpressure)
    results, missing = rtlresults.compare_rtl(run, tmp / "rtl", tmp / "vectors")
    return qg, plan, design, run, results, missing


@pytest.mark.parametrize(("precision", "pe", "fuse", "scale"), [
    ("8", (4, 8), True, 1.0),
    ("16", (8, 4), False, 1.0),
    ("ap_fixed<8,2,AP_TRN,AP_WRAP>", (4, 8), True, 8.0),
    ("ap_fixed<8,1,AP_RND_CONV,AP_SAT>", (8, 4), True, 30.0),
    ("ap_fixed<12,3,AP_RND,AP_WRAP>", (4, 4), False, 20.0),
    ("toml", (4, 8), True, 4.0),
], ids=["w8-4x8", "w16-8x4-nofuse", "trn-wrap", "rndconv-sat-heavy", "rnd-wrap-4x4", "neg-shift"])
def test_edge_layers_bit_exact(tmp_path, precision, pe, fuse, scale):
    qg, _plan, design, run, results, missing = run_graph(tmp_path, edge_graph(), precision, pe,
                                                         fuse, scale)
    assert not missing
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0]
    compared = {r.name for r in results}
    expected = {lay.name for lay in qg.graph.layers} | {"logits (out_stream)",
                                                         "control (s_axi_control)"}
    if fuse:
        expected.discard("c1")  # a fused conv's output is a ring, compared through p1
    assert compared == expected
    assert len(run.logits) == 10 and run.out_last_index == run.out_count - 1
    if precision.startswith("ap_fixed<8,1"):
        t_c1 = qg.type("c1")
        assert np.any(design.outputs["c1"] == t_c1.qmax), "conv1 never saturates"
    if precision == "toml":
        assert qg.qlayer("byp").shift < 0, "the override should make the add shift left"


def test_packed_engine_bit_exact(tmp_path):
    """Two MACs per DSP (fg_mul2 under fg_pe_array PACK = 1, the engine `--pe 16x64` gets on
    the ZC706) through every layer of the edge graph: forced on a 4x8 engine, at w8a8 with
    saturating activations and -128 weights (the packed operand's extreme field)."""
    qg, plan, _design, _run, results, missing = run_graph(
        tmp_path, edge_graph(), "ap_fixed<8,1,AP_RND_CONV,AP_SAT>", (4, 8), True, 30.0,
        pack=True)
    assert plan.engine.pack and plan.engine.dsp == 4 * 8 // 2 + 4
    assert min(int(q.weights.min()) for q in qg.qlayers.values() if q.layer.op == "conv") == -128
    assert ".PACK(1)" in (tmp_path / "rtl" / "fpgagen_top.v").read_text()
    assert not missing
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0]
    assert {r.name for r in results} >= {lay.name for lay in qg.graph.layers} - {"c1"}


@pytest.mark.parametrize("pack", [False, True], ids=["split", "split-packed"])
def test_split_convs_bit_exact(tmp_path, pack):
    """Split narrow convs (G = 4 and 2, signed input) bit-exact layer by layer, one MAC per
    DSP and packed (column groups of 4 share activations pairwise)."""
    qg, plan, _design, _run, results, missing = run_graph(
        tmp_path, split_graph(), "ap_fixed<8,2,AP_RND_CONV,AP_SAT>", (4, 16), True, 8.0,
        pack=pack)
    assert {n: w.split for n, w in plan.weights.items() if w.split > 1} == \
        {"s4": 4, "s8": 2, "sn": 4}
    assert plan.engine.pack == pack
    assert not missing
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0]
    assert {r.name for r in results} >= {lay.name for lay in qg.graph.layers} - {"sn"}


@pytest.mark.parametrize(("pe", "fuse", "backpressure"), [((4, 8), True, 0b0011),
                                                         ((8, 8), False, 0)])
def test_pools_and_backpressure(tmp_path, pe, fuse, backpressure):
    """Padded and 2x2 max-pools, 5x5 conv; logits under out_stream backpressure."""
    _, _, _, run, results, missing = run_graph(tmp_path, pool_graph(), "8", pe, fuse, 4.0,
                                               backpressure)
    assert not missing
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0]
    assert len(run.logits) == 12 and run.out_last_index == run.out_count - 1


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "unfused"])
def test_pool_column_carry(tmp_path, fuse):
    """Column reuse in the max-pool unit, including windows whose only inside column is the
    carried one, fused with the conv before it (read from the ring) and not."""
    qg, _, _, run, results, missing = run_graph(tmp_path, carry_graph(), "8", (4, 8), fuse, 4.0)
    assert qg.graph.shape("p1")[:2] == (7, 7) and qg.graph.shape("p2")[:2] == (2, 2)
    assert not missing
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0]
    assert {r.name for r in results} >= {"p1", "p2", "logits (out_stream)"}
    assert len(run.logits) == 6 and run.out_last_index == run.out_count - 1


def test_fused_pool_waits_for_the_write_port(tmp_path):
    """The pool of a concurrent fused pair under a conv that writes every cycle."""
    _, plan, _, run, results, missing = run_graph(tmp_path, dense_graph(), "8", (4, 8), True,
                                                   4.0)
    assert [(f.conv, f.ring_rows) for f in plan.fusions] == [("c1", 3 + 1)]
    assert not missing
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0]
    assert len(run.logits) == 5 and run.out_last_index == run.out_count - 1


@pytest.mark.parametrize(("graph", "pe", "fuse", "precision"), [
    (edge_graph, (4, 8, 3), True, "ap_fixed<8,1,AP_RND_CONV,AP_SAT>"),
    (edge_graph, (8, 4, 2), False, "16"),
    (carry_graph, (4, 8, 4), True, "8"),
    (split_graph, (4, 16, 2), True, "ap_fixed<8,2,AP_RND_CONV,AP_SAT>"),
    (dense_graph, (4, 8, 4), True, "8"),
], ids=["edge-3pix", "edge-8x4-2pix-nofuse", "carry-4pix", "split-2pix", "dense-4pix"])
def test_pixel_banks_bit_exact(tmp_path, graph, pe, fuse, precision):
    """Several output pixels a beat (pixel banks, PP = 2, 3, 4): every layer of the edge graph
    (conv on the image at stride 2 beside its fused pool, 3x3 and 1x1 convs, concat, add,
    average pool), pools with padding and overhang (the chunk's pixels past the window or the
    edge), split convs (phase 0, column groups per array copy), a fused pool beside a conv that
    writes every cycle, on lane groups (P_OUT < P_IN) too; rows whose width is no multiple of
    PP (the padded pixel groups), bit-exact layer by layer."""
    qg, plan, _design, run, results, missing = run_graph(tmp_path, graph(), precision, pe, fuse,
                                                         8.0)
    assert plan.engine.p_pix == pe[2] and f".PP({pe[2]})" in \
        (tmp_path / "rtl" / "fpgagen_top.v").read_text()
    assert not missing
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0]
    fused = {f.conv for f in plan.fusions}
    assert {r.name for r in results} >= {lay.name for lay in qg.graph.layers} - fused - {"sn"}
    assert len(run.logits) == qg.graph.shape(qg.graph.output)[2]


@pytest.mark.parametrize("slots", [2, 1], ids=["two-slots", "one-slot"])
def test_streaming_images_load_under_compute(tmp_path, slots):
    """Three images streamed back to back with auto_restart (the double-buffered staging):
    every image's logits bit-exact (the first one's layers too, from its arena dumps), and in
    steady state an image costs its compute only: ap_done to ap_done is the single-image
    latency less the image load (the next image loaded while this one computed). With one
    slot (a design that fits only so) the next image loads once conv1 + pool1 are done: here
    that still hides the load, and a loader that overwrote the image under conv1 would fail
    the bit-exact compare."""
    gr = edge_graph()
    prec = parse_precision("8")
    qg = quantize(gr, random_weights(gr, 3), prec, calibration_inputs(gr, 3))
    plan = make_plan(gr, load_board("zynq"), prec, engine=EngineConfig(4, 8), fuse=True,
                     staging_slots=slots)
    assert plan.staging_slots == slots
    emit_rtl(tmp_path / "rtl", lower(plan, qg))
    images = calibration_inputs(gr, 7, 3)
    for i, image in enumerate(images):
        design = make_design(plan, qg, judge(plan), {}, image * 4.0)
        write_vectors(tmp_path / f"vectors{i}", qg, design.outputs)
    runs = rtlbench.run_rtl_batch(tmp_path / "rtl",
                                  [tmp_path / f"vectors{i}" / "input.hex" for i in range(3)],
                                  tmp_path / "work", dump=True, stream=True, max_cycles=200_000)
    assert len(runs) == 3
    for i, run in enumerate(runs):
        results, missing = rtlresults.compare_rtl(run, tmp_path / "rtl",
                                                  tmp_path / f"vectors{i}")
        assert not missing
        bad = [r for r in results if not r.ok]
        assert not bad, (i, bad[0])
        names = {r.name for r in results}
        assert "logits (out_stream)" in names
        assert (len(names) > 2) == (i == 0), "the layers are compared on the first image only"
    assert "control (s_axi_control)" in {r.name for r in rtlresults.compare_rtl(
        runs[-1], tmp_path / "rtl", tmp_path / "vectors2")[0]}
    # the three images differ, so a core that repeated one image's logits would fail above
    assert len({run.logits for run in runs}) == 3
    latency, load = runs[0].cycles, runs[0].host["load_cycles"]
    steady = rtlfigures.streaming_cycles(runs)
    print(f"latency {latency}, load {load}, steady {steady}, counts {[r.cycles for r in runs]}")
    # the first image streams from ap_start on: the core waited for all of it, a pixel a cycle
    pixels = gr.input_shape[0] * gr.input_shape[1]
    assert pixels <= load <= pixels + 2, load
    # the steady-state image is the latency less its load, up to the few control cycles
    # of an image (ap_done -> idle -> start taken)
    assert abs((latency - steady) - load) <= 4, (latency, steady, load)
    # each later run's own count (the CYCLES register) is its compute only
    assert all(abs(run.cycles - (latency - load)) <= 4 for run in runs[1:])
    assert [run.host["frame_error"] for run in runs] == [0, 0, 0]
    if slots == 1:
        return
    # a malformed frame (TLAST on the second beat of image 2) is that image's error only: the
    # loader keeps each slot's error and the core reports it with the image (STATUS)
    beats = json.loads((tmp_path / "rtl" / "bench.json").read_text())["in_beats"]
    bad = rtlbench.run_rtl_batch(tmp_path / "rtl",
                                 [tmp_path / f"vectors{i}" / "input.hex" for i in range(3)],
                                 tmp_path / "work_bad", stream=True, bad_tlast=beats + 1,
                                 max_cycles=200_000)
    assert [run.host["frame_error"] for run in bad] == [0, 1, 0]
    assert bad[-1].host["reg_status"] == STATUS_LOADED  # weights loaded, no frame error
    assert [run.logits for run in bad] == [run.logits for run in runs]  # the frame length is fixed


@pytest.mark.slow
def test_runtime_weights_two_sets_bit_exact(tmp_path):
    """Weights loaded at run time (the Plan's weight source "runtime": no weights in the
    bitstream, rtl/ has no weights.hex): the bench's host loads weight set A through in_stream
    (WEIGHTS = 1, weights.bin's beats, WEIGHTS polled), runs an image, and every layer is
    bit-exact against golden A; the same RTL with weight set B (other float weights
    requantized into A's types, as fpgagen pack-weights does) is bit-exact against golden B.
    WEIGHTS_CRC equals zlib.crc32 of the file each time; a load one beat short ends with the
    weights not loaded (WEIGHTS error) and the CRC of the beats taken."""
    gr = edge_graph()
    prec = parse_precision("8")
    qa = quantize(gr, random_weights(gr, 3), prec, calibration_inputs(gr, 3))
    plan = make_plan(gr, load_board("zynq"), prec, engine=EngineConfig(4, 8), fuse=True,
                     weight_source="runtime")
    assert plan.weight_source == "runtime"
    assert [plan.memories[n].init for n in ("weights", "biases")] == ["stream", "stream"]
    ma = lower(plan, qa)
    float_b = {k: v * 1.5 for k, v in random_weights(gr, 11).items()}  # some saturate
    qb = requantize(gr, float_b, types_record(qa))
    mb = lower(plan, qb)
    assert table_words(ma.rows) == table_words(mb.rows), "new weights changed the table"
    assert ma.build_id == mb.build_id, "run-time weights are not part of the bitstream's id"
    assert ma.weights_bin != mb.weights_bin and len(ma.weights_bin) == len(mb.weights_bin)
    emit_rtl(tmp_path / "rtl", ma)
    assert not (tmp_path / "rtl" / "weights.hex").exists()
    assert ".WEIGHTS_INIT(0)" in (tmp_path / "rtl" / "fpgagen_top.v").read_text()
    image = calibration_inputs(gr, 7, 1)[0] * 4.0
    logits = {}
    for tag, qg, m in (("a", qa, ma), ("b", qb, mb)):
        design = make_design(plan, qg, judge(plan), {}, image)
        write_vectors(tmp_path / f"vectors_{tag}", qg, design.outputs)
        run = rtlbench.run_rtl(tmp_path / "rtl", tmp_path / f"vectors_{tag}" / "input.hex",
                               tmp_path / f"work_{tag}", weights=m.weights_bin,
                               max_cycles=200_000)
        results, missing = rtlresults.compare_rtl(run, tmp_path / "rtl",
                                                  tmp_path / f"vectors_{tag}")
        assert not missing
        bad = [r for r in results if not r.ok]
        assert not bad, (tag, bad[0])
        assert {r.name for r in results} >= {lay.name for lay in gr.layers} - {"c1"}
        assert run.host["reg_weights"] == WEIGHTS_LOADED, run.host["reg_weights"]
        assert run.host["reg_wcrc"] == zlib.crc32(m.weights_bin)
        assert run.host["wl_cycles"] >= m.weight_load.beats
        logits[tag] = run.logits
    assert logits["a"] != logits["b"], "the two weight sets gave the same logits"
    # two images through one simulator process (a batch, as eval --rtl runs): one load
    runs = rtlbench.run_rtl_batch(tmp_path / "rtl", [tmp_path / "vectors_b" / "input.hex"] * 2,
                                  tmp_path / "work_batch", weights=mb.weights_bin,
                                  max_cycles=200_000)
    assert [run.logits for run in runs] == [logits["b"]] * 2
    assert runs[0].host["wl_cycles"] >= mb.weight_load.beats and runs[1].host["wl_cycles"] == 0
    # a load one beat short: not loaded, the error bit, the CRC of what arrived; no image
    short = ma.weight_load.beats - 1
    run = rtlbench.run_rtl(tmp_path / "rtl", tmp_path / "vectors_a" / "input.hex",
                           tmp_path / "work_short", weights=ma.weights_bin, weight_beats=short,
                           max_cycles=200_000, dump=False)
    assert run.host["reg_weights"] == WEIGHTS_ERROR, run.host["reg_weights"]
    assert run.host["reg_wcrc"] == zlib.crc32(ma.weights_bin[:short * ma.weight_load.tdata_bytes])
    assert run.out_count == 0
