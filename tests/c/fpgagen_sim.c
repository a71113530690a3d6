/* The simulated core and AXI DMA of fpgagen_sim.h. */
#include "fpgagen_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fpgagen_sim sim;

static void sim_error(const char *what)
{
    printf("SIM ERROR %s\n", what);
    sim.errors++;
}

/* The loader's own CRC-32 (bit by bit: independent of the driver's table). */
static uint32_t sim_crc(const uint8_t *d, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= d[i];
        for (k = 0; k < 8; k++) {
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        }
    }
    return ~c;
}

/* A weight load: the bytes the DMA delivered (FAULT: one flipped, or a beat short). */
static void sim_load(const uint8_t *src, size_t n)
{
    uint8_t *got = malloc(n + 1);
    if (got == NULL) {
        fprintf(stderr, "fpgagen_sim: out of memory\n");
        exit(2);
    }
    memcpy(got, src, n);
    if (sim.fault == 1 && n > 0) {
        got[n / 2] ^= 0x10u;
    }
    if (sim.fault == 2 && n >= FPGAGEN_TDATA_BYTES) {
        n -= FPGAGEN_TDATA_BYTES;
    }
    sim.wcrc = sim_crc(got, n);
    sim.wstate = n == FPGAGEN_WEIGHTS_BYTES ? FPGAGEN_WEIGHTS_LOADED : FPGAGEN_WEIGHTS_ERROR;
    sim.status = (sim.status & ~FPGAGEN_STATUS_LOADED)
                 | (sim.wstate & FPGAGEN_WEIGHTS_LOADED ? FPGAGEN_STATUS_LOADED : 0u);
    sim.load_armed = 0;
    free(got);
}

/* The core ran: its logits land in the armed S2MM buffer. */
static void sim_finish(void)
{
    size_t n = sim.golden_len < sim.s2mm_len ? sim.golden_len : sim.s2mm_len;
    memcpy((void *)(uintptr_t)sim.s2mm_da, sim.golden, n);
    sim.s2mm_received = (uint32_t)n;
    sim.s2mm_sr |= FPGAGEN_DMASR_IDLE;
    sim.started = 0;
    sim.done = 1;
    sim.idle = 1;
}

uint32_t fpgagen_reg_read(uintptr_t addr)
{
    if (addr >= CORE_BASE && addr < CORE_BASE + 0x40u) {
        uint32_t off = (uint32_t)(addr - CORE_BASE), v;
        if (sim.build_id == 0) {
            /* the Vitis HLS core: a 4-bit address, four registers; 0x10 is AP_CTRL again (and
             * its read clears ap_done), 0x14 GIE, 0x18 IER (the driver's BUILD_ID probe, with
             * IER cleared around it) */
            if (off == FPGAGEN_REG_CYCLES || off == FPGAGEN_REG_STATUS) {
                sim_error("read of an HLS core register that aliases AP_CTRL or GIE");
            }
            off &= 0xFu;
        }
        switch (off) {
        case FPGAGEN_REG_AP_CTRL:
            v = (sim.done ? FPGAGEN_AP_DONE : 0u) | (sim.idle ? FPGAGEN_AP_IDLE : 0u);
            sim.done = 0; /* clear on read */
            return v;
        case FPGAGEN_REG_CYCLES: return sim.build_id ? 4242u : 0u;
        case FPGAGEN_REG_STATUS: return sim.status;
        case FPGAGEN_REG_BUILD_ID: return sim.build_id;
        case FPGAGEN_REG_ISR: return sim.isr;
        case FPGAGEN_REG_IER: return sim.ier;
        case FPGAGEN_REG_WEIGHTS: return sim.build_id ? sim.wstate : sim.isr; /* HLS: ISR */
        case FPGAGEN_REG_WEIGHTS_CRC: return sim.build_id ? sim.wcrc : 0u;
        default: return 0;
        }
    }
    switch ((uint32_t)(addr - DMA_BASE)) {
    case FPGAGEN_DMA_MM2S_DMACR: return sim.mm2s_cr;
    case FPGAGEN_DMA_MM2S_DMASR: return sim.mm2s_sr;
    case FPGAGEN_DMA_S2MM_DMACR: return sim.s2mm_cr;
    case FPGAGEN_DMA_S2MM_DMASR: return sim.s2mm_sr;
    case FPGAGEN_DMA_S2MM_LENGTH: return sim.s2mm_received;
    default: sim_error("read of an unknown register"); return 0;
    }
}

