"""What the engine can run: every rule a design must meet, checked once, before any work.

`fpgagen check` and `fpgagen build` both plan through `supported_plan` and, when the design
fits, apply `check_widths` (both in `fpgagen.cli.check.check_design`), so a CI gate never
passes a design the build then refuses, and the build refuses before it quantizes, runs the
golden model or writes a file.
Each rule names the layer that breaks it. Rules decided elsewhere, earlier, on the same path:

- the engine's shape (powers of two, 1..1024): `fpgagen.plan.engine.EngineConfig`, when ``--pe`` is
  parsed; the default engine's P_in against the image and concats: `default_engine`;
- grouped convs, concat inputs written in place, per-layer precision names:
  `fpgagen.plan.plan.make_plan` (called from here).

What only quantization can tell (a bias or shift chosen by calibration that widens an
accumulator past 62 bits) is still refused by the build alone; the width-only part of that
rule is checked here.
"""

from __future__ import annotations

from fpgagen.errors import FpgagenError
from fpgagen.frontend.graph import INPUT, Graph
from fpgagen.machine.engine_table import counter_bits, rtl_table
from fpgagen.machine.layertable import image_reader_problem, layer_geometry
from fpgagen.plan.boards import Board
from fpgagen.plan.engine import EngineConfig, avgpool_sum_width
from fpgagen.plan.plan import Plan, make_plan
from fpgagen.quant.fixed import MAX_ACC_BITS, clog2
from fpgagen.quant.precision import Precision
from fpgagen.quant.quantize import AVG_MULT_BITS, activation_specs

SUM_BITS = 32  # the average pool's sum register (hw/fg_avgpool.v SUM_W)
# widest activation (and image) value: two bits below the sum register (emit_rtl's SUM_W is at
# least ACT_W + 2), and the MAC array's signed operand max(ACT_W, IN_W) + 1 <= 32
ACT_BITS = SUM_BITS - 2
WEIGHT_BITS = 32  # the MAC array's weight operand (hw/fg_pe_array.v W_W <= 32)


def supported_plan(graph: Graph, board: Board, precision: Precision,
                   engine: EngineConfig | None, fuse: bool, weight_source: str = "auto"
                   ) -> Plan:
    """`make_plan`, with the rules no board or precision can fix checked around it: raises
    `FpgagenError` (one line, naming the layer) for the first one the design breaks.

    The rules that do not depend on the engine come first, so a layer the engine cannot run
    is blamed before any engine size is. Pure and quick: shapes only.
    """
    _check_image_readers(graph, None)  # any engine: only a conv reads the image
    activation_specs(graph, precision)  # a concat or max-pool group asks for one type
    plan = make_plan(graph, board, precision, engine, fuse, weight_source=weight_source)
    _check_image_readers(graph, plan.engine.p_in)
    counter_bits(rtl_table(layer_geometry(plan), plan.stage_taps))  # 16-bit counters, 32-bit fields
    return plan


def check_widths(plan: Plan) -> None:
    """The rules a narrower ``--precision`` fixes: activations within 30 bits and weights within
    32 (the MAC array's operands), accumulators within 62 bits (the part every width choice
    forces; calibration can only add to it), average-pool sums within 32.

    ``check`` and ``build`` apply them once the design fits; a design that does not fit is
    told which precision fits instead (the suggested ones all meet these rules).
    """
    _check_lane_widths(plan.graph, plan.precision)
    _check_accumulators(plan.graph, plan.precision)
    _check_avgpool_sums(plan)


def _check_image_readers(graph: Graph, p_in: int | None) -> None:
    """Every layer on the image can read it (see `image_reader_problem`)."""
    for lay in graph.layers:
        problem = (image_reader_problem(lay, graph.input_shape[2], p_in)
                   if INPUT in lay.inputs else None)
        if problem:
            raise FpgagenError(problem)


def _check_lane_widths(graph: Graph, precision: Precision) -> None:
    """Precision accepts up to 64 bits; the engine's datapath does not."""
    for tensor, spec in activation_specs(graph, precision).items():
        if spec.width > ACT_BITS:
            what = "the input image" if tensor == INPUT else f"layer {tensor!r}"
            raise FpgagenError(f"--precision gives {what} {spec.width}-bit activations; the "
                               f"engine's lanes hold at most {ACT_BITS} bits (use narrower "
                               "activations)")
    for lay in graph.layers:
        width = precision.layer(lay.name).weight.width
        if lay.op == "conv" and width > WEIGHT_BITS:
            raise FpgagenError(f"--precision gives layer {lay.name!r} {width}-bit weights; the "
                               f"engine's MAC array takes at most {WEIGHT_BITS} bits (use "
                               "narrower weights)")


def _check_accumulators(graph: Graph, precision: Precision) -> None:
    """The accumulator bits every width choice forces (calibration can only add to them)."""
    specs = activation_specs(graph, precision)
    for lay in graph.layers:
        x = specs[lay.inputs[0]].width
        if lay.op == "conv":
            w, b = precision.layer(lay.name).weight.width, precision.layer(lay.name).bias.width
            terms = lay.kernel * lay.kernel * graph.in_shape(lay)[2] // lay.groups
            need = max(x + w + clog2(terms), b) + 1
            detail = f"{x}-bit input x {w}-bit weight over {terms} terms, {b}-bit bias"
        elif lay.op == "avgpool":
            h, w, _ = graph.in_shape(lay)
            need = x + clog2(h * w) + AVG_MULT_BITS + 1
            detail = f"sum of {h * w} {x}-bit values times a {AVG_MULT_BITS}-bit reciprocal"
        else:
            continue
        if need > MAX_ACC_BITS:
            raise FpgagenError(f"layer {lay.name!r}: the accumulator needs at least {need} bits "
                               f"({detail}), more than the {MAX_ACC_BITS} the engine and the "
                               "int64 golden model allow; use narrower types")


def _check_avgpool_sums(plan: Plan) -> None:
    """The average pool sums a whole map in a 32-bit register before it scales."""
    act_w = plan.activations.word_bits // plan.engine.p_in
    for lay in plan.graph.layers:
        if lay.op == "avgpool":
            h, w, _ = plan.graph.in_shape(lay)
            need = avgpool_sum_width(act_w, h * w)
            if need > SUM_BITS:
                raise FpgagenError(f"average pool {lay.name!r} over {h}x{w} pixels: its sum "
                                   f"needs {need} bits; the engine supports {SUM_BITS} (use "
                                   "narrower activations)")
