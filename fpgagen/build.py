"""The main job: Graph + weights -> Plan -> QGraph -> golden vectors -> HLS C++ -> build folder.

`make_design` computes everything (pure); `write_design` writes it into a folder (the only I/O).
The CLI wires them with an atomic output folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import golden
from .budget import Verdict
from .emit_driver import emit_driver
from .emit_hls import emit_hls
from .emit_rtl import emit_rtl
from .emit_system import emit_system
from .layertable import Datapath, datapath, layer_table, tensor_views
from .plan import Plan
from .quantize import QGraph
from .report import build_report, write_report
from .streams import build_stream_format
from .vectors import write_vectors


@dataclass(frozen=True, eq=False)
class Design:
    """Everything a build folder holds, computed but not yet written."""

    plan: Plan
    qgraph: QGraph
    verdict: Verdict
    check_json: dict[str, Any]
    datapath: Datapath
    x_int: np.ndarray
    outputs: Mapping[str, np.ndarray]


def make_design(plan: Plan, qgraph: QGraph, verdict: Verdict, check_json: dict[str, Any],
                x_float: np.ndarray) -> Design:
    """Quantize the input and run the golden model on it: the vectors of the build."""
    x_int = qgraph.quantize_input(x_float)
    outputs = golden.run(qgraph, x_int)
    return Design(plan, qgraph, verdict, check_json, datapath(plan, qgraph), x_int, outputs)


def write_design(out: Path, design: Design) -> dict[str, Any]:
    """Write hls/, rtl/, driver/, system/, vectors/, report.json and report.md into ``out``;
    returns the report."""
    emit_hls(out / "hls", design.plan, design.qgraph)
    emit_rtl(out / "rtl", design.plan, design.qgraph)
    emit_driver(out / "driver", design.plan, design.qgraph)
    emit_system(out, design.plan, design.qgraph)  # reads rtl/ and hls/run_hls.tcl
    stored = [v.name for v in tensor_views(design.plan, design.qgraph,
                                           layer_table(design.plan, design.qgraph))]
    write_vectors(out / "vectors", design.qgraph, design.outputs,
                  build_stream_format(design.plan, design.qgraph), stored)
    report = build_report(design.plan, design.qgraph, design.verdict, design.datapath,
                          design.check_json)
    write_report(out, report)
    return report
