"""cocotb test of hw/fg_axil_ctrl.v: a cocotbext-axi AxiLiteMaster on s_axi against a model
core (ap_ctrl_hs: takes ap_start when idle, busy for a set number of cycles, ap_done and
ap_ready in its last cycle). Checks the Vitis HLS register map as a driver uses it: start,
ap_done clear-on-read, idle, auto_restart, GIE/IER/ISR and the interrupt line with its
acknowledge (toggle on write), CYCLES, STATUS (frame error), BUILD_ID, unmapped reads.
Then the weight loader's side against a model loader: WEIGHTS (a request is one wl_req pulse;
busy, loaded, error read back), WEIGHTS_CRC, a start refused (not passed to the core, STATUS
bit 2, cleared by the next start taken) while the weights are not loaded or a load is busy,
and auto_restart ended by a load request."""

from __future__ import annotations

import cocotb
import pytest
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster
from runner import params, run_module
from tbutil import reset, start_clock

CTRL, GIE, IER, ISR, CYCLES, STATUS, BUILD_ID = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18
WEIGHTS, WEIGHTS_CRC = 0x1C, 0x20
DONE, IDLE, READY = 0x2, 0x4, 0x8
ST_FRAME, ST_LOADED, ST_REFUSED = 0x1, 0x2, 0x4