void fpgagen_reg_write(uintptr_t addr, uint32_t value)
{
    int core = addr >= CORE_BASE && addr < CORE_BASE + 0x40u;
    uint32_t off = (uint32_t)(addr - (core ? CORE_BASE : DMA_BASE));
    printf("W %s 0x%02x 0x%x\n", core ? "core" : "dma", (unsigned)off, (unsigned)value);
    if (core) {
        if (off == FPGAGEN_REG_AP_CTRL && (value & FPGAGEN_AP_START)) {
            if (sim.build_id != 0 && !(sim.wstate & FPGAGEN_WEIGHTS_LOADED)) {
                sim.status |= FPGAGEN_STATUS_START_REFUSED; /* not passed on */
            } else {
                sim.status &= ~FPGAGEN_STATUS_START_REFUSED;
                sim.started = 1;
                sim.idle = 0;
            }
        }
        if (off == FPGAGEN_REG_WEIGHTS && (value & FPGAGEN_WEIGHTS_LOAD) && sim.build_id != 0) {
            sim.load_armed = 1;
            sim.wstate = FPGAGEN_WEIGHTS_BUSY;
        }
        if (off == FPGAGEN_REG_ISR) {
            sim.isr ^= value; /* toggle on write */
        }
        if (off == FPGAGEN_REG_IER) {
            sim.ier = value & 3u;
        }
        return;
    }
    switch (off) {
    case FPGAGEN_DMA_MM2S_DMACR:
        sim.mm2s_cr = value & ~FPGAGEN_DMACR_RESET;
        sim.mm2s_sr = (value & FPGAGEN_DMACR_RS) ? 0u : FPGAGEN_DMASR_HALTED;
        break;
    case FPGAGEN_DMA_S2MM_DMACR:
        sim.s2mm_cr = value;
        sim.s2mm_sr = (value & FPGAGEN_DMACR_RS) ? 0u : FPGAGEN_DMASR_HALTED;
        break;
    case FPGAGEN_DMA_MM2S_DMASR: case FPGAGEN_DMA_S2MM_DMASR: break; /* W1C irq bits */
    case FPGAGEN_DMA_MM2S_SA: sim.mm2s_sa = (sim.mm2s_sa & ~UINT64_C(0xFFFFFFFF)) | value; break;
    case FPGAGEN_DMA_MM2S_SA_MSB:
        sim.mm2s_sa = (sim.mm2s_sa & UINT64_C(0xFFFFFFFF)) | ((uint64_t)value << 32);
        break;
    case FPGAGEN_DMA_S2MM_DA: sim.s2mm_da = (sim.s2mm_da & ~UINT64_C(0xFFFFFFFF)) | value; break;
    case FPGAGEN_DMA_S2MM_DA_MSB:
        sim.s2mm_da = (sim.s2mm_da & UINT64_C(0xFFFFFFFF)) | ((uint64_t)value << 32);
        break;
    case FPGAGEN_DMA_S2MM_LENGTH:
        if (sim.s2mm_sr & FPGAGEN_DMASR_HALTED) {
            sim_error("S2MM length written while the channel is halted");
        }
        sim.s2mm_len = value;
        sim.s2mm_armed = 1;
        sim.s2mm_sr &= ~FPGAGEN_DMASR_IDLE;
        break;
    case FPGAGEN_DMA_MM2S_LENGTH:
        if (sim.mm2s_sr & FPGAGEN_DMASR_HALTED) {
            sim_error("MM2S length written while the channel is halted");
        }
        if (sim.load_armed) {
            if (sim.started) {
                sim_error("weights sent while the core runs");
            }
            sim_load((const uint8_t *)(uintptr_t)sim.mm2s_sa, value);
            sim.mm2s_sr |= FPGAGEN_DMASR_IDLE;
            break;
        }
        if (!sim.started) {
            sim_error("input sent before ap_start");
        }
        if (value != FPGAGEN_IN_BUFFER_BYTES) {
            sim_error("MM2S length is not the input buffer");
        }
        sim.sent_len = value < sizeof sim.sent ? value : sizeof sim.sent;
        memcpy(sim.sent, (const void *)(uintptr_t)sim.mm2s_sa, sim.sent_len);
        sim.mm2s_sr |= FPGAGEN_DMASR_IDLE;
        if (!sim.s2mm_armed) {
            sim_error("output channel not armed when the input was sent");
        } else if (sim.status & FPGAGEN_STATUS_FRAME_ERROR) {
            sim.started = 0; /* a frame error: the core never answers */
        } else {
            sim_finish();
        }
        break;
    default: sim_error("write to an unknown register"); break;
    }
}

