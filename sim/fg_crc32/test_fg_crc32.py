"""cocotb test of hw/fg_crc32.v against Python's zlib.crc32: random byte strings in beats of
BYTES bytes (TDATA byte i = bits 8i+7..8i), with idle cycles between beats, `init` in the
middle of a stream, and the known check value of "123456789" (0xCBF43926). After every beat
the register equals zlib.crc32 of the bytes taken since the last init, one cycle later."""

from __future__ import annotations

import random
import zlib

import cocotb
import pytest
from cocotb.triggers import FallingEdge
from runner import params, run_module
from tbutil import reset, start_clock


async def beat(dut, data: bytes | None, init: int = 0) -> None:
    """Present one beat (or an idle cycle) for one clock edge; sampled at the falling edge."""
    dut.init.value = init
    dut.in_valid.value = int(data is not None)
    dut.in_data.value = int.from_bytes(data, "little") if data is not None else 0
    await FallingEdge(dut.clk)


@cocotb.test()
async def run_test(dut):
    nb = params()["BYTES"]
    rng = random.Random(nb)
    start_clock(dut.clk)
    dut.init.value = 0
    dut.in_valid.value = 0
    dut.in_data.value = 0
    await reset(dut.clk, dut.rst)
    await FallingEdge(dut.clk)
    assert int(dut.crc.value) == 0, "after reset the register is the CRC of no bytes"
    # the check value: "123456789" padded to whole beats with the rest of a known string
    text = b"123456789"
    whole = text + b"\0" * (-len(text) % nb)
    for k in range(0, len(whole), nb):
        await beat(dut, whole[k:k + nb])
    assert int(dut.crc.value) == zlib.crc32(whole)
    if whole == text:
        assert int(dut.crc.value) == 0xCBF43926
    # random streams, idle cycles, an init in the middle (with and without a beat beside it)
    for trial in range(6):
        await beat(dut, None, init=1)
        assert int(dut.crc.value) == 0
        seen = b""
        for _ in range(rng.randrange(1, 60)):
            while rng.random() < 0.3:
                await beat(dut, None)
                assert int(dut.crc.value) == zlib.crc32(seen), "an idle cycle changed the CRC"
            data = bytes(rng.getrandbits(8) for _ in range(nb))
            if trial == 3 and rng.random() < 0.1:
                # init with a beat in the same cycle: init wins, the beat is not counted
                await beat(dut, data, init=1)
                seen = b""
            else:
                await beat(dut, data)
                seen += data
            got = int(dut.crc.value)
            assert got == zlib.crc32(seen), (
                f"after {len(seen)} bytes: 0x{got:08x}, zlib 0x{zlib.crc32(seen):08x}")
    # all-ones and all-zero beats (every XOR term at once)
    await beat(dut, None, init=1)
    seen = b""
    for data in (b"\xff" * nb, b"\0" * nb, b"\xff" * nb):
        await beat(dut, data)
        seen += data
    assert int(dut.crc.value) == zlib.crc32(seen)
    cocotb.log.info("CRC-32 of %d-byte beats equals zlib.crc32", nb)


@pytest.mark.parametrize("nbytes", [1, 4, 8])
def test_fg_crc32(nbytes):
    run_module("fg_crc32", __file__, {"BYTES": nbytes})
