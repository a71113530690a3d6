/* fpgagen bare-metal driver: run an fpgagen core behind a Xilinx AXI DMA (simple mode).
 *
 * C99, no Xilinx BSP: registers are reached through volatile 32-bit accesses at the base
 * addresses you pass (the core's s_axi_control and the AXI DMA's S_AXI_LITE, from the address
 * editor / xparameters.h). The build's constants (shapes, widths, beats, buffer sizes, BUILD_ID)
 * come from the generated fpgagen_build.h beside this file.
 *
 * One inference:
 *
 *     static int64_t image[FPGAGEN_IN_VALUES], logits[FPGAGEN_OUT_VALUES];
 *     static uint8_t in_buf[FPGAGEN_IN_BUFFER_BYTES] __attribute__((aligned(64)));
 *     static uint8_t out_buf[FPGAGEN_OUT_BUFFER_BYTES] __attribute__((aligned(64)));
 *     fpgagen_dev dev;
 *     fpgagen_init(&dev, CORE_BASEADDR, DMA_BASEADDR);
 *     if (fpgagen_check_build_id(&dev) != FPGAGEN_OK) ... wrong bitstream
 *     if (FPGAGEN_WEIGHTS_REQUIRED)   the bitstream holds no weights: load weights.bin first
 *         rc = fpgagen_load_weights(&dev, weights_bin, FPGAGEN_WEIGHTS_BYTES, &crc);
 *     fpgagen_quantize_image(pixels_hwc, FPGAGEN_IN_VALUES, image);   (or your own integers)
 *     rc = fpgagen_infer(&dev, image, logits, in_buf, out_buf, &cycles);
 *
 * Weights: weights_bin is the build's driver/weights.bin (or one fpgagen pack-weights wrote
 * for it) in memory the DMA can read, aligned like in_buf; fpgagen_load_weights sends it
 * through the input DMA after WEIGHTS = 1, waits for the load and compares the core's
 * WEIGHTS_CRC with the buffer's CRC-32 (and *crc gets it: FPGAGEN_WEIGHTS_CRC32 for the
 * build's own file). The RTL core refuses every start until a load succeeded when
 * FPGAGEN_WEIGHTS_REQUIRED; a bitstream that holds weights runs at once, and a load replaces
 * them.
 *
 * Caches: the DMA reads in_buf and writes out_buf behind the CPU's data cache. Override the weak
 * hooks fpgagen_cache_flush / fpgagen_cache_invalidate (e.g. with Xil_DCacheFlushRange /
 * Xil_DCacheInvalidateRange) unless the buffers are uncached; align both buffers to the cache
 * line (32 bytes on Cortex-A9, 64 on Cortex-A53) so invalidating out_buf touches nothing else.
 * fpgagen_phys_addr (weak, identity by default) maps a buffer to the address the DMA sees.
 * Register access goes through fpgagen_reg_read / fpgagen_reg_write (weak, volatile loads and
 * stores by default), so a user-space (UIO, /dev/mem) program or a test can supply its own.
 *
 * Stream format: each value in 1, 2, 4 or 8 bytes (its width rounded up), little-endian, two's
 * complement for signed types; HWC order, back to back; whole TDATA beats, the last zero-padded.
 */
#ifndef FPGAGEN_DRIVER_H
#define FPGAGEN_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "fpgagen_build.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- The core's control registers (s_axi_control, the Vitis HLS ap_ctrl_hs map) ------------ */
#define FPGAGEN_REG_AP_CTRL   0x00u /* bit0 start, bit1 done (read clears), bit2 idle, bit3 ready */
#define FPGAGEN_REG_GIE       0x04u /* bit0 global interrupt enable */
#define FPGAGEN_REG_IER       0x08u /* bit0 ap_done, bit1 ap_ready */
#define FPGAGEN_REG_ISR       0x0Cu /* bit0 ap_done, bit1 ap_ready; writing 1 toggles a bit */
/* The Verilog core's own registers. The Vitis HLS core has none of them: its control slave
 * decodes 4 address bits, so 0x10, 0x14, 0x18 read AP_CTRL, GIE, IER there (0x10 would even
 * clear ap_done). The driver tells the cores apart by BUILD_ID (0 on the HLS core, read with
 * IER cleared) and never reads CYCLES or STATUS on the HLS core: FPGAGEN_ERR_UNAVAILABLE. */
