"""``fpgagen pack-weights DIR --weights W``: new weights for an existing build, no new bitstream.

The weights of a build are data the core loads through in_stream (hw/fg_wload.v), but its layer
table holds the shifts of its fixed-point types. So new weights of the same network (retrained,
the same layers and shapes) are requantized into the build's weight and bias types, every
activation type kept (`fpgagen.quant.freeze`); the Plan and the machine are made again from the
build's ``network.json`` and must give the build's own layer table (``rtl/layers.hex``), load
geometry and stream format, so the file written runs on the build's bitstream and is computed
bit-exactly against the golden model of the new weights.

Writes the weights.bin (``-o``, default ``DIR/driver/weights-<name>.bin``: the driver folder a
board gets) and, with ``--vectors``, that golden model's vectors on the build's own input image.
Prints how the new weights fit the build's types: per layer the weights and biases that
saturate and the weights' SQNR, and the logits' SQNR (golden against float, on the build's
image). Exit 0 written; 1 ``--strict`` and some weight or bias saturates (nothing written);
2 bad input: not a build folder, weights whose names or shapes differ from the build's
network, an ONNX model of another network.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from fpgagen.cli.common import add_json_arg, add_quiet_arg, console, fmt_int, print_json, table
from fpgagen.driver.fpgagen_driver import BuildInfo, DriverError
from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph, graph_from_dict, graph_to_dict
from fpgagen.frontend.weights import load_weights
from fpgagen.machine.context import Machine, lower
from fpgagen.machine.engine_table import table_words
from fpgagen.machine.record import NETWORK_JSON, check_record
from fpgagen.plan.boards import load_board
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.plan import make_plan
from fpgagen.quant import golden, reference
from fpgagen.quant.freeze import frozen_precision, requantize, weight_fit
from fpgagen.quant.quality import MIN_USEFUL_SQNR_DB, db_json, sqnr_db
from fpgagen.quant.quantize import QGraph
from fpgagen.verify.vectors import write_vectors


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pack-weights", help="weights.bin for new weights of a build's network "
                                            "(no new bitstream)",
                       description="Requantize new weights of a build's network into the "
                                   "build's types and write the weights.bin its core loads "
                                   "through in_stream; refuses other layers or shapes.")
    p.add_argument("dir", metavar="DIR", help="a folder written by fpgagen build")
    p.add_argument("--weights", "-w", required=True, metavar="FILE",
                   help="the new weights: an .npz of <layer>.weight (HWIO) and <layer>.bias "
                        "arrays, or an .onnx model of the same network")
    p.add_argument("--out", "-o", default=None, metavar="FILE",
                   help="the weights.bin to write (default: DIR/driver/weights-<name>.bin)")
    p.add_argument("--vectors", default=None, metavar="VDIR",
                   help="also write the golden vectors of the new weights on the build's input "
                        "image into VDIR (as vectors/ of a build)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 and write nothing when a weight or bias saturates at the "
                        "build's types")
    p.add_argument("--force", "-f", action="store_true", help="replace an existing --out")
    add_json_arg(p)
    add_quiet_arg(p)
    p.set_defaults(func=run)


def read_build(d: Path) -> tuple[dict[str, Any], BuildInfo]:
    """A build folder's network.json and build.json, refused (one line) when incomplete."""
    if not d.is_dir():
        raise FpgagenError(f"{d} is not a folder (give the folder fpgagen build wrote)")
    for need in (NETWORK_JSON, "rtl/layers.hex", "driver/build.json", "vectors/input.npy"):
        if not (d / need).is_file():
            raise FpgagenError(f"{d} is not a complete fpgagen build: {need} is missing"
                               + (" (built by an fpgagen without run-time weights: rebuild it)"
                                  if need == NETWORK_JSON else ""))
    try:
        record = check_record(json.loads((d / NETWORK_JSON).read_text()), str(d / NETWORK_JSON))
        info = BuildInfo.load(d / "driver" / "build.json")
    except ValueError as exc:
        raise FpgagenError(f"{d}: {exc}") from None
    except DriverError as exc:
        raise FpgagenError(str(exc)) from None
    return record, info


