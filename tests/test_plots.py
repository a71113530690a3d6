"""The report's pictures (fpgagen/report/plots.py): PNG files next to report.md, linked from it,
drawn from report.json's numbers, byte-identical when drawn again, redrawn when the numbers change
(``verify --rtl``), and the confusion matrix ``fpgagen eval`` draws."""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from small_onnx import write_small_onnx
from test_rtl import needs_sim

from fpgagen.report import plots
from fpgagen.report.report import update_report, write_report

FILES = [k.file for k in plots.KINDS]
REPO = Path(__file__).resolve().parent.parent


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR; fails on anything that is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == plots.PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The small fire-module net (a fused conv + pool ring, two concats of views) on 8x8."""
    from fpgagen.cli.main import main

    tmp = tmp_path_factory.mktemp("plots")
    out = tmp / "b"
    assert main(["build", "--model", str(write_small_onnx(tmp / "small.onnx")), "--board",
                 "zynq", "--pe", "8x8", "-q", "-o", str(out)]) == 0
    return out


def _copy(build: Path, dest: Path) -> Path:
    shutil.copytree(build, dest)
    return dest


def _report(d: Path) -> dict:
    return json.loads((d / "report.json").read_text())


def test_build_writes_the_pictures_linked_from_report_md(built):
    md = (built / "report.md").read_text()
    for name in FILES:
        w, h = png_size(built / name)
        assert 500 <= w <= 4000 and 150 <= h <= 3000, (name, w, h)
        assert re.search(rf"!\[[^\]]+\]\({re.escape(name)}\)", md), name
    from PIL import Image

    for name in FILES:  # a decoder reads every byte of it
        with Image.open(built / name) as im:
            im.load()


def test_cycles_series_is_the_reports_estimate(built):
    r = _report(built)
    s = plots.cycle_series(r)
    costly = [lay for lay in r["layers"] if lay["cycles_estimate"]]
    assert s.layers == (*(lay["name"] for lay in costly), plots.REST)
    assert s.estimate[:-1] == tuple(lay["cycles_estimate"] for lay in costly)
    assert sum(s.estimate) == s.estimate_total == r["estimate"]["cycles"]
    assert s.measured is None and s.util_measured is None
    hls = r["hls"]["cycles_per_layer"]  # the HLS schedule's modelled cycles, the third source
    assert s.modelled[:-1] == tuple(hls.get(name) for name in s.layers[:-1])
    assert sum(v or 0 for v in s.modelled) == s.modelled_total == r["hls"]["cycles"]
    per_mac = r["engine"]["p_in"] * r["engine"]["p_out"]
    for lay, u in zip(costly, s.util_estimate, strict=False):
        assert u == (lay["macs"] / (lay["cycles_estimate"] * per_mac) if lay["macs"] else None)
    assert all(0 < u <= 1 for u in s.util_estimate if u is not None)


def test_sqnr_series_is_what_run_measures_on_the_same_image(built, cli):
    """The build's per-layer SQNR is `fpgagen run`'s for the same model, seed and image."""
    r = _report(built)
    s = plots.sqnr_series(r)
    assert s.layers == tuple(lay["name"] for lay in r["layers"])
    model = next(built.parent.glob("*.onnx"))
    code, out, _ = cli("run", "--model", str(model), "-q", "--json")
    assert code == 0
    ran = json.loads(out)["sqnr_db"]
    for name, db in zip(s.layers, s.db, strict=True):
        assert (math.isinf(db) and ran[name] is None) or abs(db - ran[name]) <= 0.006, name
    assert r["quality"]["input_sqnr_db"] == pytest.approx(ran["input"], abs=0.006)
    assert s.input_db == r["quality"]["input_sqnr_db"]


def test_arena_series_is_the_plans_placement(built):
    r = _report(built)
    s = plots.arena_series(r)
    rows = {row["name"]: row for row in r["memory"]["layers"]}
    arena = next(m for m in r["memory"]["memories"] if m["name"] == "activations")
    assert s.arena_words == arena["depth"] and s.word_bits == arena["width"]
    assert len(s.steps) == max(row["step"] for row in rows.values())
    kinds = {b.kind for b in s.boxes}
    assert kinds == {"arena", "ring", "view"}  # this net has all three
    owners = [b for b in s.boxes if b.kind != "view"]
    assert {b.name for b in owners} == {n for n, row in rows.items() if row["arena_words"]}
    for b in owners:
        row = rows[b.name]
        assert (b.lo, b.hi) == (row["arena_offset_words"],
                                row["arena_offset_words"] + row["arena_words"])
        assert [b.first, b.last] == row["live_steps"] and b.kind == row["storage"]
        assert 0 <= b.lo < b.hi <= s.arena_words
    # tensors live at the same step never share a word
    for i, a in enumerate(owners):
        for b in owners[i + 1:]:
            if a.first <= b.last and b.first <= a.last:
                assert a.hi <= b.lo or b.hi <= a.lo, (a.name, b.name)
    # a concat's views split its box by channels, from the step that writes each
    by_name = {b.name: b for b in s.boxes}
    for parent in {b.parent for b in s.boxes if b.kind == "view"}:
        views = sorted((b for b in s.boxes if b.parent == parent), key=lambda b: b.lo)
        p = by_name[parent]
        assert views[0].lo == p.lo and views[-1].hi == p.hi
        assert all(a.hi == b.lo for a, b in itertools.pairwise(views))
        assert all(v.first == rows[v.name]["step"] and v.last == p.last for v in views)
        assert all(v.parent == rows[v.name]["view_of"] for v in views)  # no concat of concats
    ring = next(b for b in s.boxes if b.kind == "ring")
    assert ring.note == f"ring of {rows[ring.name]['ring_rows']} rows -> " + next(
        f["pool"] for f in r["fusion"] if f["conv"] == ring.name)


def test_bram_series_is_the_plans_mapping_and_the_part(built):
    r = _report(built)
    s = plots.bram_series(r)
    mems = r["memory"]["memories"]
    assert s.memories == tuple(m["name"] for m in mems)
    assert math.ceil(sum(s.bram36)) == s.bram36_total == r["memory"]["bram36"]
    assert s.part_bram36 == r["part_resources"]["bram36"] == 545  # the ZC706's XC7Z045
    assert s.part_uram == 0 and s.synth_bram36 is None
    # after `fpgagen synth`: Yosys's count beside the Plan's
    synth = plots.bram_series({**r, "synth": {"bram36_equiv": 12.5, "uram": 0}})
    assert (synth.synth_bram36, synth.synth_uram) == (12.5, 0)
    assert plots.draw_bram(synth) != plots.draw_bram(s)


def test_pictures_are_byte_identical_when_drawn_again(built, tmp_path):
    copy = _copy(built, tmp_path / "b")
    before = {name: (copy / name).read_bytes() for name in FILES}
    for name in FILES:
        (copy / name).unlink()
    write_report(copy, _report(copy))
    assert {name: (copy / name).read_bytes() for name in FILES} == before
    # and in another process (fonts, caches and hash seeds of its own)
    draw = ("import json, sys; from pathlib import Path; from fpgagen.report import plots; "
            "r = json.loads(Path(sys.argv[1]).read_text()); s = plots.bram_series(r); "
            "sys.stdout.buffer.write(plots.draw_bram(s, stamp=plots.picture_stamp("
            "'report_bram.png', s)))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]), "PYTHONHASHSEED": "7"}
    res = subprocess.run([sys.executable, "-c", draw, str(copy / "report.json")],
                         capture_output=True, env=env, timeout=120, check=True)
    assert res.stdout == before["report_bram.png"]


def _stamps(d: Path) -> dict[str, tuple[int, int]]:
    """Each picture's file identity and write time: unchanged when it was not redrawn."""
    return {name: ((d / name).stat().st_ino, (d / name).stat().st_mtime_ns) for name in FILES}


