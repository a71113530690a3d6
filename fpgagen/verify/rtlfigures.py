"""The performance figures of a whole-network RTL run: cycles per layer, MAC utilization and the
streaming throughput.

They are what ``fpgagen verify --rtl`` reports, what ``bench/bench_rtl.py`` prints and what the
Plan's cycle estimate is checked against (`fpgagen.plan.cycles.compare`), so they are computed
in one place, from a run (`fpgagen.verify.rtlresults.RtlRun`) and the build's rtl/bench.json.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from fpgagen.verify.rtlresults import RtlRun


def streaming_cycles(runs: Sequence[RtlRun]) -> float:
    """Cycles per image in steady state of a streaming run (`run_rtl_batch` ``stream=True``):
    ap_done to ap_done, averaged over the images after the first (each loaded while the one
    before it computed)."""
    if len(runs) < 2:
        raise ValueError("the streaming figure needs at least two images")
    return (runs[-1].done_at - runs[0].done_at) / (len(runs) - 1)


def mac_figures(run: RtlRun, rtl_dir: Path) -> dict[str, object]:
    """Cycles per layer-table entry and MAC utilization (MACs / (cycles x P_in x P_out))."""
    info = json.loads((Path(rtl_dir) / "bench.json").read_text())
    per_mac = info["p_in"] * info["p_out"] * info.get("p_pix", 1)
    layers = {}
    total_macs = 0
    for e, cyc in zip(info["entries"], run.cycles_per_entry, strict=False):
        layers[e["name"]] = {"cycles": cyc, "macs": e["macs"],
                             "mac_utilization": round(e["macs"] / (cyc * per_mac), 4)
                             if cyc else 0.0}
        total_macs += e["macs"]
    return {"cycles": run.cycles,
            "cycles_per_layer": {k: v["cycles"] for k, v in layers.items()},
            "mac_utilization": round(total_macs / (run.cycles * per_mac), 4) if run.cycles else 0,
            "layers": layers}