def new_weights(path: Path, graph: Graph) -> dict[str, np.ndarray]:
    """The float weights of ``path`` for ``graph``: an .npz with its arrays (names and shapes
    checked), or an ONNX model whose network must be ``graph``'s."""
    if path.suffix.lower() != ".onnx":
        return load_weights(path, graph)
    if not path.is_file():
        raise FpgagenError(f"weights file {path} does not exist")
    from fpgagen.frontend.onnx_import import load_onnx  # optional dependency: the onnx extra

    other, weights = load_onnx(path)
    mine, theirs = graph_to_dict(graph), graph_to_dict(other)
    if (mine["input_shape"], len(mine["layers"])) != (theirs["input_shape"],
                                                      len(theirs["layers"])):
        raise FpgagenError(f"{path}: its network (input {theirs['input_shape']}, "
                           f"{len(theirs['layers'])} layers) is not the build's (input "
                           f"{mine['input_shape']}, {len(mine['layers'])} layers)")
    for a, b in zip(mine["layers"], theirs["layers"], strict=True):  # type: ignore[arg-type]
        if a != b:
            raise FpgagenError(f"{path}: layer {b['name']!r} differs from the build's "
                               f"{a['name']!r} ({_diff(a, b)}): not the build's network")
    return weights


def _diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    keys = [k for k in a if a[k] != b.get(k)]
    return ", ".join(f"{k} {b.get(k)!r} instead of {a[k]!r}" for k in keys[:3])


def remake(record: dict[str, Any], graph: Graph, qg: QGraph) -> Machine:
    """The build's Plan with the requantized network, lowered: the machine of the new weights."""
    eng = record["engine"]
    plan = make_plan(graph, load_board(record["board"]), frozen_precision(record["types"], graph),
                     EngineConfig(int(eng["p_in"]), int(eng["p_out"]), pack=bool(eng["pack"])),
                     bool(record["fuse"]), weight_source=record["weight_source"])
    if plan.staging_slots != record["staging_slots"]:  # same memories, same verdict: never
        raise AssertionError(f"the Plan made again has {plan.staging_slots} staging slots, "
                             f"the build {record['staging_slots']}")
    return lower(plan, qg)


def check_same_machine(m: Machine, d: Path, record: dict[str, Any], info: BuildInfo) -> None:
    """The new machine runs on the build's bitstream: the same layer table, load geometry and
    stream format (and, when the bitstream holds no weights, the same BUILD_ID)."""
    table = "\n".join(table_words(m.rows)) + "\n"
    if table != (d / "rtl" / "layers.hex").read_text():
        raise FpgagenError(f"the layer table of these weights differs from {d}/rtl/layers.hex: "
                           "the build's network record does not make its own table again "
                           "(a build folder edited by hand?)")
    fmt = m.stream
    if (m.weight_load.bytes, fmt.tdata_bits, fmt.in_beats, fmt.out_beats) != (
            info.weights_bytes, info.tdata_bits, info.in_beats, info.out_beats):
        raise FpgagenError(f"the load and stream geometry of these weights differs from "
                           f"{d}/driver/build.json")
    if not m.weights_init and m.build_id != record["build_id"]:
        raise FpgagenError(f"BUILD_ID 0x{m.build_id:08x} of these weights is not the build's "
                           f"0x{record['build_id']:08x}")