def test_rtl_cycles_redraw_the_cycles_picture_only(built, tmp_path):
    """A report updated with measured cycles shows them; other pictures are not redrawn, and a
    section no picture shows redraws nothing."""
    copy = _copy(built, tmp_path / "b")
    stat = _stamps(copy)
    update_report(copy, "csim", {"bit_exact": True, "tensors_compared": 3,
                                 "compile_seconds": 1.0, "run_seconds": 1.0})
    assert _stamps(copy) == stat
    r = _report(copy)
    measured = {lay["name"]: lay["cycles_estimate"] + 7 for lay in r["layers"]
                if lay["op"] != "concat"}
    total = sum(measured.values()) + 1234
    update_report(copy, "rtl", {"bit_exact": True, "tensors_compared": 3, "cycles": total,
                                "cycles_per_layer": measured, "mac_utilization": 0.5,
                                "image_load_cycles": 1000, "build_seconds": 1.0,
                                "run_seconds": 1.0})
    s = plots.cycle_series(_report(copy))
    assert s.measured[:-1] == tuple(measured[n] for n in s.layers[:-1])
    assert s.measured[-1] == 1234 and sum(s.measured) == s.measured_total == total
    per_mac = r["engine"]["p_in"] * r["engine"]["p_out"]
    macs = {lay["name"]: lay["macs"] for lay in r["layers"]}
    assert s.util_measured[:-1] == tuple(
        macs[n] / (measured[n] * per_mac) if macs[n] else None for n in s.layers[:-1])
    cycles = copy / "report_cycles.png"
    assert cycles.read_bytes() != (built / "report_cycles.png").read_bytes()
    assert plots.png_text(cycles, plots.STAMP_KEY) == plots.picture_stamp(cycles.name, s)
    after = _stamps(copy)
    assert after[cycles.name] != stat[cycles.name]
    assert {n: v for n, v in after.items() if n != cycles.name} == {
        n: v for n, v in stat.items() if n != cycles.name}