#define FPGAGEN_REG_CYCLES    0x10u /* RTL core only: cycles of the last run, start -> done */
#define FPGAGEN_REG_STATUS    0x14u /* RTL core only: bit0 input frame error */
#define FPGAGEN_REG_BUILD_ID  0x18u /* RTL core only: the build's identity (0 on the HLS core) */
#define FPGAGEN_REG_WEIGHTS   0x1Cu /* RTL core only: write bit0 = load; bit0 busy, bit1 loaded,
                                       bit2 the last load failed */
#define FPGAGEN_REG_WEIGHTS_CRC 0x20u /* RTL core only: CRC-32 of the last load's bytes */

#define FPGAGEN_AP_START          0x01u
#define FPGAGEN_AP_DONE           0x02u
#define FPGAGEN_AP_IDLE           0x04u
#define FPGAGEN_AP_READY          0x08u
#define FPGAGEN_AP_AUTO_RESTART   0x80u
#define FPGAGEN_GIE_ENABLE        0x01u
#define FPGAGEN_IRQ_DONE          0x01u /* IER / ISR */
#define FPGAGEN_IRQ_READY         0x02u
#define FPGAGEN_STATUS_FRAME_ERROR 0x01u
#define FPGAGEN_STATUS_LOADED     0x02u /* the weights are loaded */
#define FPGAGEN_STATUS_START_REFUSED 0x04u /* a start refused: weights not loaded, a load busy */
#define FPGAGEN_WEIGHTS_LOAD      0x01u /* WEIGHTS written: load from in_stream */
#define FPGAGEN_WEIGHTS_BUSY      0x01u /* WEIGHTS read: a load pending or running */
#define FPGAGEN_WEIGHTS_LOADED    0x02u /* WEIGHTS read: a whole weight set is loaded */
#define FPGAGEN_WEIGHTS_ERROR     0x04u /* WEIGHTS read: the last load was malformed */

/* --- Xilinx AXI DMA, direct register (simple) mode (PG021) ------------------------------- */
#define FPGAGEN_DMA_MM2S_DMACR    0x00u
#define FPGAGEN_DMA_MM2S_DMASR    0x04u
#define FPGAGEN_DMA_MM2S_SA       0x18u
#define FPGAGEN_DMA_MM2S_SA_MSB   0x1Cu
#define FPGAGEN_DMA_MM2S_LENGTH   0x28u /* writing it starts the transfer */
#define FPGAGEN_DMA_S2MM_DMACR    0x30u
#define FPGAGEN_DMA_S2MM_DMASR    0x34u
#define FPGAGEN_DMA_S2MM_DA       0x48u
#define FPGAGEN_DMA_S2MM_DA_MSB   0x4Cu
#define FPGAGEN_DMA_S2MM_LENGTH   0x58u /* after completion: the bytes received */

#define FPGAGEN_DMACR_RS          0x00000001u /* run/stop */
#define FPGAGEN_DMACR_RESET       0x00000004u
#define FPGAGEN_DMACR_IOC_IRQ_EN  0x00001000u
#define FPGAGEN_DMACR_ERR_IRQ_EN  0x00004000u
#define FPGAGEN_DMASR_HALTED      0x00000001u
#define FPGAGEN_DMASR_IDLE        0x00000002u
#define FPGAGEN_DMASR_INT_ERR     0x00000010u
#define FPGAGEN_DMASR_SLV_ERR     0x00000020u
#define FPGAGEN_DMASR_DEC_ERR     0x00000040u
#define FPGAGEN_DMASR_ERRORS      0x00000070u
#define FPGAGEN_DMASR_IOC_IRQ     0x00001000u /* write 1 to clear */
#define FPGAGEN_DMASR_ERR_IRQ     0x00004000u

/* --- Input rounding / saturation (the modes of fpgagen's fixed point, docs/design.md §2) */
#define FPGAGEN_AP_RND      0 /* round half toward +inf */
#define FPGAGEN_AP_TRN      1 /* floor */
#define FPGAGEN_AP_RND_CONV 2 /* round half to even */
#define FPGAGEN_AP_SAT      0 /* clamp */
#define FPGAGEN_AP_WRAP     1 /* keep the low bits */

