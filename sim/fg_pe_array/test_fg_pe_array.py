"""cocotb test of hw/fg_pe_array.v: P_OUT dot products per beat sequence, bit-exact.

Dot products of random length (many of length 1, to prove back-to-back II=1 hand-off), random
idle beats inside and between them, edge operands (most negative weights times the most
negative activations), the bias presented BIAS_DELAY cycles after each first beat (random
garbage on the bias lanes in every other cycle), a P_IN that is not a power of two (a padded
adder tree), a parameter set whose accumulator is too narrow on purpose so that two's
complement wrap is checked as well, and column groups (NG > 1) that each multiply their own
activation word (the split narrow convs, fpgagen/plan/engine.py conv_split).
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge
from fxmodel import pack, to_signed, unpack
from runner import params, run_module
from tbutil import reset, start_clock

from fpgagen.plan.engine_latency import latency


def tree_levels(p_in: int) -> int:
    return (p_in - 1).bit_length()


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.p_in, self.p_out = p["P_IN"], p["P_OUT"]
        self.a_w, self.w_w, self.acc_w = p["A_W"], p["W_W"], p["ACC_W"]
        self.pack = p.get("PACK", 0)
        self.ng = p.get("NG", 1)
        start_clock(dut.clk)
        # the table fg_engine and the cycle model size their pipelines by (fg_latency.vh)
        self.latency = latency("PE") + tree_levels(self.p_in)
        self.bias_delay = 3 + tree_levels(self.p_in)
        for name in ("in_valid", "in_first", "in_last", "in_act", "in_wgt", "in_bias"):
            getattr(dut, name).value = 0

    async def reset(self):
        await reset(self.dut.clk, self.dut.rst)

    def operand(self, rng, width, signed, edge, lo=None):
        lo = lo if lo is not None else -(1 << (width - 1)) if signed else 0
        hi = (1 << (width - 1)) - 1 if signed else (1 << width) - 1
        if edge:
            return rng.choice([lo, hi, 0, -1 if signed else 1, lo + 1])
        return rng.randint(lo, hi)

    def dot_products(self, rng, n):
        out = []
        for k in range(n):
            length = rng.choice([1, 1, 1, 2, 3, rng.randint(1, 9)])
            signed = True  # activations are signed A_W (the engine widens unsigned ones)
            edge = k % 5 == 0
            bias = [self.operand(rng, self.acc_w, True, edge) for _ in range(self.p_out)]
            beats = []
            for _ in range(length):
                # packed multipliers take activations one bit narrower than A_W, as the
                # engine's are (hw/fg_mul2.v): the most negative is then -2^(A_W-2)
                act = [[self.operand(rng, self.a_w, signed, edge,
                                     lo=-(1 << (self.a_w - 2)) if self.pack else None)
                        for _ in range(self.p_in)] for _ in range(self.ng)]
                wgt = [[self.operand(rng, self.w_w, True, edge) for _ in range(self.p_in)]
                       for _ in range(self.p_out)]
                beats.append((act, wgt))
            want = []
            cols = self.p_out // self.ng  # columns per activation group
            for o in range(self.p_out):
                s = bias[o] + sum(a * w for act, wgt in beats
                                  for a, w in zip(act[o // cols], wgt[o], strict=True))
                want.append(to_signed(s, self.acc_w))  # the accumulator wraps mod 2^ACC_W
            out.append((signed, bias, beats, want))
        return out


@cocotb.test()
async def run_test(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(7 + tb.p_in * 100 + tb.a_w)
    dps = tb.dot_products(rng, 400)
    # flatten into beats; idle cycles (valid = 0) inside and between dot products
    beats = []
    for di, (signed, bias, bs, _) in enumerate(dps):
        for bi, (act, wgt) in enumerate(bs):
            while rng.random() < 0.15:
                beats.append(None)
            beats.append((di, bi == 0, bi == len(bs) - 1, signed, bias, act, wgt))
    got = []
    last_cycle = {}
    bias_at = {}   # cycle -> the bias to present then (BIAS_DELAY after a first beat)
    cycle = 0
    for t in range(len(beats) + tb.latency + 2):
        await FallingEdge(dut.clk)
        cycle += 1
        if dut.out_valid.value == 1:
            got.append((cycle, unpack(int(dut.out_acc.value), tb.acc_w, tb.p_out, True)))
        bias = bias_at.pop(cycle, None)
        dut.in_bias.value = (pack(bias, tb.acc_w) if bias is not None
                             else rng.getrandbits(tb.acc_w * tb.p_out))
        b = beats[t] if t < len(beats) else None
        if b is None:
            dut.in_valid.value = 0
            # garbage on the data lanes while idle must be ignored
            dut.in_first.value = rng.randint(0, 1)
            dut.in_last.value = rng.randint(0, 1)
            continue
        di, first, last, _signed, bias, act, wgt = b
        dut.in_valid.value = 1
        dut.in_first.value = int(first)
        dut.in_last.value = int(last)
        dut.in_act.value = pack([a for word in act for a in word], tb.a_w)
        dut.in_wgt.value = pack([w for row in wgt for w in row], tb.w_w)
        if first:
            bias_at[cycle + tb.bias_delay] = bias
        if last:
            last_cycle[di] = cycle
    assert len(got) == len(dps), f"{len(got)} results for {len(dps)} dot products"
    bad = 0
    for di, ((cyc, vals), (signed, _, bs, want)) in enumerate(zip(got, dps, strict=True)):
        assert cyc - last_cycle[di] == tb.latency, f"latency {cyc - last_cycle[di]}"
        if vals != want:
            bad += 1
            if bad <= 5:
                cocotb.log.error("dot product %d (len %d, signed %s): got %s want %s", di,
                               len(bs), signed, vals, want)
    assert bad == 0, f"{bad} of {len(dps)} dot products differ"
    cocotb.log.info("%d dot products (%d beats) bit-exact", len(dps), len(beats))


@pytest.mark.parametrize(
    "p_in,p_out,a_w,w_w,acc_w,pack,ng",
    [(4, 3, 9, 8, 24, 0, 1),     # w8a8 (9-bit signed activations), exact accumulator
     (3, 2, 16, 6, 20, 0, 1),    # 3 lanes (padded tree), wide activations, accumulator wraps
     (1, 2, 9, 8, 20, 0, 1),     # one lane: no adder tree
     (4, 4, 9, 8, 24, 1, 1),     # w8a8 packed: two output lanes per multiplier
     (3, 2, 7, 5, 14, 1, 1),     # packed, padded tree, accumulator that wraps
     (2, 4, 9, 8, 24, 0, 4),     # four column groups of one column, own activation words
     (2, 8, 9, 8, 24, 1, 2)],    # packed, two groups of four columns
)
def test_fg_pe_array(p_in, p_out, a_w, w_w, acc_w, pack, ng):
    run_module("fg_pe_array", __file__, sources=["fg_mul", "fg_mul2", "fg_delay"], parameters=
               {"P_IN": p_in, "P_OUT": p_out, "A_W": a_w, "W_W": w_w, "ACC_W": acc_w,
                "PACK": pack, "NG": ng})
