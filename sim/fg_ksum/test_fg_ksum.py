"""cocotb test of hw/fg_ksum.v: a split conv's column-group partial sums, added per channel.

Random accumulator words (edge values included, so sums wrap at ACC_W) with a random lg per
word (0 .. log2 NG: none, two, four, ... groups), random idle cycles, and a reset in the
middle with words in flight. Every output word is checked against the model: lanes o < P_OUT
/ 2^lg hold the sum of lanes o + g * P_OUT / 2^lg over g (mod 2^ACC_W); with lg = 0 all
P_OUT lanes pass unchanged; the latency is log2(NG) whatever lg (0 with NG = 1).
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge, Timer
from fxmodel import pack, unpack
from runner import params, run_module
from tbutil import start_clock


def model(lanes: list[int], lg: int, acc_w: int) -> list[int]:
    """Lanes that carry a channel after the unit: the first P_OUT / 2^lg (all with lg 0)."""
    p_out = len(lanes)
    cols = p_out >> lg
    return [sum(lanes[g * cols + o] for g in range(1 << lg)) % (1 << acc_w)
            for o in range(cols)]


@cocotb.test()
async def run_test(dut):
    p = params()
    p_out, ng, acc_w = p["P_OUT"], p["NG"], p["ACC_W"]
    latency = (ng - 1).bit_length()
    rng = random.Random(p_out * 31 + ng)
    start_clock(dut.clk)
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.in_acc.value = 0
    dut.cfg_lg.value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    sent: list[tuple[int, list[int], int]] = []   # (cycle, lanes, lg) of each valid word
    got: list[tuple[int, list[int]]] = []
    top = (1 << acc_w) - 1
    reset_at = 600
    for cycle in range(1200 + latency + 2):
        if cycle == reset_at:
            dut.rst.value = 1      # words in flight are dropped (their valid is cleared)
            sent = [s for s in sent if s[0] + latency <= cycle]
        else:
            dut.rst.value = 0
        valid = cycle < 1200 and cycle != reset_at and rng.random() < 0.8
        lanes = [rng.choice([0, top, 1 << (acc_w - 1), rng.getrandbits(acc_w)])
                 for _ in range(p_out)]
        lg = rng.randint(0, latency)
        dut.in_valid.value = int(valid)
        dut.in_acc.value = pack(lanes, acc_w)
        dut.cfg_lg.value = lg if valid else rng.randint(0, latency)  # ignored while idle
        if valid:
            sent.append((cycle, lanes, lg))
        await Timer(1, "ns")
        if dut.out_valid.value == 1:
            got.append((cycle, unpack(int(dut.out_acc.value), acc_w, p_out, False)))
        await FallingEdge(dut.clk)
    assert len(got) == len(sent), f"{len(got)} words out for {len(sent)} in"
    for (c_in, lanes, lg), (c_out, out) in zip(sent, got, strict=True):
        assert c_out - c_in == latency, f"latency {c_out - c_in}, want {latency}"
        want = model(lanes, lg, acc_w)
        assert out[:len(want)] == want, (f"word of cycle {c_in}, lg {lg}: lanes "
                                         f"{out[:len(want)]}, want {want}")
    cocotb.log.info("%d words summed bit-exact", len(sent))


@pytest.mark.parametrize("p_out,ng,acc_w", [(8, 4, 12), (16, 8, 20), (4, 2, 6), (4, 1, 8)])
def test_fg_ksum(p_out, ng, acc_w):
    run_module("fg_ksum", __file__, parameters={"P_OUT": p_out, "NG": ng, "ACC_W": acc_w,
                                                "LGW": 4})
