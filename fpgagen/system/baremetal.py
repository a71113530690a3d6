"""The bare-metal application of a build: ``driver/baremetal/``, a Vitis standalone program that
runs the build's test image on the board and says PASS or FAIL.

Written for every build with a ``system/build.tcl`` (a board with a processing system): the
``.xsa`` that script writes is the Vitis platform this application runs on. The folder stands
alone, so Vitis imports one folder:

- ``main.c``: copied from ``fpgagen/driver/baremetal/`` unchanged (the one program the tests
  compile and run against a simulated core);
- ``fpgagen_driver.c`` / ``.h`` and ``fpgagen_build.h``: the build's C driver, the same files as
  ``driver/``;
- ``fpgagen_app_data.h``: what this build adds (`app_data_header`): the test image's integers
  and the golden logits (the vectors' ``input`` and ``output``), the class names and, when the
  bitstream holds no weights, ``weights.bin`` as a byte array (the program loads it first);
- ``README.md``: the Vitis steps for the board's processor.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fpgagen.machine.context import Machine
from fpgagen.system.blockdesign import (
    CORE_CELL,
    DMA_CELL,
    SCRIPT,
    XSA,
    processing_system,
)
from fpgagen.system.driver import BUILD_H, DRIVER_DIR
from fpgagen.util.templating import BANNER, render

APP_DIR = DRIVER_DIR / "baremetal"
APP_SOURCES = ("main.c",)
DRIVER_SOURCES = ("fpgagen_driver.c", "fpgagen_driver.h")
APP_DATA_H = "fpgagen_app_data.h"
README = "README.md"
# the processor a standalone domain runs on, per family (Vitis' names)
PROCESSORS = {"zynq7000": ("ps7_cortexa9_0", "Cortex-A9"),
              "zynquplus": ("psu_cortexa53_0", "Cortex-A53")}
_PER_LINE = 16


def c_string(text: str) -> str:
    """``text`` as a C string literal: printable ASCII as is, every other byte of its UTF-8
    octal-escaped (a class name with an accent stays one valid literal)."""
    out = []
    for b in text.encode("utf-8"):
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F and ch != "?":  # '?' escaped: no trigraphs
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def _c_array(values: Sequence[str]) -> str:
    """Initializer lines, ``_PER_LINE`` values a line."""
    rows = [", ".join(values[i:i + _PER_LINE]) for i in range(0, len(values), _PER_LINE)]
    return ",\n".join(f"    {r}" for r in rows)


def _int64_literal(v: int) -> str:
    """A plain decimal literal where an int holds it (the header stays small), else INT64_C;
    INT64_MIN has no literal of its own."""
    if v == -(2 ** 63):
        return "INT64_MIN"
    return str(v) if -(2 ** 31) < v < 2 ** 31 else f"INT64_C({v})"


def app_data_header(x_int: np.ndarray, logits: np.ndarray, names: Sequence[str] | None,
                    weights_bin: bytes | None, note: str = "") -> str:
    """``fpgagen_app_data.h``: the test image (HWC integers), the golden logits, the class names
    (None: the model has none), weights.bin (None: the bitstream holds the weights) and a note
    the program prints first ("": none; the seeded random weights' warning)."""
    x = [int(v) for v in np.asarray(x_int).reshape(-1)]
    y = [int(v) for v in np.asarray(logits).reshape(-1)]
    parts = [
        f"/* {BANNER}\n * The test image, the golden logits and the class names of this build "
        "(driver/baremetal/main.c reads them). */",
        "#ifndef FPGAGEN_APP_DATA_H\n#define FPGAGEN_APP_DATA_H\n",
        "#include <stddef.h>\n#include <stdint.h>\n\n#include \"fpgagen_build.h\"\n",
        f"#if FPGAGEN_IN_VALUES != {len(x)}u || FPGAGEN_OUT_VALUES != {len(y)}u\n"
        "#error \"fpgagen_app_data.h is not from the build of fpgagen_build.h\"\n#endif\n",
        "/* printed before the results when not empty */",
        f"#define FPGAGEN_APP_NOTE {c_string(note)}\n",
        "/* the test image as the core takes it: the vectors' input, HWC */",
        "static const int64_t fpgagen_app_image[FPGAGEN_IN_VALUES] = {\n"
        + _c_array([_int64_literal(v) for v in x]) + "\n};\n",
        "/* the golden model's logits on it: the vectors' output */",
        "static const int64_t fpgagen_app_golden[FPGAGEN_OUT_VALUES] = {\n"
        + _c_array([_int64_literal(v) for v in y]) + "\n};\n",
    ]
    if names:
        if len(names) != len(y):
            raise AssertionError(f"{len(names)} class names for {len(y)} logits")
        parts.append("static const char *const fpgagen_app_class_names[FPGAGEN_OUT_VALUES] = "
                     "{\n" + ",\n".join(f"    {c_string(n)}" for n in names) + "\n};\n")
        lookup = "i < FPGAGEN_OUT_VALUES ? fpgagen_app_class_names[i] : \"\""
    else:
        parts.append("/* the model has no class names */")
        lookup = "(void)i, \"\""
    parts.append("/* the name of class i (\"\" when the model has none) */\n"
                 "static const char *fpgagen_app_class_name(size_t i)\n"
                 f"{{\n    return {lookup};\n}}\n")
    if weights_bin is not None:
        parts.append("/* weights.bin: the bitstream holds no weights, main.c loads these first "
                     "(aligned for the DMA) */\n"
                     "static const uint8_t fpgagen_app_weights[FPGAGEN_WEIGHTS_BYTES]\n"
                     "    __attribute__((aligned(64))) = {\n"
                     + _c_array([f"0x{b:02x}" for b in weights_bin]) + "\n};\n")
    parts.append("#endif /* FPGAGEN_APP_DATA_H */\n")
    return "\n".join(parts)


def emit_baremetal(out: Path, m: Machine, x_int: np.ndarray, logits: np.ndarray,
                   names: Sequence[str] | None, note: str = "") -> list[Path]:
    """Write ``out`` (a build's ``driver/baremetal/``, after ``driver/``); returns the files
    written. ``x_int`` and ``logits``: the build's test image and golden logits; ``note``: what
    the program prints first (the random weights' warning)."""
    board = m.plan.board
    ps = processing_system(board)
    if ps is None:
        raise AssertionError(f"{board.name} has no processing system: no bare-metal program")
    out.mkdir(parents=True, exist_ok=True)
    written = [Path(shutil.copyfile(APP_DIR / n, out / n)) for n in APP_SOURCES]
    written += [Path(shutil.copyfile(DRIVER_DIR / n, out / n)) for n in DRIVER_SOURCES]
    written.append(Path(shutil.copyfile(out.parent / BUILD_H, out / BUILD_H)))
    required = m.plan.weight_source == "runtime"
    path = out / APP_DATA_H
    path.write_text(app_data_header(x_int, logits, names, m.weights_bin if required else None,
                                    note))
    written.append(path)
    processor, core = PROCESSORS[board.family]
    path = out / README
    path.write_text(render("driver/baremetal_README.md.j2", model=m.plan.graph.name,
                           board=board.name, description=board.description, processor=processor,
                           cpu=core, ps_title=ps.title, xsa=XSA, script=SCRIPT,
                           core_cell=CORE_CELL, dma_cell=DMA_CELL, weights_required=required,
                           weights_bytes=len(m.weights_bin), data_h=APP_DATA_H, note=note,
                           files=[*APP_SOURCES, *DRIVER_SOURCES, BUILD_H, APP_DATA_H]))
    written.append(path)
    return written
