"""``network.json``: what a build is, enough to make its machine again with other weights.

`fpgagen pack-weights` turns new float weights of a build's network into a weights.bin for the
build's bitstream. It needs the network (the graph), the quantized types (`fpgagen.quant.freeze`),
and the Plan's choices (board, engine, fusion, staging slots, weight source), from which the
same Plan and layer table follow; the command then proves that they did (the layer table it
lowers equals the build's ``rtl/layers.hex``). Pure: a dict of JSON values.
"""

from __future__ import annotations

from typing import Any

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import graph_to_dict
from fpgagen.machine.context import Machine
from fpgagen.quant.freeze import types_record

NETWORK_JSON = "network.json"
SCHEMA = "fpgagen-network/1"


def network_record(m: Machine) -> dict[str, Any]:
    """The contents of a build's ``network.json``."""
    plan = m.plan
    eng = plan.engine
    return {
        "schema": SCHEMA,
        "graph": graph_to_dict(m.qgraph.graph),
        "types": types_record(m.qgraph),
        "board": plan.board.name,
        "engine": {"p_in": eng.p_in, "p_out": eng.p_out, "pack": eng.pack},
        "fuse": plan.fuse,
        "staging_slots": plan.staging_slots,
        "weight_source": plan.weight_source,
        "build_id": m.build_id,
        "weights": {"bytes": m.weight_load.bytes, "crc32": m.weights_crc},
    }


def check_record(d: Any, where: str) -> dict[str, Any]:
    """A parsed network.json, refused (one line) when it is not one this fpgagen writes."""
    if not isinstance(d, dict) or d.get("schema") != SCHEMA:
        got = d.get("schema") if isinstance(d, dict) else type(d).__name__
        raise FpgagenError(f"{where} is not an fpgagen network record ({SCHEMA}), its schema "
                           f"is {got!r}: rebuild with this fpgagen")
    for key in ("graph", "types", "board", "engine", "fuse", "staging_slots", "weight_source",
                "build_id", "weights"):
        if key not in d:
            raise FpgagenError(f"{where} has no {key!r}")
    return d
