"""The Verilog includes rendered from Python tables (fpgagen/rtl/headers.py) and the DRAIN the
generated top passes: one source each, checked.

- hw/fg_fields.vh is RTL_FIELDS (and the op codes), hw/fg_latency.vh is RTL_LATENCY, as
  committed: a table changed without regenerating fails here;
- fg_engine takes its field indices, op codes and latencies from them, not from copies;
- the generated top passes the cycle model's EngineTiming.drain as DRAIN and copies the includes
  into rtl/. (That fg_engine refuses any other DRAIN is sim/test_hw_synth.py's test: it needs
  Yosys.)
"""

from __future__ import annotations

import re

import pytest

from fpgagen.frontend import graph as g
from fpgagen.frontend.weights import random_weights
from fpgagen.machine.context import lower
from fpgagen.machine.layertable import OP_CODES
from fpgagen.plan.boards import load_board
from fpgagen.plan.cycles import timing
from fpgagen.plan.engine import EngineConfig
from fpgagen.plan.engine_fields import FIELD_BITS, PIX_FIELDS, RTL_FIELDS, table_fields
from fpgagen.plan.engine_latency import RTL_LATENCY
from fpgagen.plan.plan import make_plan
from fpgagen.quant.precision import parse_precision
from fpgagen.quant.quantize import calibration_inputs, quantize
from fpgagen.rtl.emit import HW_HEADERS, emit_rtl
from fpgagen.rtl.headers import HEADERS, REGENERATE, render_fields, render_latency
from fpgagen.rtl.hwfiles import HW_DIR

_LOCALPARAM = re.compile(r"^localparam\s+(\w+)\s*=\s*(\d+)\s*;", re.M)


def _params(text: str) -> dict[str, int]:
    return {name: int(v) for name, v in _LOCALPARAM.findall(text)}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_committed_include_is_its_rendering(name):
    path = HW_DIR / name
    assert path.is_file(), f"hw/{name} is missing: run `{REGENERATE}`"
    assert path.read_text() == HEADERS[name](), (
        f"hw/{name} differs from its table: run `{REGENERATE}` and commit the result")


def test_fields_include_is_rtl_fields():
    """RTL_FIELDS in table order, then the pixel-parallel table's PIX_FIELDS after them."""
    got = _params(render_fields())
    fields = RTL_FIELDS + PIX_FIELDS
    assert got.pop("FW") == FIELD_BITS and got.pop("NF_USED") == len(RTL_FIELDS)
    assert got.pop("NF_PIX_USED") == len(fields) == len(table_fields(2))
    assert table_fields(1) == RTL_FIELDS
    ops = {k: got.pop(k) for k in list(got) if k.startswith("OP_")}
    assert ops == {f"OP_{op.upper()}": code for op, code in OP_CODES.items()}
    assert got == {f"F_{f.upper()}": i for i, f in enumerate(fields)}


def test_latency_include_is_the_table():
    assert _params(render_latency()) == {f"LAT_{k}": v for k, (v, _) in RTL_LATENCY.items()}


def test_engine_reads_the_includes_not_copies():
    text = (HW_DIR / "fg_engine.v").read_text()
    for name in HEADERS:
        assert f'`include "{name}"' in text
    # no field index, op code or table latency defined in the engine itself
    own = re.findall(r"\blocalparam\s+(?:\[[^\]]*\]\s*)?((?:F|OP|LAT)_\w+)\s*=", text)
    assert not own, f"fg_engine.v defines {own} itself"
    assert not re.search(r"\blocalparam\s+DRAIN\s*=", text), "DRAIN must be the parameter"
    # every field the engine decodes exists in the table
    fields = _params(render_fields())
    used = set(re.findall(r"\b(F_[A-Z0-9_]+)\b", text))
    assert used and used <= set(fields), used - set(fields)


@pytest.mark.parametrize("pe", [(4, 8), (8, 4), (4, 16)])
def test_generated_top_passes_the_cycle_models_drain(tmp_path, pe):
    gr = g.make_graph("tiny", (6, 6, 3), [
        g.conv("c1", g.INPUT, 8, 3, 1, 1), g.maxpool("p1", "c1"), g.conv("c2", "p1", 8, 1),
        g.avgpool("gap", "c2")])
    prec = parse_precision("8")
    qg = quantize(gr, random_weights(gr, 1), prec, calibration_inputs(gr, 1))
    plan = make_plan(gr, load_board("zynq"), prec, engine=EngineConfig(*pe))
    emit_rtl(tmp_path / "rtl", lower(plan, qg))
    top = (tmp_path / "rtl" / "fpgagen_top.v").read_text()
    drain = timing(plan.engine).drain
    assert re.findall(r"\.DRAIN\((\d+)\)", top) == [str(drain)]
    # the includes travel with the modules, as committed
    assert tuple(HEADERS) == HW_HEADERS
    for name in HW_HEADERS:
        assert (tmp_path / "rtl" / name).read_text() == (HW_DIR / name).read_text()
