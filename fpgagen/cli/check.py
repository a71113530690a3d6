"""``fpgagen check``: does a model fit a board's on-chip SRAM (or a byte budget)? A CI gate.

Exit 0 when every checked design fits, 1 when any does not, 2 on bad input. Several ``--model``
and ``--board`` values (or ``--board all``) check every combination, for CI matrices. What is
judged is explained in `fpgagen.plan.budget`; the numbers come from the Plan (`fpgagen.plan.plan`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from rich.table import Table

from fpgagen.api.checking import Result, check_design, result_json
from fpgagen.api.checking import quality_probe as api_quality_probe
from fpgagen.api.design import Design
from fpgagen.cli.common import (
    add_json_arg,
    add_quiet_arg,
    add_weights_args,
    console,
    fmt_int,
    model_from_args,
    print_json,
    table,
)
from fpgagen.frontend.family import split_models
from fpgagen.frontend.graph import Graph
from fpgagen.plan.boards import Board, all_boards, load_board
from fpgagen.plan.budget import (
    BRAM_CHECK,
    DSP_CHECK,
    PRECISION_LADDER,
    TOTAL_CHECK,
    URAM_CHECK,
    Suggestions,
    Verdict,
    parse_size,
)
from fpgagen.plan.engine import parse_pe
from fpgagen.plan.plan import AUTO, WEIGHT_SOURCES, weight_note
from fpgagen.quant.precision import Precision, parse_precision, precision_label
from fpgagen.quant.quality import MIN_USEFUL_SQNR_DB, QualityProbe
from fpgagen.util.junit import Case, Suite, write_junit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check that weights + activations fit on chip (CI gate: "
                                     "exit 1 when over budget)")
    p.add_argument("--model", "-m", action="append", required=True, metavar="MODEL",
                   help="zoo model or .onnx file; repeat (or comma-separate) for several")
    p.add_argument("--input-size", type=int, default=None, metavar="N",
                   help="square input size in pixels (default: the model's own)")
    p.add_argument("--board", "-b", action="append", default=None, metavar="BOARD",
                   help="board name or alias; repeat (or comma-separate) for several, or "
                        "'all' (default: zc706, alias zynq)")
    p.add_argument("--budget", metavar="SIZE",
                   help="byte budget (8192KB, 8MB, 2.5MiB, 1048576; KB = 1024 B); only bytes "
                        "are judged then. Default: the board's on-chip capacity, and its "
                        "BRAM36/URAM counts")
    p.add_argument("--precision", "-p", default=None,
                   help="8 (default), 16, w8a16, ap_fixed<16,6> or a .toml file")
    p.add_argument("--pe", default=None, metavar="PINxPOUT",
                   help="engine array, e.g. 16x32 (default: chosen per board from its DSPs)")
    p.add_argument("--no-fuse", dest="fuse", action="store_false",
                   help="do not fuse conv -> max-pool (the conv output is stored whole)")
    add_weight_source_arg(p)
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    p.add_argument("--details", action="store_true",
                   help="with several models or boards, print every design's full report "
                        "before the summary table (default: the table only)")
    add_weights_args(p)
    add_quiet_arg(p)
    add_json_arg(p)
    p.set_defaults(func=run)


__all__ = ["Result", "check_design", "print_result", "result_json"]  # check_design and
# result_json live in fpgagen/api/checking.py; imported from here by older callers


def _split(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def _boards(names: list[str]) -> list[Board]:
    if any(n.lower() == "all" for n in names):
        return list(all_boards().values())
    return [load_board(n) for n in names]


def _graph(model: str, args: argparse.Namespace) -> Graph:
    return model_from_args(argparse.Namespace(model=model, input_size=args.input_size))


def quality_probe(model: str, graph: Graph, args: argparse.Namespace
                  ) -> Callable[[], QualityProbe]:
    """A probe of ``model``'s quality at other precisions (fpgagen/api/checking.py), from
    ``--input-size``, ``--weights`` and ``--seed``."""
    return api_quality_probe(model, graph, args.input_size, args.weights, args.seed)


def precision_text(p: Precision) -> str:
    """``8`` -> ``w8a8 (bias 16 b)``: the precision as every output names it
    (`precision_label`) and the bias width."""
    return f"{precision_label(p)} (bias {p.default.bias.width} b)"


def add_weight_source_arg(p: argparse.ArgumentParser) -> None:
    """``--weight-source auto|bitstream|runtime`` (check and build)."""
    p.add_argument("--weight-source", default=AUTO, choices=WEIGHT_SOURCES,
                   help="where the weights come from at power-up: the bitstream (block RAM "
                        "initial contents), or loaded at run time through in_stream (no "
                        "initial contents, so UltraRAM is possible; the driver loads "
                        "weights.bin); auto (default): the bitstream when the design fits so, "
                        "else run time")


def run(args: argparse.Namespace) -> int:
    # Validate every input before planning anything, so bad input never prints half a report.
    budget = parse_size(args.budget) if args.budget is not None else None
    precision = parse_precision(args.precision)
    engine = parse_pe(args.pe) if args.pe is not None else None
    models = split_models(args.model)
    graphs = [_graph(m, args) for m in models]
    boards = _boards(_split(args.board or ["zc706"]))
    probes = [quality_probe(m, g, args) for m, g in zip(models, graphs, strict=True)]
    results = [Design(m, b, precision, engine, fuse=args.fuse, budget=budget,
                      input_size=args.input_size, weights=args.weights, seed=args.seed,
                      graph=g, weight_source=args.weight_source).check(probe).result
               for m, g, probe in zip(models, graphs, probes, strict=True) for b in boards]
    if args.junit:
        write_junit(args.junit, [_suite(r) for r in results], name="fpgagen check")
    if args.json:
        objs = [result_json(r) for r in results]
        print_json(objs[0] if len(objs) == 1 else
                   {"fits": all(r.verdict.fits for r in results), "results": objs})
    elif len(results) == 1 or args.details:
        for r in results:
            print_result(r)
    if not args.json and len(results) > 1:
        _print_matrix(results, args.details)
    return 0 if all(r.verdict.fits for r in results) else 1


# --- JUnit ------------------------------------------------------------------------------------

def _suite(r: Result) -> Suite:
    p, v = r.plan, r.verdict
    cls = f"fpgagen.check.{p.graph.name}.{p.board.name}"
    what = {TOTAL_CHECK: ("B", "budget" if not v.from_board else "board on-chip bytes"),
            BRAM_CHECK: ("BRAM36", p.board.part), URAM_CHECK: ("URAM", p.board.part),
            DSP_CHECK: ("DSP", f"{p.board.part}, engine {p.engine}")}
    cases = []
    for c in v.checks:
        unit, against = what[c.name]
        line = f"{fmt_int(c.used)} {unit} used of {fmt_int(c.limit)} ({against})"
        cases.append(Case(
            c.name, cls, output=line,
            failure=(f"{line}: over by {fmt_int(c.used - c.limit)} {unit}"
                     if c.judged and not c.ok else None),
            skipped=None if c.judged else "not judged: --budget judges bytes only"))
    return Suite(f"{p.graph.name} on {p.board.name} ({precision_label(p.precision)})",
                 tuple(cases))


# --- text -------------------------------------------------------------------------------------

def _kib(n: int) -> str:
    return f"{fmt_int(n)} B ({n / 1024:,.1f} KiB)"


def print_result(r: Result) -> None:
    p, v = r.plan, r.verdict
    con = console()
    fused = ", ".join(f"{f.conv}->{f.pool} (ring of {f.ring_rows} rows)" for f in p.fusions)
    packed = f", two MACs per {p.board.dsp_slice}" if p.engine.pack else ""
    con.print(f"[bold]{p.graph.name}[/] on [bold]{p.board.name}[/] ({p.board.part}), precision "
              f"{precision_text(p.precision)}, engine {p.engine} ({fmt_int(p.engine.dsp)} of "
              f"{fmt_int(p.board.dsp)} DSP{packed}), "
              f"fusion: {fused or ('off' if not p.fuse else 'none')}")
    if p.engine_note:
        con.print(f"  engine: {p.engine_note}")
    con.print(f"  weights: {weight_note(p)}")
    h, w, c = p.graph.input_shape
    budget_note = ("--budget (bytes only; BRAM/URAM shown, not judged)" if not v.from_board else
                   f"board on-chip: {fmt_int(p.board.bram36)} BRAM36 x 4.5 KiB + "
                   f"{fmt_int(p.board.uram)} URAM x "
                   "36 KiB, raw bits")
    rows = [
        ("weights + biases", _kib(p.weights_bytes),
         f"logical {fmt_int(p.weights_logical_bytes)} B; padded to {p.engine} words"),
        ("activation arena", _kib(p.arena_bytes),
         f"lower bound {fmt_int(p.arena_lower_bound_bytes)} B; unfused "
         f"{fmt_int(p.arena_unfused_bytes)} B; logical peak "
         f"{fmt_int(p.activations.logical_peak_bytes)} B"),
        ("staging", _kib(p.staging_bytes),
         f"input image {h}x{w}x{c} (outside the arena; the logits stream from the arena)"),
        ("total", _kib(p.total_bytes), ""),
        ("budget", _kib(v.budget_bytes), budget_note),
        ("headroom", f"{v.headroom_pct:.1f} %", "" if v.fits or not v.over_bytes else
         f"over by {fmt_int(v.over_bytes)} B"),
        ("BRAM36", f"{fmt_int(p.bram36)} / {fmt_int(p.board.bram36)}",
         f"equivalents ({p.bram18} BRAM18 count as half); the Verilog core's"
         + (f", the HLS core {fmt_int(p.hls_bram36)} (one image in its staging)"
            if p.hls_bram36 != p.bram36 else ", the HLS core's too")),
        ("URAM", f"{fmt_int(p.uram)} / {fmt_int(p.board.uram)}",
         f"the HLS core {fmt_int(p.hls_uram)}" if p.hls_uram != p.uram else ""),
        ("speed", f"{p.fps:,.1f} fps", f"estimate: latency {fmt_int(p.total_cycles)} cycles at "
                                       f"{p.board.clock_mhz:g} MHz"),
        ("streaming", f"{p.streaming_fps:,.1f} fps",
         f"estimate: {fmt_int(p.streaming_cycles)} cycles per image, images back to back"),
    ]
    if r.pixel is not None:
        q = r.pixel.plan
        rows.append(("pixel-parallel", f"{q.streaming_fps:,.1f} fps",
                     f"estimate: {fmt_int(q.streaming_cycles)} cycles streaming, "
                     f"{fmt_int(q.total_cycles)} latency; {r.pixel.note}; --pe {q.engine}"))
    con.print(_kv_table(rows))
    con.print(table("On-chip memories", ["memory", "width x depth", "bytes", "BRAM36", "BRAM18",
                                         "URAM", "contents", "blocks"],
                    [(m.name, f"{m.width} x {fmt_int(m.depth)}", fmt_int(m.bytes),
                      m.mapping.bram36, m.mapping.bram18, m.mapping.uram,
                      {"bitstream": "bitstream", "stream": "loaded at run time"}.get(m.init, "-"),
                      str(m.mapping))
                     for m in p.memories.values()],
                    right=("bytes", "BRAM36", "BRAM18", "URAM")))
    total = max(1, p.total_bytes)
    con.print(table("10 largest consumers (arena tensors share the arena over time)",
                    ["name", "kind", "bytes", "% of total"],
                    [(x.name, x.kind, fmt_int(x.bytes), f"{100 * x.bytes / total:.1f}")
                     for x in r.largest], right=("bytes", "% of total")))
    if v.fits:
        con.print(f"[green]FITS[/]: {fmt_int(p.total_bytes)} B of {fmt_int(v.budget_bytes)} B"
                  + (f", {fmt_int(p.bram36)}/{fmt_int(p.board.bram36)} BRAM36, "
                     f"{fmt_int(p.uram)}/{fmt_int(p.board.uram)} URAM"
                     if v.from_board else " (bytes only)") + "\n")
        return
    failed = [c for c in v.checks if c.judged and not c.ok]
    con.print("[red]DOES NOT FIT[/]: " + "; ".join(
        f"{c.name} {fmt_int(c.used)} > {fmt_int(c.limit)} (over by {fmt_int(c.used - c.limit)})"
        for c in failed))
    for line in suggestion_lines(r.suggestions, any(c.name == DSP_CHECK for c in failed),
                                 p.board.dsp):
        con.print(f"  {line}")
    con.print()


def suggestion_lines(s: Suggestions | None, dsp_failed: bool = False,
                     board_dsp: int | None = None) -> list[str]:
    """What would make a design fit, one line each; a precision with its quality. Over the
    DSPs, no precision helps (one DSP per MAC whatever the width): the engine that fits."""
    if s is None:
        return []
    lines = []
    if s.runtime_fits:
        lines.append("would fit: --weight-source runtime (the weights loaded through in_stream "
                     "at run time: no initial contents, so UltraRAM holds them)")
    if s.engine:
        lines.append(f"would fit: --pe {s.engine} (or no --pe: the engine sized to the board's "
                     f"{fmt_int(board_dsp or 0)} DSP)")
    if s.fusion_fits:
        lines.append("would fit: with conv->max-pool fusion (drop --no-fuse)")
    if s.precision:
        quality = ("" if s.precision_sqnr_db is None else
                   f"; logits SQNR {_fmt_db(s.precision_sqnr_db)} on a synthetic image, see "
                   f"fpgagen run -p {s.precision}")
        lines.append(f"would fit: --precision {s.precision} "
                     f"({fmt_int(s.precision_total_bytes or 0)} B{quality})")
    lines += [f"not suggested: --precision {x.precision} fits ({fmt_int(x.total_bytes)} B) but "
              f"its logits SQNR is {_fmt_db(x.sqnr_db)} (below {MIN_USEFUL_SQNR_DB:g} dB: "
              "noise, not a network)" for x in s.rejected]
    if not s.precision and not dsp_failed:
        lines.append(f"no narrower precision in {'/'.join(PRECISION_LADDER)} fits"
                     + (f" with a logits SQNR of {MIN_USEFUL_SQNR_DB:g} dB or more"
                        if s.rejected else " either"))
    lines.append("boards that fit at this precision: "
                 + (", ".join(s.boards) if s.boards else "none"))
    return lines


def _fmt_db(v: float) -> str:
    if math.isinf(v):
        return "exact" if v > 0 else "not measurable (the quantizer refuses this precision)"
    return f"{v:.1f} dB"


def _kv_table(rows: list[tuple[str, str, str]]) -> Table:
    tab = Table(show_header=False, box=None, pad_edge=False)
    tab.add_column(style="bold")
    tab.add_column(justify="right")
    tab.add_column(style="dim")
    for row in rows:
        tab.add_row(*row)
    return tab


def _verdict(v: Verdict) -> str:
    failed = [c.name for c in v.checks if c.judged and not c.ok]
    return "fits" if not failed else "NO: " + ", ".join(failed)


def _print_matrix(results: list[Result], details: bool) -> None:
    """One table for a model x board matrix: verdict, memory, blocks, DSPs, engine; then the
    designs that do not fit, each with what would make it fit."""
    con = console()
    con.print(table(
        f"Summary: {len(results)} designs, {sum(r.verdict.fits for r in results)} fit",
        ["model", "board", "verdict", "memory B", "of budget", "BRAM36", "URAM", "DSP",
         "engine", "fps"],
        [(r.plan.graph.name, r.plan.board.name, _verdict(r.verdict),
          fmt_int(r.plan.total_bytes), f"{100 * r.plan.total_bytes / r.verdict.budget_bytes:.0f} %",
          f"{fmt_int(r.plan.bram36)}/{fmt_int(r.plan.board.bram36)}",
          f"{fmt_int(r.plan.uram)}/{fmt_int(r.plan.board.uram)}",
          f"{fmt_int(r.plan.engine.dsp)}/{fmt_int(r.plan.board.dsp)}",
          str(r.plan.engine) + ("*" if r.plan.engine_note else ""), f"{r.plan.fps:,.1f}")
         for r in results],
        right=("memory B", "of budget", "BRAM36", "URAM", "DSP", "fps")))
    for r in results:
        if r.plan.engine_note:
            con.print(f"* {r.plan.graph.name} on {r.plan.board.name}: {r.plan.engine_note}")
    for r in results:
        if r.verdict.fits:
            continue
        con.print(f"[red]{r.plan.graph.name} on {r.plan.board.name}[/]: {_verdict(r.verdict)}")
        dsp_failed = any(c.name == DSP_CHECK and c.judged and not c.ok
                         for c in r.verdict.checks)
        for line in suggestion_lines(r.suggestions, dsp_failed, r.plan.board.dsp):
            con.print(f"  {line}")
    if not details:
        con.print("(--details prints each design's full report)")
