"""FPGA boards, read from the TOML files in ``boards/``: part, memories, DSPs, logic, clock.

On-chip capacity counts raw bits: a BRAM36 holds 36 Kbit = 4.5 KiB (the ninth bit of each byte
included, since fpgagen packs words at arbitrary widths, e.g. 72-bit weight words, and uses
it), a URAM 288 Kbit = 36 KiB. LUTRAM is not counted: the logic is left for the engine.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from fpgagen.errors import unknown_name
from fpgagen.util.resources import data_dir

BRAM36_BYTES = 36 * 1024 // 8  # 4608
URAM_BYTES = 288 * 1024 // 8  # 36864


@dataclass(frozen=True)
class Board:
    """One board: its FPGA part and the resources the planner may use."""

    name: str
    description: str
    part: str
    family: str
    bram36: int
    uram: int
    dsp: int
    lut: int
    ff: int
    clock_mhz: float
    aliases: tuple[str, ...] = ()
    # Vivado board part (vendor:board:part0:version) whose presets configure the processing
    # system in system/build.tcl; "" where fpgagen knows none (then the part alone)
    board_part: str = ""
    # DSP slice type (a key of DSP_OPERAND_BITS): how wide its multiplier's operand is, so
    # whether two MACs can share one (fpgagen/plan/engine.py `pack_problem`)
    dsp_slice: str = "DSP48E1"

    @property
    def onchip_bytes(self) -> int:
        """Raw on-chip memory capacity in bytes (BRAM36 x 4.5 KiB + URAM x 36 KiB)."""
        return self.bram36 * BRAM36_BYTES + self.uram * URAM_BYTES


_FIELDS = ("name", "description", "part", "family", "bram36", "uram", "dsp", "dsp_slice", "lut",
           "ff", "clock_mhz")
# the wide operand of each DSP slice's multiplier, signed bits (Xilinx UG479: DSP48E1 25x18;
# UG579: DSP48E2 27x18); the other operand is 18 bits on both
DSP_OPERAND_BITS = {"DSP48E1": 25, "DSP48E2": 27}
DSP_NARROW_BITS = 18


@cache
def all_boards() -> dict[str, Board]:
    """Every board shipped in ``boards/``, by canonical name, in file-name order."""
    boards = {}
    for path in sorted(data_dir("boards").glob("*.toml")):
        with path.open("rb") as f:
            raw = tomllib.load(f)
        missing = [k for k in _FIELDS if k not in raw]
        if missing:
            raise ValueError(f"board file {path} lacks {', '.join(missing)}")
        if raw["dsp_slice"] not in DSP_OPERAND_BITS:
            raise ValueError(f"board file {path}: dsp_slice {raw['dsp_slice']!r} is not one of "
                             f"{', '.join(DSP_OPERAND_BITS)}")
        board = Board(**{k: raw[k] for k in _FIELDS}, aliases=tuple(raw.get("aliases", ())),
                      board_part=raw.get("board_part", ""))
        boards[board.name] = board
    return boards


def board_names() -> list[str]:
    """Canonical names followed by aliases, for error messages and help."""
    boards = all_boards()
    return [*boards, *(a for b in boards.values() for a in b.aliases)]


def load_board(name: str) -> Board:
    """A board by name or alias (case-insensitive); a one-line error listing choices otherwise."""
    key = name.lower()
    for board in all_boards().values():
        if key == board.name or key in board.aliases:
            return board
    raise unknown_name("board", name, board_names())
