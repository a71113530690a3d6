"""The build report: report.json for machines, report.md for people, from the Plan.

Memory figures are the ``check`` numbers (one source, commands/check.result_json); cycles are
the Plan's estimates until an RTL simulation measures them (``verify --rtl`` adds an "rtl"
section with measured cycles). ``fpgagen synth`` adds the open-tool silicon figures: "synth"
(Yosys synth_xilinx cell counts) and "ecp5" (a measured Fmax on an ECP5-85F).

Every fps figure is stated as cycles at a clock, naming both sources: the cycles are the Plan's
estimate or the RTL simulation's count; the clock is the board's nominal one (an assumption:
only Vivado can tell a Xilinx part's Fmax) and, when measured, the ECP5 Fmax beside it.

report.md shows pictures (`fpgagen.report.plots`: PNG files beside it, drawn from report.json
alone), redrawn whenever report.md is written, so a section added later (measured cycles) shows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fpgagen import __version__
from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT
from fpgagen.hls.latency import report_section as hls_section
from fpgagen.machine.context import Machine
from fpgagen.plan.boards import Board
from fpgagen.plan.budget import Verdict
from fpgagen.plan.plan import weight_note
from fpgagen.quant.precision import precision_label
from fpgagen.quant.quality import db_json
from fpgagen.report.provenance import describe, tool_lines
from fpgagen.silicon.synth import XILINX_FAMILIES, xilinx_family
from fpgagen.util.locking import file_lock, write_text_atomic
from fpgagen.util.templating import render


def part_resources(board: Board) -> dict[str, Any]:
    """The part's capacity, beside which the Resources table puts the synthesized counts."""
    return {"dsp": board.dsp, "bram36": board.bram36, "uram": board.uram, "lut": board.lut,
            "ff": board.ff}


def clock_source(report: dict[str, Any]) -> str:
    """Where the fps clock comes from, said next to every fps figure in report.md."""
    try:
        family = XILINX_FAMILIES[xilinx_family(report["part"])]
    except FpgagenError:
        family = report["part"]
    return (f"the {report['board'].upper()}'s nominal clock, assumed: only Vivado can tell "
            f"the {family} Fmax")


