"""cocotb test of hw/fg_stage_slots.v: the staging memory's image slots, loader and reader.

A producer streams frames (pixels with random gaps, as fg_axis_unpack hands them out once a
frame is opened, each frame with a random frame error, final at its last pixel); the pixels
go into a modelled staging memory (TAPS banks) at the module's `wr_en` / `wr_addr`. A reader
(the engine) waits for `rd_ready`, takes the image at `rd_base` and its `rd_error`, reads all
its pixels a random time later, computes for a random time and pulses `rd_done`. Reader
faster than the loader (it waits, S_LOAD), slower (the loader waits for a free slot), and
both, per phase.

Checked every cycle against a cycle-exact model of the slots: `ld_open`, `ld_busy`, `wr_en`,
`wr_addr`, `rd_ready`, `rd_base`, `rd_error` (when ready). End to end, with the memory model:
image k read is frame k, every pixel of it where the reader looks (bank p mod TAPS, word
rd_base + p / TAPS) from the first read until `rd_done` (the loader never overwrites an image
in use: with one slot it waits for `rd_done`), with frame k's error. A reset in the middle of
a frame restarts everything.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import FallingEdge, Timer
from runner import params, run_module
from tbutil import start_clock


class Slots:
    """The slots, cycle by cycle, the obvious way (state after each rising edge)."""

    def __init__(self, pixels: int, taps: int, slots: int):
        self.pixels, self.taps, self.slots = pixels, taps, slots
        self.sb = -(-pixels // taps)
        self.reset()

    def reset(self) -> None:
        self.full = [False, False]
        self.error = [0, 0]
        self.wr_slot = self.rd_slot = 0
        self.busy = False
        self.cnt = 0
        self.base = 0
        self.after_reset = True     # ld_open (a register) is low in the cycle after a reset

    def open(self) -> bool:
        return not self.after_reset and not self.busy and not self.full[self.wr_slot]

    def write(self, px_valid: bool) -> bool:
        return self.busy and px_valid

    def wr_addr(self) -> int:
        return self.wr_slot * self.sb + self.cnt // self.taps

    def ready(self, px_valid: bool) -> bool:
        last = self.cnt == self.pixels - 1
        filling = self.write(px_valid) and last and self.wr_slot == self.rd_slot
        return self.full[self.rd_slot] or filling

    def edge(self, px_valid: bool, px_error: int, rd_done: bool) -> None:
        opened, write = self.open(), self.write(px_valid)
        self.after_reset = False
        if opened:
            self.busy, self.cnt = True, 0
        if write:
            if self.cnt == self.pixels - 1:
                self.busy = False
                self.full[self.wr_slot] = True
                self.error[self.wr_slot] = px_error
                self.wr_slot = (self.wr_slot + 1) % self.slots
            else:
                self.cnt += 1
        if rd_done:
            self.full[self.rd_slot] = False
            self.rd_slot = (self.rd_slot + 1) % self.slots
            self.base = self.rd_slot * self.sb


@cocotb.test()
async def run_test(dut):
    p = params()
    pixels, taps, slots = p["PIXELS"], p["TAPS"], p["SLOTS"]
    rng = random.Random(pixels * 7 + taps * 3 + slots)
    m = Slots(pixels, taps, slots)
    start_clock(dut.clk)
    dut.rst.value = 1
    dut.px_valid.value = 0
    dut.px_error.value = 0
    dut.rd_done.value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0

    mem: dict[tuple[int, int], tuple[int, int]] = {}   # (bank, word) -> (frame, pixel)
    frame_errors: list[int] = []
    produced = 0          # frames opened
    pix = 0               # the open frame's next pixel
    frame_open = False    # the producer has a frame (the unpacker was started)
    reader: dict | None = None   # the image in use
    consumed = 0          # images taken by the reader
    # (pixel probability, the reader's time per image): loader faster, slower, both
    phases = [(0.9, (7, 12)), (0.3, (3, 6)), (1.0, (60, 150)), (0.6, (4, 9))]
    waits = stalls = 0
    cycle = 0
    for phase, (p_px, (r_lo, r_hi)) in enumerate(phases * 2):
        for _ in range(900):
            cycle += 1
            if cycle == 2000:                          # a reset in the middle of it all
                dut.rst.value = 1
                dut.px_valid.value = rng.getrandbits(1)
                dut.rd_done.value = 0
                await FallingEdge(dut.clk)
                dut.rst.value = 0
                m.reset()
                frame_open, reader, pix = False, None, 0
                consumed = produced     # the images loaded before are gone
                continue
            # this cycle's inputs: a pixel of the open frame (the unpacker offers pixels once
            # the frame is opened), the frame error (final at the last pixel, noise before)
            px_valid = frame_open and rng.random() < p_px
            last_px = frame_open and pix == pixels - 1
            err = frame_errors[produced - 1] if last_px else rng.getrandbits(1)
            done = reader is not None and cycle >= reader["t_done"]
            dut.px_valid.value = int(px_valid)
            dut.px_error.value = err
            dut.rd_done.value = int(done)
            await Timer(1, "ns")
            # every output against the model
            write = m.write(px_valid)
            ready = m.ready(px_valid)
            got = {k: int(getattr(dut, k).value) for k in
                   ("ld_open", "ld_busy", "wr_en", "wr_addr", "rd_ready", "rd_base")}
            want = {"ld_open": int(m.open()), "ld_busy": int(m.busy),
                    "wr_en": (1 << (m.cnt % taps)) if write else 0,
                    "wr_addr": m.wr_addr() if m.busy else got["wr_addr"],
                    "rd_ready": int(ready), "rd_base": m.base}
            assert got == want, f"cycle {cycle} (phase {phase}): {got}, want {want}"
            if ready:
                want_err = m.error[m.rd_slot] if m.full[m.rd_slot] else err
                assert int(dut.rd_error.value) == want_err, f"cycle {cycle}: rd_error"
            # the memory: this cycle's write, never into the image in use
            if write:
                key = (m.cnt % taps, m.wr_addr())
                assert reader is None or key not in reader["words"], (
                    f"cycle {cycle}: pixel {m.cnt} of frame {produced - 1} overwrites the "
                    f"image in use (frame {reader['frame']})")
                mem[key] = (produced - 1, m.cnt)
                pix += 1
            # the reader: reads its image, is done with it, or takes the next one (S_LOAD)
            if reader is not None and cycle in (reader["t_read"], reader["t_done"]):
                for p_i in range(pixels):
                    key = (p_i % taps, reader["base"] + p_i // taps)
                    assert mem.get(key) == (reader["frame"], p_i), (
                        f"cycle {cycle}: image {reader['frame']} pixel {p_i} at {key} holds "
                        f"{mem.get(key)}")
            if done:
                reader = None
            elif reader is None and ready:
                base = int(dut.rd_base.value)
                error = int(dut.rd_error.value)
                assert error == frame_errors[consumed], (
                    f"cycle {cycle}: image {consumed} error {error}, the frame's "
                    f"{frame_errors[consumed]}")
                reader = {"frame": consumed, "base": base,
                          "words": {(p_i % taps, base + p_i // taps) for p_i in range(pixels)},
                          "t_read": cycle + rng.randint(1, min(6, r_lo - 1)),
                          "t_done": cycle + rng.randint(r_lo, r_hi)}
                consumed += 1
            elif reader is None:
                waits += 1             # the reader waits for an image (S_LOAD)
            if not m.busy and not m.open():
                stalls += 1            # the loader waits for a free slot
            # the producer: a frame opens with ld_open (the unpacker is started)
            if m.open():
                frame_open, pix = True, 0
                frame_errors.append(int(rng.random() < 0.3))
                produced += 1
            elif write and m.cnt == pixels - 1:
                frame_open = False
            m.edge(px_valid, err, done)
            await FallingEdge(dut.clk)
    assert consumed > 20, f"only {consumed} images went through"
    assert waits > 100 and stalls > 100, (waits, stalls)
    dut._log.info("%d images through %d slot(s); the reader waited %d cycles, the loader %d",
                  consumed, slots, waits, stalls)


@pytest.mark.parametrize(("pixels", "taps", "slots"),
                         [(7, 1, 2), (9, 4, 2), (6, 2, 1), (1, 1, 2), (13, 4, 1)])
def test_fg_stage_slots(pixels, taps, slots):
    sb = -(-pixels // taps)
    sa_w = max(1, (slots * sb - 1).bit_length())
    run_module("fg_stage_slots", __file__, {"PIXELS": pixels, "TAPS": taps, "SLOTS": slots,
                                            "SA_W": sa_w})