/* --- Return codes (0 = success) ----------------------------------------------------------- */
#define FPGAGEN_OK             0
#define FPGAGEN_ERR_ARG       -1 /* a size, width or alignment that does not fit this build */
#define FPGAGEN_ERR_RANGE     -2 /* a value outside its type, or NaN/infinity to quantize */
#define FPGAGEN_ERR_TIMEOUT   -3 /* the DMA or the core did not finish within dev->timeout */
#define FPGAGEN_ERR_DMA       -4 /* the DMA reported an error, or received the wrong length */
#define FPGAGEN_ERR_FRAME     -5 /* the core saw TLAST on the wrong beat */
#define FPGAGEN_ERR_BUILD_ID  -6 /* the bitstream is not the build of fpgagen_build.h */
#define FPGAGEN_ERR_BUSY      -7 /* the core is not idle (a previous run did not finish) */
#define FPGAGEN_ERR_UNAVAILABLE -8 /* the register does not exist on this core (the HLS core:
                                      CYCLES, STATUS); nothing was read */
#define FPGAGEN_ERR_WEIGHTS   -9 /* weights not loaded (a start refused), a load that failed,
                                    or a WEIGHTS_CRC that differs from the buffer's */

/* One core with its DMA. timeout counts register polls per wait (0 = wait forever). */
typedef struct {
    uintptr_t core_base;
    uintptr_t dma_base;
    uint32_t timeout;
} fpgagen_dev;

#define FPGAGEN_DEFAULT_TIMEOUT 100000000u

/* --- Pure functions: no hardware (they run anywhere) -------------------------------------- */

/* Bytes one value of `width` bits takes in a stream (1, 2, 4 or 8); 0 for a bad width. */
unsigned fpgagen_value_bytes(unsigned width);

/* `count` integers of a `width`-bit type -> whole beats of `tdata_bytes` in buf (zero-padded).
 * buf_bytes must be exactly the beats' size. A value outside the type: FPGAGEN_ERR_RANGE. */
int fpgagen_pack_values(const int64_t *values, size_t count, unsigned width, int is_signed,
                        unsigned tdata_bytes, uint8_t *buf, size_t buf_bytes);

/* The stream's bytes -> `count` integers; only the low `width` bits of each value count. */
int fpgagen_unpack_values(const uint8_t *buf, size_t buf_bytes, unsigned width, int is_signed,
                          int64_t *values, size_t count);

/* This build's input / output (fpgagen_build.h): FPGAGEN_IN_VALUES quantized integers ->
 * FPGAGEN_IN_BUFFER_BYTES bytes; FPGAGEN_OUT_BUFFER_BYTES bytes -> FPGAGEN_OUT_VALUES logits. */
int fpgagen_pack_image(const int64_t *x, size_t count, uint8_t *buf, size_t buf_bytes);
int fpgagen_unpack_logits(const uint8_t *buf, size_t buf_bytes, int64_t *logits, size_t count);

/* Float (the preprocessed HWC image, as the golden model takes it) -> the input type's
 * integers, rounded and saturated exactly as fpgagen's quantize_float does; NaN or infinity:
 * FPGAGEN_ERR_RANGE. The _mode variant takes any type and modes. */
int fpgagen_quantize_mode(const double *x, size_t count, unsigned width, int frac, int is_signed,
                          int rounding, int saturation, int64_t *q);
int fpgagen_quantize_image(const double *x, size_t count, int64_t *q);

/* Logit integers -> their values q * 2^-FPGAGEN_OUT_FRAC. */
void fpgagen_dequantize_logits(const int64_t *q, size_t count, double *y);

const char *fpgagen_strerror(int code);

/* CRC-32 (IEEE 802.3, zlib.crc32) of `bytes` bytes: what the core's WEIGHTS_CRC computes. */
uint32_t fpgagen_crc32(const uint8_t *data, size_t bytes);

/* --- Hardware hooks (weak: override any of them) ------------------------------------------ */
uint32_t fpgagen_reg_read(uintptr_t addr);
void fpgagen_reg_write(uintptr_t addr, uint32_t value);
void fpgagen_cache_flush(const void *addr, size_t bytes);
void fpgagen_cache_invalidate(void *addr, size_t bytes);
uintptr_t fpgagen_phys_addr(const void *addr);

