"""The Verilog includes rendered from Python tables: hw/fg_fields.vh and hw/fg_latency.vh.

hw/fg_engine.v decodes the layer table by field index and sizes its pipeline by stage
latencies; both used to be copied by hand from Python (only the field count was checked). The
includes are rendered here from the one definition of each - `RTL_FIELDS` and the op codes
(fpgagen/plan/engine_fields.py, fpgagen/machine/layertable.py), `RTL_LATENCY`
(fpgagen/plan/engine_latency.py) - and committed in hw/ (so hw/ stays a plain Verilog folder
for lint, simulation and synthesis); tests/test_hw_headers.py fails while a committed file
differs from its rendering. `fpgagen.rtl.emit` copies them into every build's rtl/.

Regenerate after changing a table::

    python -m fpgagen.rtl.headers          # rewrites hw/*.vh
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from fpgagen.machine.layertable import OP_CODES
from fpgagen.plan.engine_fields import FIELD_BITS, PIX_FIELDS, RTL_FIELDS
from fpgagen.plan.engine_latency import RTL_LATENCY
from fpgagen.util.resources import data_dir

REGENERATE = "python -m fpgagen.rtl.headers"


def _banner(name: str, job: str, source: str) -> list[str]:
    text = f"GENERATED - do not edit. Rendered by fpgagen.rtl.headers from {source}."
    return [f"// {name}: {job}", "//", *(f"// {t}" for t in textwrap.wrap(text, 94)),
            f"// Regenerate: {REGENERATE}  (tests/test_hw_headers.py fails while this differs)",
            "// Included inside a module body: Verilog 2005 localparams.", ""]


def render_fields() -> str:
    """hw/fg_fields.vh: FW, the field index ``F_<NAME>`` of every `RTL_FIELDS` entry (the
    order of a layers.hex row) and of the `PIX_FIELDS` after them (a pixel-parallel engine's
    table), NF_USED and NF_PIX_USED (their counts) and the op codes ``OP_<OP>``."""
    lines = _banner("fg_fields.vh", "the layer table's row format (fields, op codes)",
                    "fpgagen/plan/engine_fields.py (RTL_FIELDS, FIELD_BITS) and "
                    "fpgagen/machine/layertable.py (OP_CODES)")
    fields = RTL_FIELDS + PIX_FIELDS
    lines += [f"localparam FW = {FIELD_BITS};   // bits per field (one table ROM word)",
              f"localparam NF_USED = {len(RTL_FIELDS)};   // fields per row the engine decodes",
              f"localparam NF_PIX_USED = {len(fields)};   // ... with pixel banks (PP > 1)",
              ""]
    lines += [f"localparam F_{name.upper()} = {i};" for i, name in enumerate(fields)]
    lines += [""]
    lines += [f"localparam OP_{op.upper()} = {code};"
              for op, code in sorted(OP_CODES.items(), key=lambda kv: kv[1])]
    return "\n".join(lines) + "\n"


def render_latency() -> str:
    """hw/fg_latency.vh: ``LAT_<NAME>`` for every stage of `RTL_LATENCY`, with its comment."""
    lines = _banner("fg_latency.vh", "the engine's pipeline latencies, in cycles",
                    "fpgagen/plan/engine_latency.py (RTL_LATENCY)")
    for name, (cycles, what) in RTL_LATENCY.items():
        lines += [f"// {part}" for part in textwrap.wrap(what, 94)]
        lines += [f"localparam LAT_{name} = {cycles};"]
    return "\n".join(lines) + "\n"


# the include files, each with its renderer
HEADERS: dict[str, Callable[[], str]] = {
    "fg_fields.vh": render_fields,
    "fg_latency.vh": render_latency,
}


def write_headers(folder: Path | None = None) -> list[Path]:
    """Render every include into ``folder`` (default: the shipped hw/); returns the paths."""
    folder = Path(folder) if folder is not None else data_dir("hw")
    written = []
    for name, render in HEADERS.items():
        path = folder / name
        path.write_text(render())
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m fpgagen.rtl.headers [FOLDER]``: rewrite the includes (hw/ by default)."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_headers(Path(args[0]) if args else None):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