@pytest.mark.slow
@needs_sim
def test_verify_rtl_report_shows_the_measured_cycles(built, tmp_path, cli):
    """End to end: the cycles picture after ``verify --rtl`` is drawn from its measurement."""
    copy = _copy(built, tmp_path / "b")
    code, out, err = cli("verify", str(copy), "--rtl", "-q")
    assert code == 0, out + err
    r = _report(copy)
    s = plots.cycle_series(r)
    assert s.measured_total == r["rtl"]["cycles"]
    assert s.measured[:-1] == tuple(r["rtl"]["cycles_per_layer"].get(n) for n in s.layers[:-1])
    cycles = copy / "report_cycles.png"
    assert plots.png_text(cycles, plots.STAMP_KEY) == plots.picture_stamp(cycles.name, s)


def test_a_report_without_the_data_has_no_pictures(built, tmp_path):
    """An old or partial report draws what it has; a picture whose data is gone is removed."""
    copy = _copy(built, tmp_path / "b")
    r = _report(copy)
    for lay in r["layers"]:
        del lay["sqnr_db"]
    del r["memory"]["layers"]
    write_report(copy, r)
    md = (copy / "report.md").read_text()
    assert not (copy / "report_sqnr.png").exists() and "report_sqnr.png" not in md
    assert not (copy / "report_arena.png").exists() and "report_arena.png" not in md
    assert "(report_cycles.png)" in md and "(report_bram.png)" in md
    write_report(copy, {**r, "layers": [], "memory": {k: v for k, v in r["memory"].items()
                                                      if k != "memories"}})
    assert "## Pictures" not in (copy / "report.md").read_text()
    assert not list(copy.glob("report_*.png"))


def test_drawing_leaves_matplotlib_as_it_found_it(built):
    """The pictures look the same whatever the caller's matplotlib settings, and drawing them
    changes none of those settings (no backend switch, no pyplot figures left open)."""
    rc = dict(matplotlib.rcParams)
    backend = matplotlib.get_backend()
    series = plots.sqnr_series(_report(built))
    plain = plots.draw_sqnr(series)
    with matplotlib.rc_context({"lines.linewidth": 9.0, "font.size": 31.0}):
        assert plots.draw_sqnr(series) == plain
    assert dict(matplotlib.rcParams) == rc and matplotlib.get_backend() == backend
    plt = sys.modules.get("matplotlib.pyplot")
    assert plt is None or plt.get_fignums() == []


def test_confusion_matrix_for_ten_classes(tmp_path):
    counts = np.array([[50 if i == j else (i + j) % 3 for j in range(10)] for i in range(10)])
    counts[3] = 0  # a class with no images
    labels = [str(k) for k in range(10)]
    s = plots.confusion_series(counts, labels)
    assert s.row_accuracy[3] is None
    assert s.row_accuracy[0] == 50 / counts[0].sum()
    assert s.top1 == np.trace(counts) / counts.sum()
    path = plots.confusion_matrix_png(counts, labels, tmp_path / "c.png")
    assert path == tmp_path / "c.png"
    w, h = png_size(path)
    assert 400 <= w <= 2000 and 400 <= h <= 2000
    first = path.read_bytes()
    plots.confusion_matrix_png(counts, labels, path)
    assert path.read_bytes() == first


def test_confusion_matrix_for_a_thousand_classes(tmp_path):
    rng = np.random.default_rng(0)
    n = 1000
    counts = np.diag(rng.integers(0, 50, n)) + rng.integers(0, 2, (n, n))
    path = plots.confusion_matrix_png(counts, [f"class {k}" for k in range(n)], tmp_path / "c.png")
    w, h = png_size(path)
    assert 800 <= w <= 2000 and 800 <= h <= 2000


@pytest.mark.parametrize("counts, labels", [
    (np.zeros((3, 4), dtype=int), ["a", "b", "c"]),
    (np.zeros((3, 3), dtype=int), ["a", "b"]),
    (np.full((2, 2), -1), ["a", "b"]),
    (np.full((2, 2), 0.5), ["a", "b"]),
])
def test_confusion_matrix_rejects_bad_counts(counts, labels):
    with pytest.raises(ValueError, match="confusion counts"):
        plots.confusion_series(counts, labels)


def test_bram_picture_has_the_dsp_bar(built):
    r = _report(built)
    s = plots.bram_series(r)
    assert (s.dsp, s.part_dsp, s.synth_dsp) == (r["engine"]["dsp"], r["part_resources"]["dsp"],
                                                None)
    fig = plots.draw_bram.__wrapped__(s)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert f"DSP: the Plan {r['engine']['dsp']:,} of {r['part_resources']['dsp']:,}" in titles


def test_sqnr_picture_has_the_20_db_line(built):
    s = plots.sqnr_series(_report(built))
    ax = plots.draw_sqnr.__wrapped__(s).axes[0]
    flat = [ln for ln in ax.get_lines() if len(set(ln.get_ydata())) == 1]
    assert any(ln.get_ydata()[0] == 20.0 and ln.get_label().startswith("20 dB")
               for ln in flat)


def test_confusion_picture_says_whose_predictions(tmp_path):
    s = plots.confusion_series(np.eye(3, dtype=np.int64), ["a", "b", "c"],
                               "golden fixed point (w8a8)")
    ax = plots.draw_confusion.__wrapped__(s).axes[0]
    assert ax.get_title().startswith("Confusion matrix of the golden fixed point (w8a8), 3 ")
