"""cocotb test of hw/fg_requant.v against fxmodel.requant (docs/design.md §2 (Fixed point)).

Every beat carries its own random configuration (shift, rounding, saturation, output type,
width, ReLU, clip and its bounds), so the test also proves that configuration is pipelined
with the data; every lane of a beat gets its own accumulator under that one configuration.
Vectors: edge accumulators (extremes, 0, +-1, exact halves +-1 around every shift) plus random
ones.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge, RisingEdge
from fxmodel import RND, RND_CONV, SAT, TRN, WRAP, requant, to_signed, to_unsigned
from runner import params, run_module
from tbutil import reset, start_clock

from fpgagen.plan.engine_latency import latency

# the table fg_engine and the cycle model size their pipelines by (fg_latency.vh)
LATENCY = latency("REQUANT")


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.acc_w = p["ACC_W"]
        self.out_w = p["OUT_W"]
        self.max_lshift = p.get("MAX_LSHIFT", 0)
        self.lanes = p["LANES"]
        start_clock(dut.clk)
        dut.in_valid.value = 0
        dut.in_acc.value = 0
        for name in ("cfg_shift", "cfg_rnd", "cfg_sat", "cfg_out_signed", "cfg_out_width",
                     "cfg_relu", "cfg_clip", "cfg_clip_lo", "cfg_clip_hi"):
            getattr(dut, name).value = 0

    async def reset(self):
        await reset(self.dut.clk, self.dut.rst)

    def vectors(self, rng: random.Random, n_random: int):
        lo, hi = -(1 << (self.acc_w - 1)), (1 << (self.acc_w - 1)) - 1
        shifts = [*range(-self.max_lshift, min(self.acc_w + 3, 64)), 62, 63]
        edge = []
        for s in shifts:
            accs = {lo, hi, 0, 1, -1, lo + 1, hi - 1}
            if s > 0:
                h = 1 << (s - 1)
                for base in (0, 1, 2, 3, -1, -2, -3):
                    for d in (-1, 0, 1):
                        accs.add(base * 2 * h + h + d)
            for a in accs:
                if lo <= a <= hi:
                    edge.append((a, s))
        out = []
        for a, s in edge:
            out.append((a, s, self.random_cfg(rng)))
        for _ in range(n_random):
            k = rng.randint(1, self.acc_w)
            a = rng.randint(-(1 << (k - 1)), (1 << (k - 1)) - 1)
            s = rng.choice([rng.randint(-self.max_lshift, self.acc_w), rng.randint(0, 63)])
            out.append((a, s, self.random_cfg(rng)))
        return out

    def random_cfg(self, rng):
        w = rng.choice([self.out_w, self.out_w, rng.randint(2, self.out_w), 1])
        signed = rng.random() < 0.6
        if w == 1:
            signed = False
        clip = None
        if rng.random() < 0.3:  # bounds inside the output range, as the table gives them
            lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
            a, b = rng.randint(lo, hi), rng.randint(lo, hi)
            clip = rng.choice([(min(a, b), max(a, b)), (lo, max(a, b)), (min(a, b), hi),
                               (a, a), (0, hi)])
        return dict(rnd=rng.choice([TRN, RND, RND_CONV]), sat=rng.choice([SAT, SAT, WRAP]),
                    signed=signed, width=w, relu=rng.random() < 0.3, clip=clip)


@cocotb.test()
async def run_test(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(1234 + tb.acc_w)
    vecs = tb.vectors(rng, 3000)
    # lane 0 walks the vectors in order; the other lanes take random other vectors' accumulators
    # under the same configuration
    beats = []
    for i, (a, s, c) in enumerate(vecs):
        accs = [a] + [vecs[rng.randrange(len(vecs))][0] for _ in range(tb.lanes - 1)]
        beats.append((i, accs, s, c))
    expected = []
    got = []
    cycle = 0
    # drive on the falling edge, sample on the next falling edge (outputs settled)
    for i in range(len(beats) + LATENCY + 1):
        await FallingEdge(dut.clk)
        cycle += 1
        if dut.out_valid.value == 1:
            word = int(dut.out_data.value)
            got.append(([(word >> (ln * tb.out_w)) & ((1 << tb.out_w) - 1)
                         for ln in range(tb.lanes)], cycle))
        if i >= len(beats):
            dut.in_valid.value = 0
            continue
        _idx, accs, s, c = beats[i]
        # idle beats now and then: valid must gate the output
        idle = rng.random() < 0.1
        dut.in_valid.value = 0 if idle else 1
        dut.in_acc.value = sum(to_unsigned(a, tb.acc_w) << (ln * tb.acc_w)
                               for ln, a in enumerate(accs))
        dut.cfg_shift.value = to_unsigned(s, 7)
        dut.cfg_rnd.value = c["rnd"]
        dut.cfg_sat.value = c["sat"]
        dut.cfg_out_signed.value = int(c["signed"])
        dut.cfg_out_width.value = c["width"]
        dut.cfg_relu.value = int(c["relu"])
        clip = c["clip"]
        dut.cfg_clip.value = int(clip is not None)
        dut.cfg_clip_lo.value = to_unsigned(clip[0] if clip else 0, tb.out_w + 1)
        dut.cfg_clip_hi.value = to_unsigned(clip[1] if clip else 0, tb.out_w + 1)
        if not idle:
            # the output is out_width bits sign/zero-extended to OUT_W
            want = [to_unsigned(requant(a, s, c["rnd"], c["sat"], c["width"], c["signed"],
                                        c["relu"], c["clip"]), tb.out_w) for a in accs]
            expected.append((want, accs, s, c, cycle))
    await RisingEdge(dut.clk)
    assert len(got) == len(expected), f"{len(got)} outputs for {len(expected)} inputs"
    bad = 0
    for (data, cyc), (want, accs, s, c, sent) in zip(got, expected, strict=True):
        assert cyc - sent == LATENCY, f"latency {cyc - sent}"
        if data != want:
            bad += 1
            if bad <= 10:
                cocotb.log.error("accs=%s shift=%d cfg=%s: got %s want %s", accs, s, c,
                               [to_signed(d, tb.out_w) for d in data],
                               [to_signed(w, tb.out_w) for w in want])
    assert bad == 0, f"{bad} mismatches of {len(got)}"
    cocotb.log.info("%d beats x %d lanes bit-exact", len(got), tb.lanes)


@pytest.mark.parametrize(
    "lanes,acc_w,out_w,max_lshift",
    [(1, 32, 8, 0),    # w8a8 conv accumulator -> 8-bit activations
     (3, 20, 16, 4)],  # three lanes, narrow accumulator, 16-bit output, left shifts up to 4
)
def test_fg_requant(lanes, acc_w, out_w, max_lshift):
    run_module("fg_requant", __file__,
               {"LANES": lanes, "ACC_W": acc_w, "OUT_W": out_w, "MAX_LSHIFT": max_lshift})
