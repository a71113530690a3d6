"""Host drivers for a build: its Machine -> the files of ``driver/``.

``driver/`` holds everything a host program needs to run the core and nothing it must install:

- ``fpgagen_driver.py`` (PYNQ and pure numpy), ``fpgagen_driver.c`` / ``.h`` (bare metal), copied
  from ``fpgagen/driver/`` unchanged, so every build runs the one driver the tests prove;
- ``build.json``: the build's constants (shapes, types, input rounding and saturation, stream
  geometry, DMA buffer sizes, register map, BUILD_ID, clock, the weights: whether the bitstream
  holds them, weights.bin's length and CRC-32; the model's preprocessing and class names), read
  by ``BuildInfo``;
- ``weights.bin``: the build's weights as the core's load mode takes them on in_stream
  (`fpgagen.machine.weightload`); the driver loads it when the bitstream holds no weights;
- ``fpgagen_build.h``: the same constants as C ``#define``s for the C driver
  (templates/driver/fpgagen_build.h.j2).

Nothing here is decided: the stream figures come from `build_stream_format`, the identity from
`build_id`, the register map from the driver module itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from fpgagen import __version__
from fpgagen.driver import fpgagen_driver as drv
from fpgagen.frontend.images import preprocess_constants
from fpgagen.frontend.labels import ModelInfo
from fpgagen.machine.context import Machine
from fpgagen.plan.streams import dma_length_bits
from fpgagen.util.templating import render

DRIVER_DIR = Path(__file__).resolve().parents[1] / "driver"
DRIVER_FILES = ("fpgagen_driver.py", "fpgagen_driver.c", "fpgagen_driver.h")
BUILD_JSON = "build.json"
BUILD_H = "fpgagen_build.h"
WEIGHTS_BIN = "weights.bin"


def build_json(m: Machine, info: ModelInfo | None = None) -> dict[str, Any]:
    """The contents of ``driver/build.json`` (pure). ``info``: the model's preprocessing and
    class names (``preprocess`` and ``labels`` null without it: the driver then refuses
    ``predict_image`` rather than guess)."""
    plan, qgraph = m.plan, m.qgraph
    graph = qgraph.graph
    fmt = m.stream
    ti, to = qgraph.input_type, qgraph.output_type
    bid = m.build_id
    return {
        "schema": drv.SCHEMA,
        "fpgagen": __version__,
        "model": graph.name,
        "board": plan.board.name,
        "part": plan.board.part,
        "clock_mhz": plan.board.clock_mhz,
        "build_id": bid,
        "build_id_hex": f"0x{bid:08x}",
        "input": {"shape": list(graph.input_shape), "layout": "HWC", "type": ti.cpp,
                  "width": ti.width, "frac": ti.frac, "signed": ti.signed,
                  "rounding": qgraph.input_rounding, "saturation": qgraph.input_saturation,
                  "values": fmt.in_values, "value_bytes": fmt.in_value_bytes},
        "output": {"shape": list(graph.shape(graph.output)), "type": to.cpp, "width": to.width,
                   "frac": to.frac, "signed": to.signed, "values": fmt.out_values,
                   "value_bytes": fmt.out_value_bytes},
        "stream": {"tdata_bits": fmt.tdata_bits, "tdata_bytes": fmt.tdata_bytes,
                   "in_beats": fmt.in_beats, "out_beats": fmt.out_beats,
                   "in_payload_bytes": fmt.in_payload_bytes,
                   "out_payload_bytes": fmt.out_payload_bytes,
                   "in_buffer_bytes": fmt.in_buffer_bytes,
                   "out_buffer_bytes": fmt.out_buffer_bytes,
                   "in_values_per_beat": fmt.in_values_per_beat,
                   "out_values_per_beat": fmt.out_values_per_beat,
                   "dma_length_bits": dma_length_bits(max(fmt.in_buffer_bytes,
                                                          fmt.out_buffer_bytes,
                                                          m.weight_load.bytes))},
        "weights": weights_json(m),
        "preprocess": preprocess_json(info.preprocess) if info is not None else None,
        "labels": list(info.labels) if info is not None and info.labels else None,
        "registers": dict(drv.REGISTERS),
        "register_bits": dict(drv.REGISTER_BITS),
    }


def weights_json(m: Machine) -> dict[str, Any]:
    """build.json's ``weights``: where the weights come from and the load stream's figures."""
    wl = m.weight_load
    return {"source": m.plan.weight_source,
            "in_bitstream": m.weights_init,
            "file": WEIGHTS_BIN, "bytes": wl.bytes, "beats": wl.beats,
            "crc32": m.weights_crc, "crc32_hex": f"0x{m.weights_crc:08x}",
            "weight_words": wl.weight_words, "weight_word_bits": wl.weight_word_bits,
            "beats_per_weight_word": wl.beats_per_weight_word,
            "bias_words": wl.bias_words, "bias_word_bits": wl.bias_word_bits,
            "beats_per_bias_word": wl.beats_per_bias_word,
            "order": "weight words (address 0 first), then bias words; each word's lanes "
                     "little-end first, zero-padded to whole beats; TKEEP all ones, TLAST on "
                     "the last beat"}


def preprocess_json(preprocess: str) -> dict[str, Any]:
    """build.json's ``preprocess``: how ``fpgagen run`` makes the input of an image file, which
    the driver's ``preprocess_image`` repeats (fpgagen/frontend/images.py)."""
    mean, std = preprocess_constants(preprocess)
    steps = {"imagenet": "RGB; the shorter side resized to the larger input side x 256/224 "
                         "(bilinear, Pillow's 8-bit filter); the center H x W cropped",
             "digits": "greyscale; resized to H x W (bilinear, Pillow's 8-bit filter) unless "
                       "it has that size"}
    return {"kind": preprocess, "steps": steps[preprocess] + "; v / 255, then per channel "
            "(v - mean) / std, float32", "mean": list(mean), "std": list(std)}


