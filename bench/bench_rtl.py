"""RTL throughput: cycles and MAC utilization per layer from the Verilator simulation.

Run: ``python bench/bench_rtl.py [--model squeezenet] [--board zynq] [--pe 16x32] [--budget 8192KB]
[--no-dump] [--stream N]``.
Builds the design (``fpgagen build``), simulates one inference with ``fpgagen.verify.rtlbench`` (the
same bench as ``fpgagen verify --rtl``), checks it bit-exact, and prints per layer: cycles, MACs,
MAC utilization = MACs / (cycles x P_in x P_out); then the totals over the whole network and
over everything except conv1 (and the pool fused with it). With ``--stream N`` (N >= 2) the
build's image is streamed N times back to back (auto_restart, the double-buffered staging):
the first image's figures are the latency, ap_done to ap_done the throughput (streaming), every
image's logits compared bit-exact. Prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fpgagen.cli.main import main as fpgagen_main
from fpgagen.verify import rtlbench, rtlfigures, rtlresults


@dataclass(frozen=True)
class Simulated:
    """One build simulated: the RTL run, its bit-exactness, the per-layer figures."""

    run: rtlresults.RtlRun
    tensors: list
    missing: list[str]
    figs: dict
    info: dict         # rtl/bench.json
    report: dict       # report.json (the Plan's figures, precision, engine)
    build_seconds: float
    sim_seconds: float
    stream: list = None  # type: ignore[assignment]   # the streaming runs (--stream)

    @property
    def bit_exact(self) -> bool:
        return all(t.ok for t in self.tensors) and not self.missing


def simulate(model: str, board: str, pe: str | None = None, precision: str | None = None,
             budget: str | None = None, input_size: int | None = None,
             dump: bool = True, stream: int = 0) -> Simulated:
    """`fpgagen build` into a temporary folder, one inference on Verilator (or ``stream``
    copies of the image back to back), compared."""
    with tempfile.TemporaryDirectory(prefix="bench-rtl-") as tmp:
        out = Path(tmp) / "b"
        argv = ["build", "--board", board, "--model", model, "-q", "-o", str(out)]
        argv += ["--pe", pe] if pe else []
        argv += ["-p", precision] if precision else []
        argv += ["--budget", budget] if budget else []
        argv += ["--input-size", str(input_size)] if input_size else []
        t0 = time.perf_counter()
        assert fpgagen_main(argv) == 0
        t1 = time.perf_counter()
        image = out / "vectors" / "input.hex"
        runs = (rtlbench.run_rtl_batch(out / "rtl", [image] * stream, out / "rtl_sim",
                                       dump=dump, stream=True) if stream >= 2 else
                [rtlbench.run_rtl(out / "rtl", image, out / "rtl_sim", dump=dump)])
        run = runs[0]
        t2 = time.perf_counter()
        tensors, missing = rtlresults.compare_rtl(run, out / "rtl", out / "vectors")
        for later in runs[1:]:  # each image's logits (and the host view after the last)
            tensors += rtlresults.compare_rtl(later, out / "rtl", out / "vectors")[0]
        return Simulated(run, tensors, missing, rtlfigures.mac_figures(run, out / "rtl"),
                         json.loads((out / "rtl" / "bench.json").read_text()),
                         json.loads((out / "report.json").read_text()), t1 - t0, t2 - t1,
                         runs if stream >= 2 else None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="squeezenet")
    ap.add_argument("--board", default="zynq")
    ap.add_argument("--pe", default=None)
    ap.add_argument("--precision", "-p", default=None)
    ap.add_argument("--budget", default=None,
                    help="judge against a byte budget (SqueezeNet 1.0, the bypass variant and "
                         "ZynqNet exceed the ZC706's BRAM at w8a8: --budget 8192KB)")
    ap.add_argument("--no-dump", action="store_true", help="skip the per-layer arena dumps")
    ap.add_argument("--stream", type=int, default=0, metavar="N",
                    help="stream the image N times back to back (2..8): latency and throughput")
    args = ap.parse_args()
    sim = simulate(args.model, args.board, args.pe, args.precision, args.budget,
                   dump=not args.no_dump, stream=args.stream)
    run, tensors, figs, info = sim.run, sim.tensors, sim.figs, sim.info
    fused = {e["name"] for e in info["entries"]}
    per_mac = info["p_in"] * info["p_out"] * info.get("p_pix", 1)
    ok = sim.bit_exact
    print(f"{info['model']} on {args.board}, engine {info['p_in']}x{info['p_out']}: "
          f"{'bit-exact' if ok else 'NOT bit-exact'} ({len(tensors)} tensors)")
    print(f"fpgagen build {sim.build_seconds:.1f} s; RTL sim {sim.sim_seconds:.1f} s "
          f"(Verilator build "
          f"{run.build_seconds:.1f} s, run {run.run_seconds:.1f} s, "
          f"{run.cycles / max(run.run_seconds, 1e-9) / 1e6:.3f} M cycles/s)")
    print(f"{'layer':22} {'cycles':>10} {'MACs':>13} {'util %':>7}")
    layers = figs["layers"]
    for name, v in layers.items():  # type: ignore[union-attr]
        print(f"{name:22} {v['cycles']:>10,} {v['macs']:>13,} {100 * v['mac_utilization']:>7.1f}")
    names = list(layers)  # type: ignore[arg-type]

    def util(selected: list[str]) -> tuple[int, float]:
        cyc = sum(layers[n]["cycles"] for n in selected)  # type: ignore[index]
        macs = sum(layers[n]["macs"] for n in selected)  # type: ignore[index]
        return cyc, 100 * macs / max(1, cyc * per_mac)

    first = names[0]
    # a max-pool fused with conv1 runs interleaved with it: the pair is one hardware phase
    pair = {first} | ({names[1]} if len(names) > 1 and names[1] in fused
                      and layers[names[1]]["macs"] == 0 else set())  # type: ignore[index]
    print(f"total: {run.cycles:,} cycles (incl. image load and logits), MAC utilization "
          f"{100 * figs['mac_utilization']:.1f} %")
    load = run.host.get("load_cycles", 0)
    print(f"image load: {load:,} cycles for {info['in_beats']:,} beats of {info['tdata_bits']} "
          f"bits ({info['in_values']:,} values)")
    rows = [(f"every layer but {first}", [n for n in names if n != first])]
    if len(pair) > 1:
        rows.append((f"every layer but {' + '.join(sorted(pair))} (fused)",
                     [n for n in names if n not in pair]))
    rows.append((f"conv layers but {first}",
                 [n for n in names if n != first and layers[n]["macs"]]))  # type: ignore[index]
    for label, selected in rows:
        cyc, pct = util(selected)
        print(f"{label}: {cyc:,} cycles, MAC utilization {pct:.1f} %")
    mhz = sim.report["clock_mhz"]
    est = sim.report["estimate"]
    print(f"latency: {run.cycles:,} cycles per image (measured, first image, load included) = "
          f"{mhz * 1e6 / run.cycles:.1f} fps at {mhz:g} MHz; estimate {est['cycles']:,}")
    if sim.stream:
        steady = rtlfigures.streaming_cycles(sim.stream)
        total_macs = sum(v["macs"] for v in layers.values())  # type: ignore[union-attr]
        print(f"throughput (streaming): {steady:,.0f} cycles per image (measured, ap_done to "
              f"ap_done over {len(sim.stream)} images) = {mhz * 1e6 / steady:.1f} fps at "
              f"{mhz:g} MHz, MAC utilization {100 * total_macs / (steady * per_mac):.1f} %; "
              f"estimate {est.get('streaming_cycles', 0):,}")

if __name__ == "__main__":
    main()