/* --- The core ------------------------------------------------------------------------------ */
void fpgagen_init(fpgagen_dev *dev, uintptr_t core_base, uintptr_t dma_base);
void fpgagen_start(const fpgagen_dev *dev);
int fpgagen_is_done(const fpgagen_dev *dev);      /* reads AP_CTRL: clears ap_done */
int fpgagen_is_idle(const fpgagen_dev *dev);
int fpgagen_wait_done(const fpgagen_dev *dev);    /* polls ap_done: OK or ERR_TIMEOUT */
void fpgagen_interrupt_enable(const fpgagen_dev *dev, uint32_t irq_mask); /* IER + GIE */
void fpgagen_interrupt_disable(const fpgagen_dev *dev);
uint32_t fpgagen_interrupt_status(const fpgagen_dev *dev);             /* ISR */
void fpgagen_interrupt_ack(const fpgagen_dev *dev, uint32_t irq_mask); /* clears ISR bits */
/* BUILD_ID, or 0 for the HLS core (read with IER cleared: call it while the core is idle). */
uint32_t fpgagen_build_id(const fpgagen_dev *dev);
/* OK when the core reports this build's id, or 0 (the HLS core has no BUILD_ID register). */
int fpgagen_check_build_id(const fpgagen_dev *dev);
/* CYCLES (the last run's clock cycles) and STATUS: OK with the value, or
 * FPGAGEN_ERR_UNAVAILABLE on the HLS core, which has neither (nothing is read there). */
int fpgagen_cycles(const fpgagen_dev *dev, uint32_t *cycles);
int fpgagen_status(const fpgagen_dev *dev, uint32_t *status);
/* WEIGHTS (FPGAGEN_WEIGHTS_BUSY / _LOADED / _ERROR); RTL core only (0x1C aliases the HLS core's
 * ISR). */
uint32_t fpgagen_weights_state(const fpgagen_dev *dev);
/* Load a weights.bin of FPGAGEN_WEIGHTS_BYTES from buf (DMA-visible, TDATA-aligned): WEIGHTS = 1,
 * the buffer through the input DMA, WEIGHTS polled until the load ends; OK when the core says
 * loaded and its WEIGHTS_CRC equals the buffer's CRC-32 (written to *crc, may be NULL), else
 * ERR_WEIGHTS (the weights stay unloaded: every start is refused until a load succeeds).
 * ERR_ARG: another length, or an HLS core (it has no load mode); ERR_BUSY: the core is not
 * idle. */
int fpgagen_load_weights(const fpgagen_dev *dev, const uint8_t *buf, uint32_t bytes,
                         uint32_t *crc);

/* --- The DMA ------------------------------------------------------------------------------- */
int fpgagen_dma_reset(const fpgagen_dev *dev);   /* soft reset, then both channels running */
int fpgagen_dma_send(const fpgagen_dev *dev, const void *buf, uint32_t bytes);
int fpgagen_dma_recv(const fpgagen_dev *dev, void *buf, uint32_t bytes);
int fpgagen_dma_wait_send(const fpgagen_dev *dev);
int fpgagen_dma_wait_recv(const fpgagen_dev *dev, uint32_t *received);

/* One run on packed buffers: arm the receive, start, send, wait for both and ap_done, then
 * check STATUS and the received length. cycles (may be NULL) gets CYCLES, or
 * FPGAGEN_CYCLES_UNAVAILABLE on the HLS core (no counter; fpgagen_cycles says the same).
 * ERR_WEIGHTS before anything is sent when the RTL core's weights are not loaded. */
#define FPGAGEN_CYCLES_UNAVAILABLE 0xFFFFFFFFu
int fpgagen_run(const fpgagen_dev *dev, const uint8_t *in_buf, uint8_t *out_buf,
                uint32_t *cycles);
/* pack -> run -> unpack. */
int fpgagen_infer(const fpgagen_dev *dev, const int64_t *x, int64_t *logits, uint8_t *in_buf,
                  uint8_t *out_buf, uint32_t *cycles);

#ifdef __cplusplus
}
#endif

#endif /* FPGAGEN_DRIVER_H */