class _Raw(str):
    """C text written as is (a hex literal, an enum name), not quoted as a string."""


def _c_define_value(v: object) -> str:
    if isinstance(v, _Raw):
        return str(v)
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return f"{v}u" if v >= 0 else str(v)
    return json.dumps(str(v))  # a C string literal (the names are ASCII)


def build_header(info: dict[str, Any]) -> str:
    """``fpgagen_build.h`` for the build.json contents ``info``."""
    i, o, s, wt = info["input"], info["output"], info["stream"], info["weights"]
    h, w, c = i["shape"]
    defines = {
        "MODEL": info["model"], "BOARD": info["board"], "PART": info["part"],
        "BUILD_ID": _Raw(f"0x{info['build_id']:08x}u"),
        "CLOCK_HZ": round(info["clock_mhz"] * 1e6),
        "IN_H": h, "IN_W": w, "IN_C": c, "IN_VALUES": i["values"],
        "IN_WIDTH": i["width"], "IN_FRAC": i["frac"], "IN_SIGNED": i["signed"],
        "IN_VALUE_BYTES": i["value_bytes"],
        "IN_ROUNDING": _Raw(f"FPGAGEN_{i['rounding']}"),
        "IN_SATURATION": _Raw(f"FPGAGEN_{i['saturation']}"),
        "OUT_VALUES": o["values"], "OUT_WIDTH": o["width"], "OUT_FRAC": o["frac"],
        "OUT_SIGNED": o["signed"], "OUT_VALUE_BYTES": o["value_bytes"],
        "TDATA_BITS": s["tdata_bits"], "TDATA_BYTES": s["tdata_bytes"],
        "IN_BEATS": s["in_beats"], "OUT_BEATS": s["out_beats"],
        "IN_PAYLOAD_BYTES": s["in_payload_bytes"], "OUT_PAYLOAD_BYTES": s["out_payload_bytes"],
        "IN_BUFFER_BYTES": s["in_buffer_bytes"], "OUT_BUFFER_BYTES": s["out_buffer_bytes"],
        "WEIGHTS_REQUIRED": wt["source"] == "runtime", "WEIGHTS_BYTES": wt["bytes"],
        "WEIGHTS_BEATS": wt["beats"], "WEIGHTS_CRC32": _Raw(f"0x{wt['crc32']:08x}u"),
    }
    rows = [(f"FPGAGEN_{k}", _c_define_value(v)) for k, v in defines.items()]
    return render("driver/fpgagen_build.h.j2", info=info, defines=rows,
                  clock_mhz=f"{float(info['clock_mhz']):g}")


def emit_driver(out: Path, m: Machine, info: ModelInfo | None = None) -> list[Path]:
    """Write the drivers, build.json and fpgagen_build.h into ``out`` (a build's ``driver/``);
    returns the files written. ``info``: the model's preprocessing and class names."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in DRIVER_FILES:
        written.append(Path(shutil.copyfile(DRIVER_DIR / name, out / name)))
    record = build_json(m, info)
    drv.BuildInfo.from_dict(record)  # the driver must read what the compiler writes
    path = out / BUILD_JSON
    path.write_text(json.dumps(record, indent=2) + "\n")
    written.append(path)
    path = out / BUILD_H
    path.write_text(build_header(record))
    written.append(path)
    path = out / WEIGHTS_BIN
    path.write_bytes(m.weights_bin)
    written.append(path)
    return written
