"""Small cocotb helpers shared by the module testbenches."""

from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

CLK_NS = 4


def start_clock(clk, period_ns: int = CLK_NS) -> None:
    cocotb.start_soon(Clock(clk, period_ns, unit="ns").start())


async def reset(clk, rst, cycles: int = 3, active_high: bool = True) -> None:
    rst.value = 1 if active_high else 0
    for _ in range(cycles):
        await RisingEdge(clk)
    rst.value = 0 if active_high else 1
    await RisingEdge(clk)


def u(sig) -> int:
    """A signal's value as an unsigned int."""
    return int(sig.value)


async def falling(clk) -> None:
    await FallingEdge(clk)


async def run_beats(clk, beats, drive, idle, sample, tail: int = 8) -> None:
    """Cycle-by-cycle driver for the streaming (no-backpressure) datapath modules.

    Each cycle, on the falling edge (outputs of the previous rising edge are settled):
    ``sample(t)`` reads the outputs, then ``drive(beat, t)`` applies ``beats[t]`` or, for
    ``None`` entries and ``tail`` extra cycles at the end, ``idle(t)`` deasserts valid.
    """
    for t in range(len(beats) + tail):
        await FallingEdge(clk)
        sample(t)
        b = beats[t] if t < len(beats) else None
        if b is None:
            idle(t)
        else:
            drive(b, t)
