"""cocotb test of hw/fg_fused_pair.v: a fused conv -> max-pool pair's row hand-out.

The unit runs between two generator models that follow fg_conv_agu's and fg_pool_agu's row
control cycle by cycle (rows [0, row_limit) issued, `paused` at the start of row row_limit,
`row_issued` a cycle after a row's last beat, `done` after the last row; the pool's row gap,
its `window_issued` pulses) and a model of the pool windows' write queue (fg_credit's
registered flags, the pool's `ready` low while `high`; windows written after a random wait,
one a cycle, none while the write port is busy for random stretches). Pairs of random
geometry (rows, K, S, pad, ring rows R) and both kinds - the conv on the staging memory (S_FZ,
both at once) and on the arena (S_ALT_*, alternating) - run back to back, as the engine
sequences them (prep, start, the generators' start a cycle later, a drain after `finish`),
with unfused layers (prep without a pair) between them, under random stalls of both
generators. Every cycle:

- ring: conv row r is released only when every pool row whose window starts at or before
  row r - R (the row it overwrites in the ring) has been issued;
- rows written: pool row p is released only when the conv rows under its window (up to
  min(p S - pad + K, rows)) had their last beat DRAIN or more cycles before;
- S_FZ's schedule cycle-exact (what fpgagen/plan/cycles.py models): each row released as
  soon as those conditions allow, seen through the unit's registered flags;
- one read port (S_ALT): conv beats only while the port is the conv's (`pool_owns`, as the
  engine keeps it from `port_conv` / `port_pool`), pool beats only while it is the pool's and
  in `pool_phase`, also in the cycle after the beat (the beat's read address stage);
  S_FZ: both generators run in the same cycles (checked to happen), no port moves;
- `finish` once per pair, when both generators are done with every row and every counted
  window is written (`credit_zero` is a register: the last window counts a cycle after
  `pool_done`, so it may still be in flight then; the caller's DRAIN wait covers its write);
  every pair within a cycle bound (no deadlock); an unfused layer's limits are all rows and
  nothing else moves.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge, Timer
from runner import params, run_module
from tbutil import start_clock


class Gen:
    """fg_conv_agu / fg_pool_agu row control: rows of `beats` beats (pool: `windows` windows
    of `wbeats` beats), registered outputs, the same next-state equations."""

    def __init__(self, pool: bool):
        self.pool = pool
        self.active = self.pause = self.done = self.go = False
        self.row_issued = self.window_issued = False
        self.oy = self.beat = 0
        self.rows, self.beats, self.wbeats = 1, 1, 1

    def layer(self, rows: int, beats: int, wbeats: int = 1) -> None:
        self.rows, self.beats, self.wbeats = rows, beats, wbeats

    @property
    def paused(self) -> bool:
        return self.active and self.pause

    def edge(self, start: bool, limit: int, ready: bool) -> bool:
        """One rising edge; returns whether a beat was taken."""
        adv = self.go and ready
        e_oy = adv and self.beat == self.beats - 1
        oy_at = self.oy == self.rows - 1
        self.window_issued = adv and self.beat % self.wbeats == self.wbeats - 1
        self.row_issued = e_oy
        go_active = self.active
        oy, oy_p1 = self.oy, self.oy + 1
        if start:
            self.active, self.done, self.pause = True, False, limit == 0
            self.oy = self.beat = 0
        else:
            if adv:
                self.beat = 0 if e_oy else self.beat + 1
            if e_oy:
                self.oy = 0 if oy_at else oy_p1
                if oy_at:
                    self.active, self.done = False, True
            self.pause = (oy_p1 == limit) if e_oy else (oy == limit)
        if self.pool:
            self.go = not start and not e_oy and go_active and oy != limit
        else:
            self.go = (limit != 0) if start else (
                (not oy_at and oy_p1 != limit) if e_oy else (go_active and oy != limit))
        return adv


def signed(v: int, bits: int) -> int:
    return v & ((1 << bits) - 1)


def geometry(rng: random.Random, conc: bool) -> dict:
    k = rng.choice([2, 3, 3])
    s = rng.choice([1, 2])
    pad = rng.choice([0, 0, 1])
    ch = rng.randint(k, 16)
    ph = -(-(ch + 2 * pad - k) // s) + 1
    if (ph - 1) * s >= ch + pad:
        ph -= 1
    # the Plan's ring for S_FZ is K + S rows; larger ones let the conv run further ahead
    ring = k + s + rng.choice([0, 0, 2, 5]) if conc else k + rng.randint(0, s)
    return {"ch": ch, "ph": ph, "k": k, "s": s, "pad": pad, "ring": ring, "conc": conc,
            "cbeats": rng.randint(1, 8), "windows": rng.randint(1, 4),
            "wbeats": rng.randint(1, 4)}


@cocotb.test()
async def run_test(dut):
    p = params()
    cw, drain = p["CW"], p["DRAIN"]
    rng = random.Random(cw * 101 + drain)
    start_clock(dut.clk)
    for name in ("prep", "prep_pair", "start", "start_conc", "conv_done", "conv_paused",
                 "conv_row_issued", "pool_done", "pool_paused", "pool_row_issued",
                 "cfg_conv_oy_last", "cfg_pool_oy_last", "cfg_stride", "cfg_need0",
                 "cfg_gate_off"):
        getattr(dut, name).value = 0
    dut.credit_zero.value = 1
    dut.rst.value = 1
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)

    conv, pool = Gen(False), Gen(True)
    cycle = 0
    concurrent = alt_layers = fz_layers = 0

    async def tick(**drive) -> None:
        """Drive this cycle's inputs (the models' registered outputs), let them settle."""
        for k, v in drive.items():
            getattr(dut, k).value = int(v)
        await Timer(1, "ns")

    async def edge() -> None:
        nonlocal cycle
        await FallingEdge(dut.clk)
        cycle += 1

    for layer in range(40):
        if layer % 5 == 4:
            # an unfused layer: prep without a pair; the limits are every row, nothing moves
            await tick(prep=1, prep_pair=0)
            await edge()
            await tick(prep=0)
            assert int(dut.conv_limit.value) == (1 << cw) - 1
            assert int(dut.pool_limit.value) == (1 << cw) - 1
            for _ in range(10):
                await tick()
                assert not int(dut.finish.value) and not int(dut.pool_phase.value)
                assert not int(dut.port_conv.value) and not int(dut.port_pool.value)
                await edge()
            continue
        g = geometry(rng, conc=layer % 2 == 0)
        ch, ph, k, s, pad, ring = (g[x] for x in ("ch", "ph", "k", "s", "pad", "ring"))
        fz_layers += g["conc"]
        alt_layers += not g["conc"]
        conv.layer(ch, g["cbeats"])
        pool.layer(ph, g["windows"] * g["wbeats"], g["wbeats"])
        p_conv = rng.choice([1.0, 1.0, 0.7])
        p_pool = rng.choice([1.0, 0.6])
        p_busy = rng.choice([0.0, 0.02, 0.08])
        dut.cfg_conv_oy_last.value = ch - 1
        dut.cfg_pool_oy_last.value = ph - 1
        dut.cfg_stride.value = s
        dut.cfg_need0.value = signed(k - 1 - pad, cw + 2)
        dut.cfg_gate_off.value = signed(pad - ring, cw + 2)
        # S_PREP, S_START (the pool row owns the port unless the conv reads the arena), then
        # the generators' start pulse a cycle later
        pool_owns = g["conc"]
        await tick(prep=1, prep_pair=1)
        await edge()
        await tick(prep=0, prep_pair=0, start=1, start_conc=g["conc"])
        assert int(dut.conv_limit.value) == 0 and int(dut.pool_limit.value) == 0
        await edge()
        dut.start.value = 0
        gen_start = True
        conv_limit = pool_limit = 0
        conv_rows_at: list[int] = []     # the cycle each conv row's row_issued was seen
        pool_rows_at: list[int] = []
        conv_rel: list[int] = []         # the cycle each row's release was first seen
        pool_rel: list[int] = []
        in_flight: list[int] = []        # windows issued, the cycle each may be written
        credit, zero, high = 0, True, False
        busy = 0
        owner_next = pool_owns
        t0 = cycle
        bound = 40 * (ch * g["cbeats"] + ph * g["windows"] * g["wbeats"]) + (ch + ph) * (
            drain + 20) + 200
        finished = False
        while not finished:
            assert cycle - t0 < bound, (f"layer {layer} {g}: no finish in {bound} cycles "
                                        f"(conv rows {len(conv_rows_at)}/{ch}, pool rows "
                                        f"{len(pool_rows_at)}/{ph})")
            # this cycle: the models' registered outputs into the unit; the queue's pop and
            # the window that counts now (the pool's registered window_issued)
            retire = bool(in_flight) and busy == 0 and in_flight[0] <= cycle
            issue = pool.window_issued
            await tick(conv_done=conv.done, conv_paused=conv.paused,
                       conv_row_issued=conv.row_issued, pool_done=pool.done,
                       pool_paused=pool.paused, pool_row_issued=pool.row_issued,
                       credit_zero=zero)
            cl, pl = int(dut.conv_limit.value), int(dut.pool_limit.value)
            for r in range(conv_limit, min(cl, ch)):
                # ring: the row it overwrites (r - R) is read by every pool row issued
                if r - ring >= 0:
                    need_p = min((r - ring + pad) // s + 1, ph)
                    assert len(pool_rows_at) >= need_p, (
                        f"cycle {cycle} (layer {layer}, +{cycle - t0}): conv row {r} released "
                        f"after {len(conv_rows_at)} rows, with {len(pool_rows_at)} pool rows "
                        f"issued, its ring slot (row {r - ring}) is read by {need_p} ({g})")
            for q in range(pool_limit, min(pl, ph)):
                need_c = min(q * s - pad + k, ch)
                assert len(conv_rows_at) >= need_c and all(
                    cycle - t >= drain for t in conv_rows_at[:need_c]), (
                    f"cycle {cycle}: pool row {q} released before conv rows 0..{need_c - 1} "
                    f"were written (last beats at {conv_rows_at[:need_c]}, DRAIN {drain})")
            assert cl >= conv_limit and pl >= pool_limit, "a row limit went down"
            conv_rel += [cycle] * (min(cl, ch) - len(conv_rel))
            pool_rel += [cycle] * (min(pl, ph) - len(pool_rel))
            if g["conc"]:
                # S_FZ's schedule, cycle-exact (the cycle estimate models it): a row after the
                # first is released 2 cycles after the one before (the registered flags see a
                # hand-out a cycle late), or 3 cycles after the pool row the ring gate waited
                # for was issued / DRAIN + 3 after the conv rows it reads were issued
                for r in range(max(conv_limit, 1), min(cl, ch)):
                    gate_p = (r + pad - ring) // s + 1 if r + pad - ring >= 0 else 0
                    want = max([conv_rel[r - 1] + 2] + ([pool_rows_at[gate_p - 1] + 3]
                                                        if gate_p else []))
                    assert cycle == want, f"cycle {cycle}: conv row {r} released, want {want}"
                for q in range(max(pool_limit, 1), min(pl, ph)):
                    need_c = min(q * s - pad + k, ch)
                    want = max(pool_rel[q - 1] + 2, conv_rows_at[need_c - 1] + drain + 3)
                    assert cycle == want, f"cycle {cycle}: pool row {q} released, want {want}"
            conv_limit, pool_limit = cl, pl
            if conv.row_issued:
                conv_rows_at.append(cycle)
            if pool.row_issued:
                pool_rows_at.append(cycle)
            phase = int(dut.pool_phase.value)
            port_conv, port_pool = int(dut.port_conv.value), int(dut.port_pool.value)
            if g["conc"]:
                assert not (port_conv or port_pool or phase), f"cycle {cycle}: S_FZ port move"
            if int(dut.finish.value):
                # every counted window written; the last one counts in this cycle (a cycle
                # after pool_done) at the latest and is written within the caller's drain
                assert conv.done and pool.done and zero, f"cycle {cycle}: finish too early"
                assert len(conv_rows_at) == ch and len(pool_rows_at) == ph
                assert credit == 0 and len(in_flight) <= int(issue) + int(retire), in_flight
                finished = True
            # the edge: the generators, the queue, the engine's port owner
            pool_owns = owner_next
            c_adv = conv.edge(gen_start, cl, rng.random() < p_conv)
            p_adv = pool.edge(gen_start, pl, not high and rng.random() < p_pool)
            gen_start = False
            if port_conv:
                owner_next = False
            if port_pool:
                owner_next = True
            if not g["conc"]:
                assert not (c_adv and (pool_owns or owner_next)), (
                    f"cycle {cycle}: a conv beat while the pool owns the read port")
                assert not (p_adv and not (pool_owns and owner_next and phase)), (
                    f"cycle {cycle}: a pool beat outside its segment / port")
            concurrent += c_adv and p_adv
            # fg_credit: the count and its registered flags (DEPTH 4)
            if issue:
                in_flight.append(cycle + rng.randint(3, 8))
            if retire:
                in_flight.pop(0)
            credit += int(issue) - int(retire)
            assert credit <= 4, f"cycle {cycle}: {credit} windows in flight"
            zero, high = credit == 0, credit >= 3
            busy = max(0, busy - 1)
            if busy == 0 and rng.random() < p_busy:
                busy = rng.randint(3, 30)
            await edge()
        # S_DRAIN, then the next layer (the generators' row pulses are over)
        for _ in range(drain + 2):
            await tick(conv_row_issued=0, pool_row_issued=0)
            assert not int(dut.finish.value), f"cycle {cycle}: a second finish"
            await edge()
    assert concurrent > 40, f"S_FZ rarely ran both generators at once ({concurrent})"
    dut._log.info("%d pairs (%d S_FZ, %d S_ALT) in %d cycles, %d cycles both generators",
                  fz_layers + alt_layers, fz_layers, alt_layers, cycle, concurrent)


@pytest.mark.parametrize(("cw", "drain"), [(16, 24), (6, 3), (8, 11)])
def test_fg_fused_pair(cw, drain):
    run_module("fg_fused_pair", __file__, {"CW": cw, "DRAIN": drain}, sources=["fg_delay"])
