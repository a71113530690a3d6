"""The board-level system of a build: ``system/build.tcl``, a Vivado block design around the core.

``vivado -mode batch -source <build>/system/build.tcl`` packages ``rtl/`` as an IP (or, with
``-tclargs -core hls``, takes the Vitis HLS export of ``hls/``), puts it in a block design with
the board's processing system (Zynq-7000 ``processing_system7`` or Zynq UltraScale+
``zynq_ultra_ps_e``) and an AXI DMA sized to the build's streams, and ends in a bitstream plus
the ``.hwh`` that PYNQ's ``Overlay`` reads. A board without a processing system (a Virtex-7) gets
a README saying so instead: there is nothing to hang an AXI DMA and a driver on.

What the script knows comes from three places: the Plan and stream format (`system_context`,
pure), the ``rtl/`` folder (its sources and memory-init files, as ``rtl/vivado.tcl`` lists
them) and ``hls/run_hls.tcl`` (where its export lands and the IP's name). A driver finds the
cells by the names below, in the ``.hwh`` (PYNQ: ``overlay.fpgagen_0``, ``overlay.axi_dma_0``)
or in Vitis' ``xparameters.h`` (``XPAR_FPGAGEN_0_*``, ``XPAR_AXI_DMA_0_*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fpgagen.machine.context import Machine
from fpgagen.plan.boards import Board
from fpgagen.plan.streams import StreamFormat, dma_length_bits
from fpgagen.rtl.vivado import TOP, memory_generics, rtl_headers, rtl_sources
from fpgagen.util.templating import render

# block-design cell names, for the drivers (stable: a driver looks them up by name)
CORE_CELL = "fpgagen_0"      # the fpgagen core (s_axi_control, in_stream, out_stream, interrupt)
DMA_CELL = "axi_dma_0"       # AXI DMA, simple mode: MM2S -> in_stream, out_stream -> S2MM
IRQ_CELL = "irq_concat"      # xlconcat: the PL interrupts into the PS, in IRQ_SOURCES order
CTRL_CELL = "axi_ctrl_smc"   # SmartConnect: PS master -> core and DMA registers
MEM_CELL = "axi_mem_smc"     # SmartConnect: DMA masters -> PS high-performance port (DDR)
RESET_CELL = "proc_sys_reset_0"
BD_NAME = "fpgagen"          # the block design; its wrapper is fpgagen_wrapper
# PYNQ's Overlay("fpgagen.bit") reads fpgagen.hwh beside it: same basename
BITSTREAM = f"{BD_NAME}.bit"
HWH = f"{BD_NAME}.hwh"
XSA = f"{BD_NAME}.xsa"       # for Vitis (bare-metal C driver): the hardware platform
# xlconcat inputs In0, In1, In2 -> PS interrupt lines 0, 1, 2 (ProcessingSystem.irq_ids)
IRQ_SOURCES = (f"{CORE_CELL}/interrupt", f"{DMA_CELL}/mm2s_introut", f"{DMA_CELL}/s2mm_introut")
# the core's bus interfaces the block design connects, inferred from its port names
CORE_INTERFACES = ("s_axi_control", "in_stream", "out_stream", "interrupt", "ap_clk", "ap_rst_n")
# the ports behind them (one contract, identical for the RTL and the HLS core)
_AXIL = ("AWVALID", "AWREADY", "AWADDR", "WVALID", "WREADY", "WDATA", "WSTRB", "BVALID",
         "BREADY", "BRESP", "ARVALID", "ARREADY", "ARADDR", "RVALID", "RREADY", "RDATA", "RRESP")
_AXIS = ("TDATA", "TKEEP", "TLAST", "TVALID", "TREADY")
CORE_PORTS = ("ap_clk", "ap_rst_n", *(f"s_axi_control_{s}" for s in _AXIL), "interrupt",
              *(f"{i}_{s}" for i in ("in_stream", "out_stream") for s in _AXIS))

SCRIPT = "build.tcl"
README = "README.txt"
DEFAULT_CORE = "rtl"


@dataclass(frozen=True)
class ProcessingSystem:
    """The processing system of a board family, as the block design uses it."""

    ip: str           # Vivado IP name (xilinx.com:ip:<ip>)
    cell: str
    title: str
    irq_base: int     # GIC interrupt ID of the PL's interrupt line 0 (IRQ_F2P[0] / pl_ps_irq0[0])
    dma_addr_bits: int  # the DMA's address width: the whole DDR the PS port reaches

    @property
    def irq_ids(self) -> dict[str, int]:
        """GIC interrupt ID of each PL interrupt (for a bare-metal driver's handler)."""
        return {src: self.irq_base + i for i, src in enumerate(IRQ_SOURCES)}


# Zynq-7000 IRQ_F2P[7:0] are IDs 61..68 (UG585, table 7-4); Zynq UltraScale+ pl_ps_irq0[7:0]
# are 121..128 (UG1085, table 13-1). The UltraScale+ HP0 port reaches DDR above 4 GB
# (0x8_0000_0000), so its DMA takes 64-bit addresses (registers MM2S_SA_MSB / S2MM_DA_MSB).
PROCESSING_SYSTEMS = {
    "zynq7000": ProcessingSystem("processing_system7", "processing_system7_0",
                                 "Zynq-7000 processing system (PS7)", 61, 32),
    "zynquplus": ProcessingSystem("zynq_ultra_ps_e", "zynq_ultra_ps_e_0",
                                  "Zynq UltraScale+ MPSoC processing system", 121, 64),
}


def processing_system(board: Board) -> ProcessingSystem | None:
    """The board's processing system, or None (no PS: no block design)."""
    return PROCESSING_SYSTEMS.get(board.family)


def no_system_reason(board: Board) -> str:
    """Why a board gets no block design (empty when it gets one)."""
    if processing_system(board):
        return ""
    return (f"{board.name} ({board.part}, {board.family}) has no processing system: no CPU to "
            f"run a driver, no PS DDR port for an AXI DMA")


def system_summary(board: Board, out: Path) -> str:
    """One line for the CLI: what ``out/system/`` holds for this board."""
    ps = processing_system(board)
    if ps is None:
        return f"system: no block design, {no_system_reason(board)} (see {out}/system/{README})"
    return (f"system: vivado -mode batch -source {out}/system/{SCRIPT}  ({ps.ip} + AXI DMA + "
            f"the core -> {BITSTREAM} + {HWH})")


def dma_config(fmt: StreamFormat, addr_bits: int, load_bytes: int = 0) -> dict[str, int]:
    """The AXI DMA's settings for a build's streams (Vivado ``CONFIG.*`` names, PG021).

    Simple mode (no scatter-gather): one transfer per buffer, which needs the buffer-length
    register wide enough for the largest buffer (the IP's default 14 bits moves 16,383 bytes;
    the ZC706 SqueezeNet image is 150,528, its weights.bin, ``load_bytes``, 1,263,744). Stream
    and memory-map widths equal TDATA, so no width converter sits between the DMA and the core.
    """
    return {
        "c_include_sg": 0,
        "c_sg_include_stscntrl_strm": 0,
        "c_sg_length_width": dma_length_bits(max(fmt.in_buffer_bytes, fmt.out_buffer_bytes,
                                                 load_bytes)),
        "c_addr_width": addr_bits,
        "c_m_axis_mm2s_tdata_width": fmt.tdata_bits,
        "c_m_axi_mm2s_data_width": fmt.tdata_bits,
        "c_s_axis_s2mm_tdata_width": fmt.tdata_bits,
        "c_m_axi_s2mm_data_width": fmt.tdata_bits,
        "c_mm2s_burst_size": 16,
        "c_s2mm_burst_size": 16,
    }


def system_context(board: Board, fmt: StreamFormat, model: str, load_bytes: int = 0
                   ) -> dict[str, object]:
    """Everything the system templates read that the Plan and stream format decide (pure).
    A board without a processing system gets ``ps`` None and a ``reason``."""
    ps = processing_system(board)
    return {
        "model": model, "board": board.name,
        "description": board.description, "part": board.part, "board_part": board.board_part,
        "family": board.family, "clock_mhz": f"{board.clock_mhz:g}",
        "ps": ps, "reason": no_system_reason(board),
        "tdata_bits": fmt.tdata_bits, "in_beats": fmt.in_beats, "out_beats": fmt.out_beats,
        "in_buffer_bytes": fmt.in_buffer_bytes, "out_buffer_bytes": fmt.out_buffer_bytes,
        "dma": dma_config(fmt, ps.dma_addr_bits, load_bytes) if ps else {},
        "load_bytes": load_bytes,
        "irq_ids": ps.irq_ids if ps else {},
        "bd": BD_NAME, "bitstream": BITSTREAM, "hwh": HWH, "xsa": XSA,
        "core_cell": CORE_CELL, "dma_cell": DMA_CELL, "irq_cell": IRQ_CELL,
        "ctrl_cell": CTRL_CELL, "mem_cell": MEM_CELL, "reset_cell": RESET_CELL,
        "irq_sources": IRQ_SOURCES, "interfaces": CORE_INTERFACES, "top": TOP,
        "script": SCRIPT, "default_core": DEFAULT_CORE,
    }


@dataclass(frozen=True)
class HlsExport:
    """Where ``hls/run_hls.tcl``'s ``export_design -format ip_catalog`` puts the core."""

    ip_dir: str   # relative to the build folder
    vlnv: str     # vendor:library:name:version


_HLS_FIELDS = {
    "project": r"^open_project\s+(?:-reset\s+)?(\S+)",
    "solution": r"^open_solution\s+(?:-reset\s+)?(\S+)",
    "top": r"^set_top\s+(\S+)",
    "vendor": r"^export_design\b.*\s-vendor\s+(\S+)",
    "library": r"^export_design\b.*\s-library\s+(\S+)",
    "version": r"^export_design\b.*\s-version\s+(\S+)",
}


def hls_export(run_hls_tcl: str) -> HlsExport:
    """The IP export that ``run_hls.tcl`` (its text) produces: Vitis HLS writes it to
    ``<project>/<solution>/impl/ip`` beside the script, named vendor:library:<top>:version."""
    found = {}
    for key, pattern in _HLS_FIELDS.items():
        m = re.search(pattern, run_hls_tcl, re.M)
        if not m:
            raise AssertionError(f"run_hls.tcl: no {key} ({pattern}): system/{SCRIPT} cannot "
                                 f"find the HLS export")
        found[key] = m.group(1).strip("{}\"")
    if found["top"] != TOP:
        raise AssertionError(f"run_hls.tcl: set_top {found['top']}, expected {TOP}")
    return HlsExport(f"hls/{found['project']}/{found['solution']}/impl/ip",
                     f"{found['vendor']}:{found['library']}:{TOP}:{found['version']}")


_PORT = re.compile(r"\b(input|output)\s+(?:wire\s+|reg\s+)?(?:\[\s*(\d+)\s*:\s*0\s*\]\s*)?(\w+)")


def core_port_problems(top_verilog: str, tdata_bits: int) -> list[str]:
    """What keeps ``fpgagen_top`` (its Verilog text) from the block design: contract ports it
    lacks, and stream TDATA not ``tdata_bits`` wide (the DMA's width). Empty when it fits."""
    ports = {name: (int(msb) + 1 if msb else 1) for _, msb, name in _PORT.findall(top_verilog)}
    missing = [p for p in CORE_PORTS if p not in ports]
    problems = [f"no port{'s' * (len(missing) > 1)} {', '.join(missing)}"] if missing else []
    for stream in ("in_stream", "out_stream"):
        width = ports.get(f"{stream}_TDATA")
        if width is not None and width != tdata_bits:
            problems.append(f"{stream}_TDATA is {width} bits, the DMA's stream {tdata_bits}")
        keep = ports.get(f"{stream}_TKEEP")
        if keep is not None and keep * 8 != tdata_bits:
            problems.append(f"{stream}_TKEEP is {keep} bits, {tdata_bits // 8} expected")
    return problems


def emit_system(out: Path, m: Machine) -> list[Path]:
    """Write ``out/system/`` (after ``out/rtl`` and ``out/hls``): ``build.tcl`` and
    ``README.txt``, or only the README for a board without a processing system."""
    fmt = m.stream
    ctx = system_context(m.plan.board, fmt, m.plan.graph.name, m.weight_load.bytes)
    system = out / "system"
    system.mkdir(parents=True, exist_ok=True)
    written = []
    if ctx["ps"] is not None:
        rtl = out / "rtl"
        export = hls_export((out / "hls" / "run_hls.tcl").read_text())
        ctx |= {
            "rtl_sources": rtl_sources(rtl), "rtl_headers": rtl_headers(rtl),
            "rtl_memories": memory_generics(rtl),
            "hls_ip": export.ip_dir, "core_vlnv": export.vlnv,
        }
        # the generated top must have the ports the block design connects (a compiler bug if not)
        problems = core_port_problems((rtl / f"{TOP}.v").read_text(), fmt.tdata_bits)
        if problems:
            raise AssertionError(f"rtl/{TOP}.v does not fit the block design: "
                                 + "; ".join(problems))
        path = system / SCRIPT
        path.write_text(render(f"system/{SCRIPT}.j2", **ctx))
        written.append(path)
    path = system / README
    path.write_text(render(f"system/{README}.j2", **ctx))
    written.append(path)
    return written
