"""cocotb test of hw/fg_writeback.v: the arena write port against a cycle-exact schedule.

Random results and max-pool results are driven as the engine drives them, in phases of
different density (a result every cycle down to none, pool results as fast as the credits
allow or rarely): conv results of NW = P_OUT / P_IN words (a result every cycle at most: the
arena is NW banks, hw/fg_arena.v), conv results of P_OUT lanes into lane group `res_group` (P_OUT <
P_IN: lane masks, many results sharing a word), element-wise results of one word, junk on
the unused res_data lanes and res_group bits, and res_st_left from most negative to largest
(word k stored only while k < res_st_left, signed). Max-pool results are pushed only while
the test's credit counter (pushed - pool_pop) is below PF_DEPTH.

Every cycle the NW bank write ports are checked against the schedule: word k of a result
presented in cycle t is written at the end of cycle t + L (L = 1 with one bank, 2 with NW > 1
banks: a register stage before the rotation; word address res_addr + k, in bank
(res_addr + k) mod NW at bank address (res_addr + k) / NW, mask, data) or not at all when
k >= res_st_left, and no bank is written otherwise in that cycle; any other write must be the
oldest queued pool result (NW words like a conv result, word k stored while k < pool_left,
whole words, FIFO order), with pool_pop high L cycles before it and never otherwise; a queued
pool result is taken in the first cycle without a result (an idle port never holds one
back). At the end the queue drains, busy falls, and the
arena built from wr_en / wr_mask / wr_addr / wr_data equals the expected arena, lane by lane.

With PP pixel banks (a pixel-parallel engine) a result is PP pixels, pixel j written to pixel
bank j at the same word addresses, a pool result one pixel, to pixel bank pool_pix; the arena
is checked per pixel bank.

st_left is kept >= -2**CW + NW - 1, the range the address generator can produce (it counts
down from a non-negative block count): below that the burst's k-th count would wrap.
"""

from __future__ import annotations

import random
from collections import deque

import cocotb
import pytest
from cocotb.triggers import FallingEdge, ReadOnly
from fxmodel import pack, to_unsigned, unpack
from runner import params, run_module
from tbutil import reset, start_clock

from fpgagen.plan.engine_latency import latency


