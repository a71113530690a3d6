"""The Verilog engine's pipeline latencies: one table for the RTL and for its cycle model.

Before this table the same numbers were written twice, in hw/fg_engine.v's localparams and in
fpgagen/plan/cycles.py, and nothing failed when one side changed alone. Now:

- ``fpgagen.rtl.headers`` renders the table into hw/fg_latency.vh (``LAT_<NAME>`` localparams),
  which hw/fg_engine.v includes: its memories' output registers, delay lines and its own sum
  of DRAIN use those names (tests/test_hw_headers.py fails while the committed file differs from
  the rendering);
- `fpgagen.plan.cycles` sums the same names into ``EngineTiming.drain``, which the generated
  top passes to fg_engine as its ``DRAIN`` parameter; the engine stops at elaboration when it
  differs from its own sum (a $error in its parameter checks: Yosys refuses the design,
  a simulation ends at time 0), so a change to either formula alone fails every RTL test
  (sim/test_hw_synth.py checks it directly);
- the datapath modules' cocotb tests take their expected latency from here (fg_pe_array,
  fg_requant, fg_maxpool, fg_writeback), so a module whose pipeline changes fails its test until
  the table (and with it the engine and the estimate) follows.
"""

from __future__ import annotations

# name -> (cycles, what they are); the Verilog name is LAT_<name>
RTL_LATENCY: dict[str, tuple[int, str]] = {
    "A1": (1, "fg_engine A1: a generator's beat registered with its memory addresses"),
    "MEM_REGS": (2, "output registers behind a memory's read register (every memory's OUT_REG, "
                    "fg_layer_table ROM_REGS): a read takes 1 + MEM_REGS cycles"),
    "A4": (1, "fg_engine A4: the operands registered"),
    "PE": (4, "fg_pe_array: multiplier and accumulator stages, before its clog2(P_IN) adder "
              "levels"),
    "R0": (1, "fg_engine R0: the result registered"),
    "REQUANT": (6, "fg_requant"),
    "WB": (1, "fg_writeback with one arena bank (a result presented -> written)"),
    "WB_BANKED": (2, "fg_writeback with several arena banks (its source stage before the bank "
                     "rotation)"),
    "MAXPOOL": (3, "fg_maxpool: two input registers, compare/select"),
    "DRAIN_MARGIN": (3, "DRAIN's cycles beyond the pipeline from a last beat to its write"),
}


def latency(name: str) -> int:
    """Cycles of stage ``name`` of `RTL_LATENCY` (a KeyError names a stage the table lacks)."""
    return RTL_LATENCY[name][0]