def run(args: argparse.Namespace) -> int:
    d = Path(args.dir)
    record, info = read_build(d)
    src = Path(args.weights)
    out = Path(args.out) if args.out else d / "driver" / f"weights-{src.stem}.bin"
    own = d / "driver" / info.weights_file
    if out.resolve() == own.resolve():
        raise FpgagenError(f"{out} is the build's own weights.bin (what build.json describes): "
                           "write the new weights to another file")
    if out.exists() and not args.force:
        raise FpgagenError(f"{out} exists (use --force to replace it)")
    graph = graph_from_dict(record["graph"])
    weights = new_weights(src, graph)
    qg = requantize(graph, weights, record["types"])
    m = remake(record, graph, qg)
    check_same_machine(m, d, record, info)
    fits = weight_fit(qg, weights)
    x_int = np.load(d / "vectors" / "input.npy")
    outs = golden.run(qg, x_int)
    ref = reference.run(graph, weights, qg.dequantize(INPUT, x_int).astype(np.float32))
    logits_db = sqnr_db(ref[graph.output], qg.dequantize(graph.output, outs[graph.output]))
    saturated = sum(f.weights_saturated + f.biases_saturated for f in fits)
    result = {
        "build": str(d), "weights": str(src), "out": str(out), "written": False,
        "bytes": m.weight_load.bytes, "crc32": m.weights_crc,
        "crc32_hex": f"0x{m.weights_crc:08x}", "build_id": m.build_id,
        "bitstream_holds_weights": m.weights_init,
        "saturated": saturated, "logits_sqnr_db": db_json(logits_db),
        "layers": [{"name": f.layer, "weight_type": str(f.weight_type),
                    "bias_type": str(f.bias_type), "weights": f.weights,
                    "weights_saturated": f.weights_saturated,
                    "biases_saturated": f.biases_saturated,
                    "weight_sqnr_db": db_json(f.weight_sqnr_db)} for f in fits],
        "vectors": args.vectors,
    }
    refused = args.strict and saturated > 0
    if not refused:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(m.weights_bin)
        result["written"] = True
        if args.vectors:
            write_vectors(Path(args.vectors), qg, outs, m.stream, [v.name for v in m.views])
    if args.json:
        print_json(result)
    else:
        _print(result, fits)
    return 1 if refused else 0


def _print(r: dict[str, Any], fits: list) -> None:
    con = console()
    rows = [(f.layer, str(f.weight_type), fmt_int(f.weights),
             f"{f.weights_saturated} ({100 * f.weights_saturated / max(1, f.weights):.2f} %)",
             str(f.biases_saturated), f"{f.weight_sqnr_db:.1f}")
            for f in fits]
    con.print(table("The new weights in the build's types", ["layer", "weight type", "weights",
                                                            "saturated", "biases saturated",
                                                            "weight SQNR dB"], rows,
                    right=("weights", "saturated", "biases saturated", "weight SQNR dB")))
    db = r["logits_sqnr_db"]
    con.print(f"logits SQNR on the build's image: {'exact' if db is None else f'{db:.1f} dB'} "
              "(the golden model of the new weights against their float model)")
    if r["saturated"]:
        con.print(f"[yellow]warning[/]: {r['saturated']} weights/biases saturate at the build's "
                  "types (calibrated on the build's own weights); a new build calibrates types "
                  "for these")
    if db is not None and db < MIN_USEFUL_SQNR_DB:
        con.print(f"[yellow]warning[/]: the logits SQNR is below {MIN_USEFUL_SQNR_DB:g} dB: "
                  "these weights need other types (a new build)")
    if not r["written"]:
        con.print(f"[red]not written[/] (--strict): {r['out']}")
        return
    held = ("they replace the weights the bitstream holds" if r["bitstream_holds_weights"]
            else "the bitstream holds none")
    con.print(f"wrote {r['out']}: {r['bytes']:,} bytes, CRC-32 {r['crc32_hex']}, for BUILD_ID "
              f"0x{r['build_id']:08x} ({held})"
              + (f"; golden vectors in {r['vectors']}" if r["vectors"] else ""))
    con.print(f"  load it: Accelerator(bitfile, weights=\"{Path(r['out']).name}\") or "
              "acc.load_weights(...); C: fpgagen_load_weights")
