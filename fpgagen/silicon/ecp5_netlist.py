"""ECP5 netlist fix-up between Yosys and nextpnr: pack block-RAM output registers.

The engine reads every memory through the memory's own output register (hw/fg_sdp_ram.v,
OUT_REG >= 1): Vivado packs that register into the block RAM (DOB_REG), and so does a
Lattice flow that infers EBRs with REGMODE = "OUTREG". Yosys's ECP5 mapping does not: it
builds every EBR (DP16KD) with REGMODE "NOREG" and leaves the register in the fabric, which
puts the EBR's 5.6 ns unregistered clock-to-output, plus a route to wherever the placer put
that flip-flop, on one path. This pass does what the vendor flow does: where every read
data pin of an EBR drives exactly one fabric flip-flop on the same clock with no enable and
no reset, and nothing else, the flip-flops are removed and the EBR's output register takes
their place (REGMODE_A/B = "OUTREG", output clock enables tied high). The function is pure
(netlist in, netlist out) so it is unit-tested on a netlist Yosys wrote.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

EBR_TYPES = ("DP16KD",)
FF_TYPE = "TRELLIS_FF"
# the data pin of a TRELLIS_FF as Yosys connects it
FF_DATA_PINS = ("DI", "M")


def _is_do(pin: str) -> bool:
    return pin.startswith(("DOA", "DOB"))


def _bit_readers(cells: dict[str, Any]) -> dict[int, list[tuple[str, str]]]:
    """Every (cell, input pin) reading each net bit."""
    readers: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for name, cell in cells.items():
        dirs = cell.get("port_directions", {})
        for pin, bits in cell["connections"].items():
            if dirs.get(pin, "input") == "output":
                continue
            for b in bits:
                if isinstance(b, int):
                    readers[b].append((name, pin))
    return readers


def _port_bits(module: dict[str, Any]) -> set[int]:
    return {b for port in module.get("ports", {}).values() for b in port["bits"]
            if isinstance(b, int)}


def _plain_ff(cell: dict[str, Any], clock: list[Any]) -> bool:
    """A flip-flop on `clock` that loads every cycle and never resets."""
    if cell["type"] != FF_TYPE:
        return False
    conn, par = cell["connections"], cell.get("parameters", {})
    if conn.get("CLK") != clock or str(par.get("CLKMUX", "CLK")).strip() != "CLK":
        return False
    ce_on = str(par.get("CEMUX", "1")).strip() == "1" or conn.get("CE", ["1"]) == ["1"]
    lsr_off = conn.get("LSR", ["0"]) == ["0"] or str(par.get("LSRMUX", "")).strip() == "0"
    return ce_on and lsr_off


def pack_ebr_output_registers(netlist: dict[str, Any], top: str) -> tuple[dict[str, Any], int]:
    """A copy of a Yosys JSON netlist with the EBRs' read registers packed; returns it and the
    number of EBRs changed."""
    out = copy.deepcopy(netlist)
    module = out["modules"][top]
    cells = module["cells"]
    readers = _bit_readers(cells)
    ports = _port_bits(module)
    packed = 0
    for name in list(cells):
        ebr = cells.get(name)  # None: a flip-flop already packed into an earlier EBR
        if ebr is None or ebr["type"] not in EBR_TYPES:
            continue
        conn = ebr["connections"]
        # the read clock: in the 36-bit pseudo-dual-port mode both DOA and DOB carry port B's
        # read data, and a ROM's unused port has its clock tied off, so take the EBR's clocked
        # port(s): the flip-flop must be on one of them (this design has one clock)
        clocks = [conn[p] for p in ("CLKA", "CLKB")
                  if p in conn and any(isinstance(b, int) for b in conn[p])]
        plan: list[tuple[str, int, str, int]] = []   # (pin, index, ff name, q bit)
        ok = True
        for pin, bits in conn.items():
            if not _is_do(pin):
                continue
            for i, b in enumerate(bits):
                if not isinstance(b, int) or not readers.get(b):
                    continue
                users = readers[b]
                ff = cells[users[0][0]] if len(users) == 1 else None
                if (ff is None or users[0][1] not in FF_DATA_PINS or b in ports
                        or not any(_plain_ff(ff, clk) for clk in clocks)):
                    ok = False
                    break
                plan.append((pin, i, users[0][0], ff["connections"]["Q"][0]))
            if not ok:
                break
        if not ok or not plan:
            continue
        for pin, i, ff_name, q in plan:
            conn[pin][i] = q
            del cells[ff_name]
        params = ebr.setdefault("parameters", {})
        params["REGMODE_A"] = "OUTREG"
        params["REGMODE_B"] = "OUTREG"
        conn["OCEA"] = ["1"]
        conn["OCEB"] = ["1"]
        # a ROM's port A has its clock tied off, but in the 36-bit read mode half of the read
        # data leaves on the DOA pins, which timing (and their output register) takes from
        # CLKA: clock port A too (its clock enable stays off, so it still never writes)
        for side, other in (("A", "B"), ("B", "A")):
            if not any(isinstance(b, int) for b in conn.get(f"CLK{side}", [])):
                conn[f"CLK{side}"] = list(conn[f"CLK{other}"])
        packed += 1
    return out, packed
