/* A simulated fpgagen core and Xilinx AXI DMA behind the C driver's weak register hooks
 * (fpgagen_reg_read / fpgagen_reg_write), for the tests' C harnesses (driver_pack_main.c,
 * baremetal_stub.c). Every register write is logged on stdout ("W core|dma OFFSET VALUE"); a
 * wrong order (input before ap_start, a halted channel, an unknown register) is counted in
 * sim.errors and printed as "SIM ERROR ...". The core at CORE_BASE answers each run with the
 * bytes of sim.golden in the armed S2MM buffer; BUILD_ID 0 is the Vitis HLS core (its 4-bit
 * control slave aliases 0x10.. onto AP_CTRL..). A weight load (WEIGHTS = 1, then MM2S) computes
 * its own CRC-32 of the delivered bytes; sim.fault 1 flips one of them, 2 drops the last beat.
 */
#ifndef FPGAGEN_SIM_H
#define FPGAGEN_SIM_H

#include "fpgagen_driver.h"

#define CORE_BASE ((uintptr_t)0x43C00000u)
#define DMA_BASE ((uintptr_t)0x40400000u)

struct fpgagen_sim {
    uint32_t build_id, status, isr, ier;
    uint32_t wstate, wcrc;      /* WEIGHTS and WEIGHTS_CRC of the simulated loader */
    int load_armed, fault;
    int started, done, idle;
    uint32_t mm2s_cr, s2mm_cr, mm2s_sr, s2mm_sr;
    uint64_t mm2s_sa, s2mm_da;
    uint32_t s2mm_len, s2mm_received;
    int s2mm_armed;
    const uint8_t *golden;
    size_t golden_len;
    uint8_t sent[FPGAGEN_IN_BUFFER_BYTES];
    size_t sent_len;
    int errors;
};

extern struct fpgagen_sim sim;

#endif /* FPGAGEN_SIM_H */
