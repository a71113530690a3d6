"""How long Yosys ``synth_xilinx`` will take on a build, said before it starts.

Yosys runs single-threaded (and as WebAssembly, the YoWASP wheel): a small engine takes a few
minutes, the ZC706 default most of an hour, and nothing says so while it runs. Most of the
time goes to mapping the MAC array's logic (``techmap``: 42 % on the small 8x8 net), the rest
to the memories, so the estimate is linear in the engine's MACs and the Plan's block RAM,
fitted to measurements on this project's shared 2-core machines:

==================================================  =====  ======  ===========
build                                               MACs   BRAM36  synth_xilinx
==================================================  =====  ======  ===========
small fire net, 8x8 engine (tests/small_onnx.py)       64      13  3.4 min
digits, 4x16 engine                                    64      16  4.5 min
ZC706 default, SqueezeNet 1.1, 16x64 packed          1,024     537  53 min
==================================================  =====  ======  ===========

A loaded machine takes longer, so the message gives a range (half to twice the estimate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BASE_S = 60.0  # reading the sources, hierarchy, the fixed passes
PER_MAC_S = 2.5  # the MAC array's logic: techmap, opt
PER_BRAM36_S = 1.0  # memory inference and mapping, with their initial contents


def synth_seconds(report: Mapping[str, Any]) -> float | None:
    """The expected seconds of Yosys synth_xilinx for a build (its report.json); None when the
    report lacks the engine or the memory figures."""
    try:
        macs = int(report["engine"]["p_in"]) * int(report["engine"]["p_out"])
        bram36 = float(report["memory"]["bram36"])
    except (KeyError, TypeError, ValueError):
        return None
    return BASE_S + PER_MAC_S * macs + PER_BRAM36_S * bram36


def duration(seconds: float) -> str:
    """``3 min``, ``53 min``, ``1.5 h``: a duration for people, as rough as an estimate."""
    minutes = seconds / 60
    if minutes < 1.5:
        return f"{max(1, round(seconds / 10) * 10):.0f} s"
    if minutes < 90:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


def synth_expectation(report: Mapping[str, Any]) -> str | None:
    """The line said before synth_xilinx starts, or None without an estimate."""
    seconds = synth_seconds(report)
    if seconds is None:
        return None
    macs = report["engine"]["p_in"] * report["engine"]["p_out"]
    return (f"Yosys synth_xilinx of this design ({macs:,} MACs, {report['memory']['bram36']:,} "
            f"BRAM36) is expected to take about {duration(seconds)} (from "
            f"{duration(seconds / 2)} to {duration(2 * seconds)}: single-threaded, slower on "
            "a loaded machine); Ctrl-C stops it")