def build_report(m: Machine, verdict: Verdict, check_json: dict[str, Any],
                 sqnr_db: Mapping[str, float] | None = None,
                 reproduce: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report of a build; ``sqnr_db``: every tensor's SQNR on the build's image (golden
    vs float, `fpgagen.quant.quality.layer_sqnr`), when the build had the float weights;
    ``reproduce``: what it was made from (`fpgagen.report.provenance.reproduce_section`)."""
    plan, qgraph, dp = m.plan, m.qgraph, m.datapath
    graph = qgraph.graph
    costs = {c.layer: c for c in plan.costs}
    layers = []
    for lay in graph.layers:
        ql = qgraph.qlayer(lay.name)
        layers.append({
            "name": lay.name, "op": lay.op, "output_shape": list(graph.shape(lay.name)),
            "params": graph.params(lay), "macs": graph.macs(lay),
            "out_type": str(ql.out_type),
            "weight_type": str(ql.weight_type) if ql.weight_type else None,
            "bias_type": str(ql.bias_type) if ql.bias_type else None,
            "rounding": ql.rounding, "saturation": ql.saturation,
            "cycles_estimate": costs[lay.name].cycles,
            "cycles_terms": dict(costs[lay.name].terms),
        })
        if sqnr_db is not None:
            layers[-1]["sqnr_db"] = db_json(sqnr_db[lay.name])
    mhz = plan.board.clock_mhz
    quality = {} if sqnr_db is None else {"quality": {
        "input_sqnr_db": db_json(sqnr_db[INPUT]),
        "logits_sqnr_db": db_json(sqnr_db[graph.output]),
        "note": "measured by fpgagen build on its image (vectors/input): the golden model, "
                "dequantized, against the float reference; layers[].sqnr_db per layer; "
                "null = no error at all"}}
    return {
        "fpgagen": __version__,
        "model": graph.name, "board": plan.board.name, "part": plan.board.part,
        "clock_mhz": mhz, "precision": plan.precision.text,
        "precision_label": precision_label(plan.precision),
        "part_resources": part_resources(plan.board),
        "calib_headroom_bits": qgraph.headroom,
        "input_shape": list(graph.input_shape), "input_type": str(qgraph.input_type),
        "output_type": str(qgraph.output_type),
        "params": graph.total_params, "macs": graph.total_macs,
        "engine": {"p_in": dp.p_in, "p_out": dp.p_out, "macs_per_cycle": plan.engine.macs,
                   **({"p_pix": m.p_pix} if m.p_pix > 1 else {}),
                   "act_width": dp.act_w, "weight_width": dp.w_w, "bias_width": dp.b_w,
                   "acc_width": dp.acc_w, "note": plan.engine_note,
                   "packed": plan.engine.pack, "dsp_slice": plan.board.dsp_slice,
                   "dsp": plan.engine.dsp,
                   "avgpool_dsp_per_lane": plan.engine.avg_dsp,
                   "dsp_note": "estimated: one DSP per MAC, or per two MACs when packed "
                               "(hw/fg_mul2.v), plus per input lane the average pool's "
                               "SUM_W x 16-bit product, one DSP (two when the sum is wider "
                               "than the DSP's wide operand) (EngineConfig.dsp); synthesis "
                               "decides"},
        "fusion": [{"conv": f.conv, "pool": f.pool, "ring_rows": f.ring_rows}
                   for f in plan.fusions],
        "memory": check_json,
        "fits": verdict.fits,
        "weights": weights_section(m),
        "estimate": {"cycles": plan.total_cycles, "fps": plan.fps,
                     "streaming_cycles": plan.streaming_cycles,
                     "streaming_fps": plan.streaming_fps,
                     "mac_utilization": graph.total_macs / (plan.total_cycles * plan.engine.macs),
                     "note": "estimated: a model of the RTL schedule (fpgagen/plan/cycles.py; "
                             "layers run one after another, a fused pair as the engine "
                             "interleaves it); verify --rtl measures real cycles",
                     "io_cycles": dict(plan.io_terms)},
        "hls": hls_section(m),
        "layers": layers,
        **quality,
        "random_weights": (None if reproduce is None
                           else bool(reproduce["weights"].get("random"))),
        "reproduce": None if reproduce is None else dict(reproduce),
    }


def _fits(r: Mapping[str, Any]) -> dict[str, Any]:
    m = r.get("memory") or {}
    if "total_bytes" not in m:  # a report from an older fpgagen
        return {"status": "fits" if r.get("fits") else "does not fit",
                "ok": bool(r.get("fits")), "detail": ""}
    dsp_part = (r.get("part_resources") or {}).get("dsp", m.get("dsp_available"))
    uram = (f", {m['uram']:,} of {m['uram_available']:,} URAM"
            if m.get("uram_available") else "")
    blocks = (f"; {m['bram36']:,} of {m.get('bram36_available', 0):,} BRAM36{uram}"
              if m.get("budget_source", "board") == "board" else " (--budget: bytes only)")
    dsp = (f"; {r['engine']['dsp']:,} of {dsp_part:,} DSP (estimated)"
           if dsp_part is not None and "dsp" in r.get("engine", {}) else "")
    return {"status": "fits" if r["fits"] else "does not fit", "ok": bool(r["fits"]),
            "detail": f"{m['total_bytes']:,} of {m['budget_bytes']:,} bytes{blocks}{dsp}"}


def _proof(r: Mapping[str, Any], key: str, flag: str) -> dict[str, Any]:
    s = r.get(key)
    if not s:
        return {"status": "not run", "ok": None,
                "detail": f"fpgagen verify <this folder> {flag}"}
    compared = s.get("tensors_compared", 0)
    ok = bool(s.get("bit_exact"))
    expected = s.get("tensors_expected", compared)
    detail = f"{compared:,} tensors compared" + (
        f", {expected - compared:,} of the {expected:,} the build stores not"
        if compared < expected else "")
    status = "bit-exact" if ok else "NOT bit-exact"
    gates = r.get("hls_gates")
    if key == "csim" and gates:
        detail += "; HLS synthesis-branch gates " + ("pass" if gates.get("ok") else "FAIL")
        if not gates.get("ok"):
            ok, status = False, status + ", HLS gates FAIL"
    if key == "rtl" and s.get("cycles"):
        detail += f"; latency {s['cycles']:,} cycles"
        if s.get("streaming_cycles"):
            detail += f", streaming {s['streaming_cycles']:,} cycles per image"
    first = s.get("first_mismatch")
    if first:
        detail += f"; first mismatch in {first.get('layer')}"
    return {"status": status, "ok": ok, "detail": detail}


def _fmax(r: Mapping[str, Any]) -> dict[str, Any]:
    e = r.get("ecp5")
    nominal = {"status": "not measured", "ok": None, "mhz": r["clock_mhz"],
               "source": clock_source(r)}
    if not e:
        return {**nominal, "detail": f"{clock_source(r)}; `fpgagen synth --ecp5` measures "
                                     "an ECP5 Fmax (small engines)"}
    verdict = "PASS" if e["passed"] else "FAIL"
    return {"status": "measured", "ok": bool(e["passed"]), "mhz": e["fmax_mhz"],
            "source": f"{e['device']} place and route (Yosys + nextpnr-ecp5, seed {e['seed']})",
            "detail": f"{e['fmax_mhz']:.1f} MHz measured on the {e['device']} (Yosys + "
                      f"nextpnr-ecp5, seed {e['seed']}), {verdict} against "
                      f"{e['target_mhz']:g} MHz; the {r['board'].upper()} itself: "
                      f"{r['clock_mhz']:g} MHz, {clock_source(r)}"}


def _speed(r: Mapping[str, Any]) -> dict[str, Any]:
    rtl = r.get("rtl") or {}
    measured = bool(rtl.get("cycles"))
    cycles = rtl["cycles"] if measured else r["estimate"]["cycles"]
    fps = r["clock_mhz"] * 1e6 / cycles
    source = "measured in RTL simulation" if measured else "the Plan's estimate"
    return {"status": "measured" if measured else "estimated", "fps": round(fps, 1),
            "cycles": cycles, "mhz": r["clock_mhz"],
            "detail": f"{fps:,.1f} fps = {cycles:,} cycles ({source}) at "
                      f"{r['clock_mhz']:g} MHz (nominal, assumed)"}


def verdict_section(r: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict block that opens report.md, from the report as it stands: ``fits``,
    ``csim``, ``rtl``, ``fmax`` and ``speed``, each ``status`` (``not run`` / ``not
    measured`` until the command that measures it ran), ``ok`` (null when not run) and one
    ``detail`` line. Recomputed whenever the report is written, so ``verify`` and ``synth``
    update it with their sections."""
    return {"fits": _fits(r), "csim": _proof(r, "csim", "--csim"),
            "rtl": _proof(r, "rtl", "--rtl"), "fmax": _fmax(r), "speed": _speed(r)}


def weights_section(m: Machine) -> dict[str, Any]:
    """Where the weights come from, and the load stream (driver/weights.bin) of the build."""
    wl = m.weight_load
    return {
        "source": m.plan.weight_source, "asked": m.plan.weight_policy,
        "in_bitstream": m.weights_init, "note": weight_note(m.plan),
        "file": "driver/weights.bin", "bytes": wl.bytes, "beats": wl.beats,
        "crc32": m.weights_crc, "crc32_hex": f"0x{m.weights_crc:08x}",
        "loader_register_bits": wl.shift_register_bits,
        "hls": ("the HLS core has the same weights as ROM initializers and no load mode yet"
                if not m.weights_init else "the HLS core holds the same weights (ROM)"),
    }


# beside report.json, never replaced itself: every process locks the same file
REPORT_LOCK = ".report.lock"


def write_report(out: Path, report: dict[str, Any]) -> None:
    """Write report.json, report.md and the pictures report.md shows (`fpgagen.report.plots`), each
    atomically (a reader sees a whole file)."""
    # matplotlib: loaded only by commands that write a report
    from fpgagen.report.plots import draw_report

    report["verdict"] = verdict_section(report)  # follows every section added later
    pictures = draw_report(out, report)
    md = render("report.md.j2", r=report, clock_source=clock_source(report), pictures=pictures,
                tools=tool_lines(report), describe=describe)
    write_text_atomic(out / "report.json", json.dumps(report, indent=2) + "\n")
    write_text_atomic(out / "report.md", md)


def update_report(out: Path, section: str, values: dict[str, Any]) -> None:
    """Add a measured section (``csim``, ``rtl``, ``synth``, ``ecp5``) to an existing build's
    reports.

    The read-modify-write holds a lock, so two commands finishing at once (two ``verify`` runs,
    ``verify`` and ``synth``) both land their section instead of the last one erasing the
    other's."""
    with file_lock(out / REPORT_LOCK):
        report = json.loads((out / "report.json").read_text())
        report[section] = values
        write_report(out, report)
