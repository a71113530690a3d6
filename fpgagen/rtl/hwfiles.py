"""The hand-written Verilog modules shipped in ``hw/``: their folder and their files by name.

The generator (`fpgagen.rtl.emit`) copies them into a build; the lint and synthesis gates and
the per-module cocotb tests read them in place, by module name, so a missing or misspelt
module is a FileNotFoundError naming the path rather than a Verilator error about a top.
"""

from __future__ import annotations

from pathlib import Path

from fpgagen.util.resources import data_dir

HW_DIR = data_dir("hw")


def hw_sources(*names: str) -> list[Path]:
    """Paths of hand-written modules in ``hw/`` by name (``fg_requant`` or ``fg_requant.v``)."""
    out = []
    for n in names:
        p = HW_DIR / (n if n.endswith(".v") else n + ".v")
        if not p.is_file():
            raise FileNotFoundError(p)
        out.append(p)
    return out
