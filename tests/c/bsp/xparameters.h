/* Stub of the xparameters.h Vitis generates from the block design of system/build.tcl: the
 * base addresses of its cells fpgagen_0 and axi_dma_0, at the addresses of the simulated core
 * and DMA (fpgagen_sim.h). FPGAGEN_STUB_SDT: the system-device-tree BSPs' names instead. */
#ifndef XPARAMETERS_H
#define XPARAMETERS_H

#ifdef FPGAGEN_STUB_SDT
#define XPAR_FPGAGEN_0_BASEADDR 0x43c00000
#define XPAR_AXIDMA_0_BASEADDR 0x40400000
#else
#define XPAR_FPGAGEN_0_S_AXI_CONTROL_BASEADDR 0x43C00000
#define XPAR_FPGAGEN_0_S_AXI_CONTROL_HIGHADDR 0x43C0FFFF
#define XPAR_AXI_DMA_0_DEVICE_ID 0
#define XPAR_AXI_DMA_0_BASEADDR 0x40400000
#define XPAR_AXI_DMA_0_HIGHADDR 0x4040FFFF
#endif

#endif /* XPARAMETERS_H */