class TB:
    def __init__(self, dut):
        self.dut = dut
        p = params()
        self.p_in, self.p_out, self.act_w = p["P_IN"], p["P_OUT"], p["ACT_W"]
        self.aw, self.cw, self.pf_depth = p["AW"], p["CW"], p["PF_DEPTH"]
        self.pp = p.get("PP", 1)
        self.rql = max(self.p_in, self.p_out)
        self.nw = self.p_out // self.p_in if self.p_out > self.p_in else 1   # banks
        self.g = self.p_in // self.p_out if self.p_in > self.p_out else 1
        self.gw = max(1, (self.g - 1).bit_length())
        self.all_lanes = (1 << self.p_in) - 1
        # pool results go to the upper half of the arena, results to the lower quarter
        self.pool_base = (1 << self.aw) // 2
        start_clock(dut.clk)
        for name in ("res_valid", "res_conv", "res_data", "res_addr", "res_st_left",
                     "res_group", "pool_valid", "pool_data", "pool_addr", "pool_left",
                     "pool_pix"):
            getattr(dut, name).value = 0

    async def reset(self):
        await reset(self.dut.clk, self.dut.rst)

    def lanes(self, rng, n):
        top = (1 << self.act_w) - 1
        return [rng.choice([0, top, rng.getrandbits(self.act_w)]) for _ in range(n)]

    def st_left(self, rng, words):
        lo, hi = -(1 << self.cw) + self.nw - 1, (1 << self.cw) - 1
        if rng.random() < 0.6:   # the whole result stored
            return rng.choice([hi, words, words, words + rng.randint(1, 3)])
        return rng.choice([rng.randint(-2, words - 1), rng.randint(1, words), 0, -1, lo,
                           rng.randint(lo, hi)])

    def result(self, rng):
        """A random result: its inputs and the words it must write as (k, (pixel bank,
        addr), mask, lanes, full wr_data or None)."""
        conv = rng.random() < 0.7
        wide = conv and self.nw > 1
        st = self.st_left(rng, self.nw if wide else 1)
        group = rng.getrandbits(self.gw)
        if conv and self.g > 1:
            group %= self.g
        all_lanes = self.lanes(rng, self.pp * self.rql)
        if wide:
            addr = rng.randrange(self.pool_base // 2 - self.nw)
        elif conv and self.g > 1:
            addr = rng.randrange(self.pool_base // 8)   # few words: lane groups pile up
        else:
            addr = rng.randrange(self.pool_base // 2)
        words = []
        for j in range(self.pp):
            lanes = all_lanes[j * self.rql:(j + 1) * self.rql]
            if wide:
                words += [(k, (j, addr + k), self.all_lanes,
                           lanes[k * self.p_in:(k + 1) * self.p_in], None)
                          for k in range(self.nw)]
            elif conv and self.g > 1:
                mine = lanes[:self.p_out]
                mask = ((1 << self.p_out) - 1) << (group * self.p_out)
                words.append((0, (j, addr), mask, mine * self.g, pack(mine * self.g,
                                                                       self.act_w)))
            else:
                words.append((0, (j, addr), self.all_lanes, lanes[:self.p_in], None))
        inputs = dict(res_conv=int(conv), res_data=pack(all_lanes, self.act_w),
                      res_addr=addr, res_st_left=to_unsigned(st, self.cw + 1),
                      res_group=group)
        return inputs, [(w[0] < st, *w) for w in words]


def apply(mem, addr, mask, lanes):
    word = mem.setdefault(addr, [None] * len(lanes))
    for i, v in enumerate(lanes):
        if mask >> i & 1:
            word[i] = v


@cocotb.test()
async def run_test(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(tb.p_in * 100 + tb.p_out * 10 + tb.pf_depth + 1000 * (tb.pp - 1))
    sched = {}            # cycle -> (stored, k, addr, mask, lanes, full data) of a result word
    queue = deque()       # pool results pushed and not yet written: (addr, [(k, lanes)])
    credits = 0           # pushed - popped, as the engine counts them
    # write latency: 1 cycle with one bank, 2 with NW > 1 (the source register stage), as in
    # the table fg_engine and the cycle model size their pipelines by (fg_latency.vh)
    lat = latency("WB_BANKED") if tb.nw > 1 else latency("WB")
    pops = deque([False] * lat, maxlen=lat)   # pool_pop of the last `lat` cycles, oldest first
    next_res = 0          # first cycle a new result may be presented
    got_mem, want_mem = {}, {}
    stats = dict(res=0, words=0, skipped=0, pool=0, max_queue=0, narrow=0)
    phases = [(0.9, 1.0), (1.0, 1.0), (0.0, 0.0), (0.3, 0.5), (0.0, 1.0), (0.6, 0.2),
              (1.0, 0.7), (0.1, 0.1)] * 3
    phase_len = 160
    n_drive = len(phases) * phase_len
    s = 0
    while True:
        await FallingEdge(dut.clk)
        # --- the writes that happen at the end of this cycle, as (word address, mask, lanes)
        en = int(dut.wr_en.value)
        mask = int(dut.wr_mask.value)
        addrs, datas = int(dut.wr_addr.value), int(dut.wr_data.value)
        wbits = tb.p_in * tb.act_w
        writes = {}
        for px in range(tb.pp):
            for b in range(tb.nw):
                port = px * tb.nw + b
                if en >> port & 1:
                    bank_addr = addrs >> (port * tb.aw) & ((1 << tb.aw) - 1)
                    data = datas >> (port * wbits) & ((1 << wbits) - 1)
                    writes[(px, bank_addr * tb.nw + b)] = (
                        mask, unpack(data, tb.act_w, tb.p_in, False), data)
        exp = sched.pop(s, None)
        where = f"cycle {s}"
        if exp is not None:
            assert not pops[0], f"{where}: pool_pop {lat} cycles before a result's write"
            want = {w[2]: w for w in exp if w[0]}
            assert set(writes) == set(want), (
                f"{where}: result words written to {sorted(writes)}, want {sorted(want)}")
            for a, (_, k, e_addr, e_mask, e_lanes, e_full) in want.items():
                got_mask, lanes, data = writes[a]
                assert got_mask == e_mask, f"{where}: word {k} mask {got_mask:#x}, want {e_mask:#x}"
                assert all(lanes[i] == e_lanes[i] for i in range(tb.p_in) if e_mask >> i & 1), (
                    f"{where}: result word {k} at {a}: lanes {lanes}, want {e_lanes}")
                assert e_full is None or data == e_full, f"{where}: lanes not replicated: {lanes}"
                apply(want_mem, e_addr, e_mask, e_lanes)
            stats["words"] += len(want)
            stats["skipped"] += len(exp) - len(want)
        elif writes:
            assert pops[0], (f"{where}: unexpected write to {sorted(writes)} (no result due, "
                             f"no pool_pop {lat} cycles before)")
            assert queue, f"{where}: pool write with no pool result queued"
            p_pix, p_addr, p_words = queue.popleft()
            want = {(p_pix, p_addr + k): lanes for k, lanes in p_words}
            assert set(writes) == set(want), (
                f"{where}: pool result words written to {sorted(writes)}, want the oldest "
                f"queued pool result's {sorted(want)}")
            for a, lanes in want.items():
                got_mask, got_lanes, _ = writes[a]
                assert (got_mask, got_lanes) == (tb.all_lanes, lanes), (
                    f"{where}: pool word {a} mask {got_mask:#x} {got_lanes}, want {lanes}")
                apply(want_mem, a, tb.all_lanes, lanes)
            stats["pool"] += 1
        else:
            assert not pops[0], f"{where}: pool_pop {lat} cycles before, but no write"
        for a, (got_mask, lanes, _) in writes.items():
            apply(got_mem, a, got_mask, lanes)
        if s >= n_drive and not sched and not queue:
            break
        assert s < n_drive + 50, f"{where}: {len(queue)} pool results never written"

        # --- drive this cycle
        pending = credits > 0 or bool(writes) or bool(sched)   # queued or writing
        p_res, p_pool = phases[s // phase_len] if s < n_drive else (0.0, 0.0)
        res_valid = s >= next_res and rng.random() < p_res
        dut.res_valid.value = int(res_valid)
        if res_valid:
            inputs, words = tb.result(rng)
            for name, v in inputs.items():
                getattr(dut, name).value = v
            sched[s + lat] = words
            next_res = s + 1
            stats["res"] += 1
            stats["narrow"] += tb.g > 1 and inputs["res_conv"]
        else:   # junk on an idle result port
            dut.res_data.value = rng.getrandbits(tb.pp * tb.rql * tb.act_w)
            dut.res_addr.value = rng.getrandbits(tb.aw)
        pool_valid = credits < tb.pf_depth and rng.random() < p_pool
        dut.pool_valid.value = int(pool_valid)
        # a pool result: NW words (one when NW = 1), word k stored while k < left (>= 1: the
        # engine's pool generator never issues an empty group)
        p_lanes = tb.lanes(rng, tb.p_in * tb.nw)
        p_addr = rng.randrange(tb.pool_base, (1 << tb.aw) - tb.nw)
        p_left = rng.choice([tb.nw, rng.randint(1, tb.nw), (1 << tb.cw) - 1, tb.nw + 2])
        dut.pool_data.value = pack(p_lanes, tb.act_w)
        dut.pool_addr.value = p_addr
        dut.pool_left.value = p_left
        p_pix = rng.randrange(tb.pp)
        dut.pool_pix.value = p_pix
        await ReadOnly()
        pop = int(dut.pool_pop.value)
        if credits and (s + lat) not in sched:
            assert pop, f"cycle {s}: {credits} pool results queued, port free, no pool_pop"
        assert not pop or credits, f"cycle {s}: pool_pop with nothing queued"
        if pending:
            assert int(dut.busy.value), f"cycle {s}: busy low with work pending"
        if pool_valid:
            queue.append((p_pix, p_addr, [(k, p_lanes[k * tb.p_in:(k + 1) * tb.p_in])
                                   for k in range(min(tb.nw, p_left))]))
        credits += int(pool_valid) - pop
        stats["max_queue"] = max(stats["max_queue"], credits)
        pops.append(bool(pop))
        s += 1

    await FallingEdge(dut.clk)
    assert not int(dut.busy.value), "busy high after everything was written"
    assert not int(dut.wr_en.value), "a write after everything was written"
    assert got_mem == want_mem, "final arena differs"
    assert stats["max_queue"] == tb.pf_depth, f"queue never full: {stats}"
    assert stats["skipped"] > 10 and stats["pool"] > 100, stats
    cocotb.log.info("%d cycles, %d results (%d narrow), %d words written, %d not stored, "
                  "%d pool results; queue up to %d", s, stats["res"], stats["narrow"],
                  stats["words"], stats["skipped"], stats["pool"], stats["max_queue"])


@pytest.mark.parametrize("p_in,p_out,pf_depth,pp",
                         [(4, 8, 4, 1), (8, 2, 4, 1), (4, 4, 2, 1), (2, 8, 2, 1), (2, 16, 4, 1),
                          (4, 8, 8, 3), (8, 2, 4, 2), (4, 4, 8, 4)],
                         ids=["nw2", "g4", "nw1-pf2", "nw4-pf2", "nw8", "nw2-pf8-3pix",
                              "g4-2pix", "nw1-pf8-4pix"])
def test_fg_writeback(p_in, p_out, pf_depth, pp):
    run_module("fg_writeback", __file__,
               {"P_IN": p_in, "P_OUT": p_out, "ACT_W": 8, "AW": 8, "CW": 4,
                "PF_DEPTH": pf_depth, "PP": pp})
