"""Liveness, conv->max-pool fusion and the activation arena."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fpgagen.errors import FpgagenError
from fpgagen.frontend import graph as g
from fpgagen.frontend.zoo import ZOO, load_model
from fpgagen.plan.memory import (
    ARENA,
    RING,
    STAGING,
    VIEW,
    Block,
    allocate,
    find_fusions,
    lower_bound,
    plan_activations,
)


def _widths(graph, bits):
    return {"input": bits, **{lay.name: bits for lay in graph.layers}}


def _plan(name, bits=8, fuse=True, p_in=16):
    graph = load_model(name)
    return graph, plan_activations(graph, p_in, _widths(graph, bits), fuse)


def _assert_no_overlap(acts):
    owned = [t for t in acts.tensors.values() if t.kind in (ARENA, RING)]
    for i, a in enumerate(owned):
        assert a.offset >= 0 and a.offset + a.words <= acts.arena_words
        for b in owned[i + 1:]:
            if a.start <= b.end and b.start <= a.end:
                assert a.offset + a.words <= b.offset or b.offset + b.words <= a.offset, (a, b)


@pytest.mark.parametrize("fuse", [True, False])
@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("model", list(ZOO))
def test_arena_reaches_lower_bound(model, bits, fuse):
    _, acts = _plan(model, bits, fuse)
    assert acts.arena_words == acts.lower_bound_words
    assert acts.arena_bytes == acts.lower_bound_bytes
    _assert_no_overlap(acts)


def test_squeezenet1_1_unfused_peaks_at_pool1():
    _graph, acts = _plan("squeezenet1_1", fuse=False)
    assert acts.arena_bytes == 111 * 111 * 64 + 55 * 55 * 64 == 982_144
    assert acts.steps[acts.peak_step - 1].layers == ("pool1",)
    assert not acts.fusions


def test_squeezenet1_1_fused_peaks_at_pool3():
    _graph, acts = _plan("squeezenet1_1")
    assert acts.arena_bytes == 387_200 + 93_312 == 480_512
    assert acts.steps[acts.peak_step - 1].layers == ("pool3",)
    (f,) = acts.fusions
    # K + S rows: conv1 reads the image, so the engine runs pool rows concurrently with it
    assert (f.conv, f.pool, f.ring_rows, f.step) == ("conv1", "pool1", 3 + 2, 1)
    ring = acts.tensors["conv1"]
    assert ring.kind == RING and ring.ring_rows == 5 and ring.words == 5 * 111 * 4
    # the pair is one step, so the pool's output is live while the ring is
    assert acts.steps[0].layers == ("conv1", "pool1")
    assert acts.tensors["pool1"].start == ring.start == 1


def test_squeezenet1_0_fusion_halves_the_arena():
    _, fused = _plan("squeezenet1_0")
    _, unfused = _plan("squeezenet1_0", fuse=False)
    assert unfused.arena_bytes == 111 * 111 * 96 + 55 * 55 * 96
    assert fused.arena_bytes < 0.7 * unfused.arena_bytes


def test_input_is_staged_not_in_arena():
    _, acts = _plan("squeezenet1_1")
    t = acts.tensors["input"]
    assert t.kind == STAGING and t.words == 224 * 224 and t.channels_padded == 3


def test_concat_producers_are_views_in_place():
    _, acts = _plan("squeezenet1_1")
    cat = acts.tensors["fire2_concat"]
    e1, e3 = acts.tensors["fire2_expand1x1"], acts.tensors["fire2_expand3x3"]
    assert cat.kind == ARENA and cat.words == 55 * 55 * 8
    assert e1.kind == e3.kind == VIEW and e1.words == e3.words == 0
    assert (e1.parent, e1.channel_offset, e1.offset) == ("fire2_concat", 0, cat.offset)
    assert (e3.channel_offset, e3.offset) == (64, cat.offset + 4)
    assert e1.pixel_stride == e3.pixel_stride == 8 and e1.words_per_pixel == 4
    # the concat is live from its first producer on
    assert cat.start == acts.tensors["fire2_squeeze1x1"].start + 1


def test_channels_are_padded_to_p_in():
    _graph, acts = _plan("zynqnet")
    conv10 = acts.tensors["conv10"]
    assert conv10.channels_padded == 1024
    sq = acts.tensors["fire8_squeeze3x3"]  # 112 channels = 7 words
    assert sq.words_per_pixel == 7 and sq.words == 8 * 8 * 7
    assert not acts.fusions  # ZynqNet has no max-pools


def test_output_stays_live_to_the_end():
    _, acts = _plan("squeezenet1_1")
    assert acts.tensors["pool10"].end == len(acts.steps)


def test_concat_offset_must_be_whole_words():
    net = g.make_graph("odd", (8, 8, 3), [
        g.conv("a", "input", 24, 1), g.conv("b", "input", 16, 1), g.concat("c", "a", "b"),
        g.conv("d", "c", 10, 1)])
    with pytest.raises(FpgagenError, match="P_in=16"):
        plan_activations(net, 16, _widths(net, 8))
    acts = plan_activations(net, 8, _widths(net, 8))
    assert acts.tensors["b"].offset == acts.tensors["c"].offset + 3


def test_input_cannot_be_concatenated_in_place():
    net = g.make_graph("cat_in", (8, 8, 16), [
        g.conv("a", "input", 16, 1), g.concat("c", "input", "a"), g.conv("d", "c", 10, 1)])
    with pytest.raises(FpgagenError, match="input image"):
        plan_activations(net, 16, _widths(net, 8))


def test_allocator_beats_plain_first_fit():
    # In start order, first fit puts b at 0 and a at 3; c overlaps a in time and goes on top
    # (11 words). a at 0 and b, c both at 4 (they never live together) needs only 8.
    blocks = [Block("a", 2, 4, 4), Block("b", 1, 2, 3), Block("c", 3, 5, 4)]
    alloc = allocate(blocks)
    assert alloc.words == lower_bound(blocks) == 8
    assert alloc.offsets["b"] == alloc.offsets["c"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 6), st.integers(1, 50)),
                min_size=1, max_size=14))
def test_allocation_is_valid(raw):
    blocks = [Block(f"t{i}", s, s + d, size) for i, (s, d, size) in enumerate(raw)]
    alloc = allocate(blocks, tries=20)
    assert alloc.words >= lower_bound(blocks)
    for i, a in enumerate(blocks):
        for b in blocks[i + 1:]:
            if a.overlaps(b):
                oa, ob = alloc.offsets[a.name], alloc.offsets[b.name]
                assert oa + a.size <= ob or ob + b.size <= oa


def test_ring_rows_only_grow_for_a_conv_on_the_image():
    """A fused conv that reads the arena keeps a ring of the pool's K rows (its pool cannot run
    concurrently: one read port); one on the image gets K + S, capped at the conv's height."""
    gr = g.make_graph("rings", (9, 9, 3), [
        g.conv("c1", g.INPUT, 8, 3, 1, 1), g.maxpool("p1", "c1", 3, 2),
        g.conv("c2", "p1", 8, 3, 1, 1), g.maxpool("p2", "c2", 3, 2), g.avgpool("gap", "p2")])
    rings = {conv: rows for conv, _pool, rows in find_fusions(gr)}
    assert rings == {"c1": 3 + 2, "c2": 3}
    small = g.make_graph("small", (4, 4, 3), [
        g.conv("c1", g.INPUT, 8, 1), g.maxpool("p1", "c1", 3, 2), g.avgpool("gap", "p1")])
    assert find_fusions(small) == [("c1", "p1", 4)]
