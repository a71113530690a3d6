"""The cocotb side shared by the address-generator tests (fg_conv_agu, fg_pool_agu,
fg_vec_agu): configure a layer, start it, take beats under random stalls, hand out rows one
at a time at random moments, and compare every beat with the reference nest."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from cocotb.triggers import FallingEdge


async def run_layer(dut, cfg: dict[str, int], want: Sequence[tuple], out_h: int | None,
                    read_beat: Callable[[], tuple], rng: random.Random,
                    pulses: Sequence[str] = ()) -> tuple[list, dict[str, int], list[int]]:
    """One layer through the generator; returns (beats taken, count of each pulse output in
    ``pulses`` over the layer, the cycle each beat was taken in).

    ``out_h`` None: the generator has no row limit (fg_vec_agu). Otherwise rows are released
    all at once or, half of the time, one by one (as a fused conv -> pool pair does)."""
    for name, value in cfg.items():
        getattr(dut, f"cfg_{name}").value = value
    stepwise = out_h is not None and rng.random() < 0.5
    limit = 0 if stepwise else out_h
    if out_h is not None:
        dut.row_limit.value = limit
    # the configuration settles for two cycles before start (the engine loads it earlier)
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    got, taken, cycles = [], [], 0
    counts = dict.fromkeys(pulses, 0)
    while True:
        for name in pulses:
            counts[name] += int(getattr(dut, name).value)
        if int(dut.done.value) and not int(dut.beat_valid.value):
            break
        ready = rng.random() < 0.7
        if int(dut.beat_valid.value) and ready:
            got.append(read_beat())
            taken.append(cycles)
        dut.ready.value = int(ready)
        if stepwise and limit < out_h and (int(dut.paused.value) or rng.random() < 0.02):
            limit += 1
            dut.row_limit.value = limit
        await FallingEdge(dut.clk)
        cycles += 1
        assert cycles < 20 * len(want) + 200, f"stuck after {len(got)} of {len(want)} beats"
    dut.ready.value = 0
    await FallingEdge(dut.clk)
    for name in pulses:
        counts[name] += int(getattr(dut, name).value)
    return got, counts, taken


def check_beats(got: Sequence[tuple], want: Sequence[tuple], fields: Sequence[str],
                where: str) -> None:
    """Every beat equal, in order; the first difference named field by field."""
    assert len(got) == len(want), f"{where}: {len(got)} beats, want {len(want)}"
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        if a != b:
            diff = {f: (x, y) for f, x, y in zip(fields, a, b, strict=True) if x != y}
            raise AssertionError(f"{where}\nbeat {i}: (got, want) {diff}\n"
                                 f"got  {dict(zip(fields, a, strict=True))}")
