"""Lint gate: every hw/*.v must pass ``verilator --lint-only -Wall`` with no warning, at its
default parameters and at a second, narrow parameter set; and every module has its cocotb test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fpgagen.plan.cycles import EngineTiming
from fpgagen.plan.engine_fields import RTL_FIELDS, table_fields
from fpgagen.rtl.hwfiles import HW_DIR
from fpgagen.verify.verilator import lint

MODULES = sorted(p.stem for p in HW_DIR.glob("*.v"))


def engine_drain(p_in: int, p_out: int) -> int:
    """fg_engine's DRAIN for an engine, as the generated top passes it (the cycle model's)."""
    return EngineTiming(p_in, p_out, len(RTL_FIELDS)).drain


# a second parameter set per module that stresses the width arithmetic (1-lane, odd widths)
NARROW = {
    "fg_requant": {"LANES": 3, "ACC_W": 2, "OUT_W": 64, "MAX_LSHIFT": 32},
    "fg_pe_array": {"P_IN": 1, "P_OUT": 2, "A_W": 3, "W_W": 2, "ACC_W": 5, "PACK": 1},
    "fg_ksum": {"P_OUT": 8, "NG": 4, "ACC_W": 6, "LGW": 2},
    "fg_mul": {"A_W": 2, "B_W": 32},
    "fg_mul2": {"A_W": 2, "B_W": 3, "S": 7},
    "fg_delay": {"WIDTH": 3, "DEPTH": 0},
    "fg_count": {"W": 1},
    "fg_maxpool": {"LANES": 1, "A_W": 1},
    "fg_pixmax": {"PP": 5, "LANES": 1, "A_W": 1},
    "fg_avgpool": {"LANES": 1, "A_W": 16, "SUM_W": 30, "M_W": 1, "ACC_W": 20},
    "fg_add": {"LANES": 1, "A_W": 1, "B_W": 16, "MAX_ALIGN": 0, "ACC_W": 40},
    "fg_sdp_ram": {"WIDTH": 1, "DEPTH": 3, "RAM_STYLE": '"distributed"', "OUT_REG": 0},
    "fg_col_ram": {"WIDTH": 12, "LANES": 3, "DEPTH": 3, "OUT_REG": 0, "N_COLS": 4,
                   "COL_W": "64'h0004000000040004", "COL_ULTRA": "4'b0010"},
    "fg_arena": {"WIDTH": 6, "LANES": 1, "BANKS": 4, "BANK_DEPTH": 3, "OUT_REG": 0, "N_COLS": 2,
                 "COL_W": "32'h00030003", "PP": 3},
    "fg_rom": {"WIDTH": 130, "DEPTH": 2, "ROM_STYLE": '"distributed"', "INIT_FILE": '"x.hex"'},
    "fg_axis_unpack": {"A_W": 12, "VB": 2, "C": 3, "TDATA_W": 64, "N_BEATS": 3,
                       "N_PIXELS": 3, "LAST_BYTES": 2},
    "fg_axis_out": {"A_W": 16, "VB": 2, "LANES": 3, "TDATA_W": 64},
    "fg_axil_ctrl": {"ADDR_W": 6, "BUILD_ID": 1},
    "fg_conv_agu": {"AW": 2, "CW": 2, "WA_W": 1, "BA_W": 1, "G": 4, "PP": 3},
    "fg_pool_agu": {"AW": 2, "CW": 2, "PP": 3},
    "fg_vec_agu": {"AW": 2, "CW": 2, "PP": 3},
    "fg_layer_table": {"N_ROWS": 1, "NF": 2, "FW": 2, "TABLE_FILE": '"x.hex"'},
    "fg_writeback": {"P_IN": 8, "P_OUT": 2, "ACT_W": 3, "AW": 2, "CW": 2, "PF_DEPTH": 2,
                     "PP": 3},
    "fg_logits_out": {"P_IN": 3, "ACT_W": 16, "OUT_W": 2, "OUT_COUNT": 1, "AW": 2},
    "fg_stage_slots": {"PIXELS": 1, "TAPS": 1, "SLOTS": 1, "SA_W": 1},
    "fg_fused_pair": {"CW": 2, "DRAIN": 3},
    "fg_credit": {"DEPTH": 2},
    "fg_crc32": {"BYTES": 1},
    "fg_wload": {"TDATA_W": 64, "W_WIDTH": 3, "W_DEPTH": 1, "WA_W": 1, "B_WIDTH": 130,
                 "B_DEPTH": 3, "BA_W": 2, "VALID_INIT": 1},
    "fg_engine": {"P_IN": 8, "P_OUT": 4, "ACT_W": 16, "IN_W": 12, "IN_C": 1, "ACC_W": 44,
                  "OUT_W": 2, "OUT_SIGNED": 1, "MAX_LSHIFT": 5, "N_LAYERS": 3, "TAPS": 4,
                  "DRAIN": engine_drain(8, 4),
                  "TABLE_FILE": '"t.hex"', "WEIGHTS_FILE": '"w.hex"', "BIASES_FILE": '"b.hex"',
                  "WEIGHTS_INIT": 0, "WEIGHT_STYLE": '"ultra"', "BIAS_STYLE": '"ultra"'},
}


# modules that need a memory file name to elaborate (their lint needs none to exist); the
# engine needs its DRAIN too (the default parameters' P_IN = 4, P_OUT = 8)
DEFAULT_FILES = {
    "fg_rom": {"INIT_FILE": '"x.hex"'},
    "fg_layer_table": {"TABLE_FILE": '"x.hex"'},
    "fg_engine": {"TABLE_FILE": '"t.hex"', "WEIGHTS_FILE": '"w.hex"', "BIASES_FILE": '"b.hex"',
                  "DRAIN": engine_drain(4, 8)},
}


def test_hw_has_modules():
    assert MODULES, f"no Verilog in {HW_DIR}"


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("narrow", [False, True], ids=["default", "narrow"])
def test_lint(module, narrow):
    if narrow and module not in NARROW:
        pytest.skip(f"no narrow parameter set for {module}")
    params = NARROW[module] if narrow else dict(DEFAULT_FILES.get(module, {}))
    # other hw/ modules resolve through the library path (-y), one file is the top
    code, text = lint([HW_DIR / f"{module}.v"], top=module, parameters=params,
                      extra_args=["-y", str(HW_DIR)])
    problems = [ln for ln in text.splitlines() if ln.startswith("%")]
    assert code == 0 and not problems, "\n" + text


@pytest.mark.parametrize("module", MODULES)
def test_module_has_cocotb_test(module):
    test = Path(__file__).parent / module / f"test_{module}.py"
    assert test.is_file(), f"{module} has no cocotb test at {test}"


@pytest.mark.parametrize(("p_in", "p_out", "pp", "sbanks", "taps", "in_c"),
                         [(4, 8, 3, 4, 1, 3), (8, 4, 2, 8, 4, 1), (16, 16, 4, 16, 4, 3)],
                         ids=["4x8x3", "8x4x2", "16x16x4"])
def test_lint_engine_pixel_banks(p_in, p_out, pp, sbanks, taps, in_c):
    """fg_engine with pixel banks (PP copies of the array, PP arena pixel banks, SBANKS
    staging banks), banked and lane-grouped: lint-clean as at one pixel a beat."""
    params = {"P_IN": p_in, "P_OUT": p_out, "PP": pp, "SBANKS": sbanks, "TAPS": taps,
              "IN_C": in_c, "NF": len(table_fields(pp)), "DRAIN": engine_drain(p_in, p_out),
              **{k: v for k, v in DEFAULT_FILES["fg_engine"].items() if k != "DRAIN"}}
    code, text = lint([HW_DIR / "fg_engine.v"], top="fg_engine", parameters=params,
                      extra_args=["-y", str(HW_DIR)])
    problems = [ln for ln in text.splitlines() if ln.startswith("%")]
    assert code == 0 and not problems, "\n" + text
