"""The main job: Graph + weights -> Plan -> QGraph -> Machine -> golden vectors -> the cores ->
a build folder.

`make_design` computes everything (pure); `write_design` writes it into a folder (the only I/O).
The CLI wires them with an atomic output folder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.frontend.labels import RANDOM_WEIGHTS_NOTE, ModelInfo
from fpgagen.hls.emit import emit_hls
from fpgagen.machine.context import Machine, lower
from fpgagen.machine.record import NETWORK_JSON, network_record
from fpgagen.plan.budget import Verdict
from fpgagen.plan.plan import Plan
from fpgagen.quant import golden, reference
from fpgagen.quant.quality import layer_sqnr
from fpgagen.quant.quantize import QGraph
from fpgagen.report.report import build_report, write_report
from fpgagen.rtl.emit import emit_rtl
from fpgagen.system.baremetal import emit_baremetal
from fpgagen.system.blockdesign import emit_system, processing_system
from fpgagen.system.driver import emit_driver
from fpgagen.verify.vectors import write_vectors


@dataclass(frozen=True, eq=False)
class Design:
    """Everything a build folder holds, computed but not yet written."""

    plan: Plan
    qgraph: QGraph
    verdict: Verdict
    check_json: dict[str, Any]
    machine: Machine
    x_int: np.ndarray
    outputs: Mapping[str, np.ndarray]
    # every tensor's SQNR (dB) on this image, golden vs float; None without the float weights
    sqnr_db: Mapping[str, float] | None = None
    # what the build was made from (`fpgagen.report.provenance.reproduce_section`), or None
    reproduce: Mapping[str, Any] | None = None
    # the model's class names and preprocessing (driver/build.json, the bare-metal program)
    info: ModelInfo | None = None


def make_design(plan: Plan, qgraph: QGraph, verdict: Verdict, check_json: dict[str, Any],
                x_float: np.ndarray, weights: Mapping[str, np.ndarray] | None = None,
                reproduce: Mapping[str, Any] | None = None, info: ModelInfo | None = None
                ) -> Design:
    """Quantize the input and run the golden model on it: the vectors of the build. Given the
    float ``weights``, also the float reference on the same image (0.1 s on SqueezeNet 1.1), so
    the report shows what the precision costs layer by layer. ``reproduce``: what the build
    was made from, for its report; ``info``: the model's class names and preprocessing, for
    the drivers."""
    x_int = qgraph.quantize_input(x_float)
    outputs = golden.run(qgraph, x_int)
    sqnr = None
    if weights is not None:
        ref = reference.run(qgraph.graph, weights, x_float)
        sqnr = layer_sqnr(qgraph, ref, outputs, ref.keys())
    return Design(plan, qgraph, verdict, check_json, lower(plan, qgraph), x_int, outputs, sqnr,
                  reproduce, info)


def write_design(out: Path, design: Design) -> dict[str, Any]:
    """Write hls/, rtl/, driver/ (with driver/baremetal/ beside a system/build.tcl), system/,
    vectors/, network.json, report.json and report.md into ``out``; returns the report."""
    m = design.machine
    emit_hls(out / "hls", m)
    emit_rtl(out / "rtl", m)
    emit_driver(out / "driver", m, design.info)
    emit_system(out, m)  # reads rtl/ and hls/run_hls.tcl
    if processing_system(m.plan.board) is not None:
        info = design.info
        emit_baremetal(out / "driver" / "baremetal", m, design.x_int,
                       design.outputs[design.qgraph.graph.output],
                       info.labels if info is not None else None,
                       RANDOM_WEIGHTS_NOTE if info is not None and info.random_weights
                       else "")
    write_vectors(out / "vectors", design.qgraph, design.outputs, m.stream,
                  [v.name for v in m.views])
    (out / NETWORK_JSON).write_text(json.dumps(network_record(m), indent=1) + "\n")
    report = build_report(m, design.verdict, design.check_json, design.sqnr_db,
                          design.reproduce)
    write_report(out, report)
    return report