class Core:
    """A core model: ap_ctrl_hs, busy for ``run`` cycles per start; counts its runs."""

    def __init__(self, dut, run: int):
        self.dut, self.run, self.runs, self.error = dut, run, 0, 0
        dut.ap_done.value = 0
        dut.ap_ready.value = 0
        dut.ap_idle.value = 1
        dut.frame_error.value = 0
        dut.wl_busy.value = 0
        dut.wl_valid.value = 1
        dut.wl_error.value = 0
        dut.wl_crc.value = 0
        self.reqs = 0
        cocotb.start_soon(self._go())
        cocotb.start_soon(self._reqs())

    async def _reqs(self):
        while True:
            await RisingEdge(self.dut.clk)
            self.reqs += int(self.dut.wl_req.value)

    async def _go(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            if int(dut.ap_start.value) == 1 and int(dut.ap_idle.value) == 1:
                dut.ap_idle.value = 0
                for k in range(self.run):
                    last = k == self.run - 1
                    dut.ap_done.value = int(last)
                    dut.ap_ready.value = int(last)
                    dut.frame_error.value = self.error if last else 0
                    await RisingEdge(dut.clk)
                dut.ap_done.value = 0
                dut.ap_ready.value = 0
                dut.ap_idle.value = 1
                self.runs += 1


async def read(m: AxiLiteMaster, addr: int) -> int:
    return int.from_bytes((await m.read(addr, 4)).data, "little")


async def wait_done(dut, m: AxiLiteMaster, limit: int = 500) -> int:
    for _ in range(limit):
        v = await read(m, CTRL)
        if v & DONE:
            return v
    raise AssertionError("ap_done never read back")


@cocotb.test()
async def register_map(dut):
    run = 37
    start_clock(dut.clk)
    core = Core(dut, run)
    m = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi"), dut.clk, dut.rst)
    await reset(dut.clk, dut.rst)
    build_id = params()["BUILD_ID"]
    assert await read(m, BUILD_ID) == build_id
    assert await read(m, 0x3C) == 0, "an unmapped register must read 0"
    assert await read(m, CTRL) == IDLE
    # one run, polled: done is set once and cleared by the read that saw it
    await m.write(CTRL, (1).to_bytes(4, "little"))
    v = await wait_done(dut, m)
    assert v & IDLE or core.runs == 1
    assert await read(m, CTRL) & (DONE | 1) == 0, "ap_done not cleared on read / start stuck"
    assert core.runs == 1
    assert await read(m, CYCLES) == run, "CYCLES is the core's busy cycles"
    assert await read(m, STATUS) == ST_LOADED
    assert int(dut.interrupt.value) == 0, "interrupt without GIE/IER"
    assert await read(m, ISR) == 0, "ISR set while IER is 0"
    # interrupts: enabled, raised at done, acknowledged by writing 1 to ISR
    await m.write(GIE, (1).to_bytes(4, "little"))
    await m.write(IER, (1).to_bytes(4, "little"))
    core.error = 1
    await m.write(CTRL, (1).to_bytes(4, "little"))
    for _ in range(run + 20):
        await RisingEdge(dut.clk)
        if int(dut.interrupt.value):
            break
    assert int(dut.interrupt.value) == 1, "no interrupt at ap_done"
    assert await read(m, ISR) == 1
    assert await read(m, STATUS) == ST_FRAME | ST_LOADED, "the frame error is not in STATUS"
    await m.write(ISR, (1).to_bytes(4, "little"))
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    assert int(dut.interrupt.value) == 0, "the acknowledge did not drop the interrupt"
    assert await read(m, ISR) == 0
    # auto_restart: the core runs again and again until the bit is cleared
    core.error = 0
    runs0 = core.runs
    await m.write(CTRL, (0x81).to_bytes(4, "little"))
    for _ in range(3 * run + 20):
        await RisingEdge(dut.clk)
    assert core.runs - runs0 >= 3, "auto_restart did not restart the core"
    await m.write(CTRL, (0).to_bytes(4, "little"))
    for _ in range(2 * run + 20):
        await RisingEdge(dut.clk)
    n = core.runs
    for _ in range(2 * run):
        await RisingEdge(dut.clk)
    assert core.runs == n, "the core kept restarting after auto_restart was cleared"
    assert await read(m, CTRL) & 0x81 == 0
    # the ap_ready interrupt alone (first acknowledge what the restarts raised: write back
    # the bits read, as a driver does)
    pending = await read(m, ISR)
    assert pending == 1, "the auto-restarted runs' ap_done interrupts"
    await m.write(ISR, pending.to_bytes(4, "little"))
    assert await read(m, ISR) == 0
    await m.write(IER, (2).to_bytes(4, "little"))
    await m.write(CTRL, (1).to_bytes(4, "little"))
    await wait_done(dut, m)
    assert await read(m, ISR) == 2
    assert core.reqs == 0, "wl_req without a WEIGHTS write"
    cocotb.log.info("register map ok, %d runs", core.runs)


async def idle_cycles(dut, n: int) -> None:
    for _ in range(n):
        await RisingEdge(dut.clk)


@cocotb.test()
async def weight_load(dut):
    run = 23
    start_clock(dut.clk)
    core = Core(dut, run)
    m = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi"), dut.clk, dut.rst)
    dut.wl_valid.value = 0  # weights not loaded (a build whose bitstream holds none)
    await reset(dut.clk, dut.rst)
    assert await read(m, WEIGHTS) == 0
    assert await read(m, STATUS) == 0
    # a start before any load: refused, the core never starts, STATUS says so
    await m.write(CTRL, (1).to_bytes(4, "little"))
    await idle_cycles(dut, 3 * run)
    assert core.runs == 0, "a start with the weights not loaded reached the core"
    assert int(dut.ap_start.value) == 0
    assert await read(m, CTRL) == IDLE, "AP_CTRL after a refused start: idle, no start bit"
    assert await read(m, STATUS) == ST_REFUSED
    # a load request: one pulse per write of bit 0; bit 0 = 0 asks for nothing
    await m.write(WEIGHTS, (1).to_bytes(4, "little"))
    await idle_cycles(dut, 2)
    assert core.reqs == 1, f"{core.reqs} wl_req pulses for one WEIGHTS write"
    await m.write(WEIGHTS, (2).to_bytes(4, "little"))
    await idle_cycles(dut, 2)
    assert core.reqs == 1, "WEIGHTS written without bit 0 asked for a load"
    # the loader's state and CRC read back as they are
    for busy, valid, error in ((1, 0, 0), (0, 0, 1), (0, 1, 0), (1, 1, 1)):
        dut.wl_busy.value, dut.wl_valid.value, dut.wl_error.value = busy, valid, error
        dut.wl_crc.value = crc = 0x9E83486D ^ (busy << 3 | valid << 7 | error << 30)
        await idle_cycles(dut, 1)
        assert await read(m, WEIGHTS) == busy | valid << 1 | error << 2
        assert await read(m, WEIGHTS_CRC) == crc
    # loaded but a load busy: still refused
    dut.wl_busy.value, dut.wl_valid.value, dut.wl_error.value = 1, 1, 0
    await m.write(CTRL, (1).to_bytes(4, "little"))
    await idle_cycles(dut, run)
    assert core.runs == 0, "a start while a load is busy reached the core"
    assert await read(m, STATUS) == ST_REFUSED | ST_LOADED
    # loaded and idle: taken, and the refusal is cleared
    dut.wl_busy.value = 0
    await m.write(CTRL, (1).to_bytes(4, "little"))
    await wait_done(dut, m)
    assert core.runs == 1
    assert await read(m, STATUS) == ST_LOADED, "a start taken must clear 'start refused'"
    # auto_restart, then a load request (busy): the restarts end after the run in progress
    await m.write(CTRL, (0x81).to_bytes(4, "little"))
    await idle_cycles(dut, 2 * run + 10)
    assert core.runs >= 2
    dut.wl_busy.value = 1
    await idle_cycles(dut, run + 10)
    n = core.runs
    await idle_cycles(dut, 3 * run)
    assert core.runs == n, "auto_restart restarted the core while a load was busy"
    assert int(dut.ap_start.value) == 0
    assert await read(m, CTRL) & 0x81 == 0x80, "auto_restart is kept, the start bit is not"
    cocotb.log.info("weight registers ok")


@pytest.mark.parametrize("build_id", [0x1234ABCD])
def test_fg_axil_ctrl(build_id):
    run_module("fg_axil_ctrl", __file__, {"ADDR_W": 6, "BUILD_ID": build_id})
