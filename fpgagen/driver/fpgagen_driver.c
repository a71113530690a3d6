/* fpgagen bare-metal driver (see fpgagen_driver.h). C99; needs libm for the quantizer.
 *
 * The packing here and fpgagen_driver.py's pack_values / unpack_values / quantize_image
 * produce the same bytes and integers; tests/test_driver.py compiles this file with gcc and
 * compares them byte for byte on a build's vectors.
 */
#include "fpgagen_driver.h"

#include <math.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define FPGAGEN_WEAK __attribute__((weak))
#else
#define FPGAGEN_WEAK /* no weak symbols: define FPGAGEN_NO_DEFAULT_HOOKS and supply them */
#endif

/* --- Pure functions --------------------------------------------------------------------- */

unsigned fpgagen_value_bytes(unsigned width)
{
    unsigned nbytes = 1;
    if (width < 1 || width > 64) {
        return 0;
    }
    while (nbytes * 8 < width) {
        nbytes *= 2;
    }
    return nbytes;
}

/* The range of a width-bit type (width 1..64 signed, 1..63 unsigned). */
static void type_range(unsigned width, int is_signed, int64_t *lo, int64_t *hi)
{
    if (is_signed) {
        *lo = width >= 64 ? INT64_MIN : -(INT64_C(1) << (width - 1));
        *hi = width >= 64 ? INT64_MAX : (INT64_C(1) << (width - 1)) - 1;
    } else {
        *lo = 0;
        *hi = width >= 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << width) - 1);
    }
}

int fpgagen_pack_values(const int64_t *values, size_t count, unsigned width, int is_signed,
                        unsigned tdata_bytes, uint8_t *buf, size_t buf_bytes)
{
    unsigned vb = fpgagen_value_bytes(width);
    size_t payload, whole, i;
    int64_t lo, hi;

    if (vb == 0 || tdata_bytes == 0 || buf == NULL || (values == NULL && count != 0)) {
        return FPGAGEN_ERR_ARG;
    }
    payload = count * vb;
    whole = (payload + tdata_bytes - 1) / tdata_bytes * tdata_bytes;
    if (buf_bytes != whole) {
        return FPGAGEN_ERR_ARG;
    }
    type_range(width, is_signed, &lo, &hi);
    for (i = 0; i < count; i++) {
        uint64_t u = (uint64_t)values[i]; /* two's complement: sign-extended bytes */
        unsigned b;
        if (values[i] < lo || values[i] > hi) {
            return FPGAGEN_ERR_RANGE;
        }
        for (b = 0; b < vb; b++) {
            buf[i * vb + b] = (uint8_t)(u >> (8 * b));
        }
    }
    memset(buf + payload, 0, whole - payload);
    return FPGAGEN_OK;
}

int fpgagen_unpack_values(const uint8_t *buf, size_t buf_bytes, unsigned width, int is_signed,
                          int64_t *values, size_t count)
{
    unsigned vb = fpgagen_value_bytes(width);
    size_t i;

    if (vb == 0 || (buf == NULL && count != 0) || (values == NULL && count != 0)) {
        return FPGAGEN_ERR_ARG;
    }
    if (buf_bytes < count * vb) {
        return FPGAGEN_ERR_ARG;
    }
    for (i = 0; i < count; i++) {
        uint64_t u = 0;
        unsigned b;
        for (b = 0; b < vb; b++) {
            u |= (uint64_t)buf[i * vb + b] << (8 * b);
        }
        if (width < 64) {
            uint64_t mask = (UINT64_C(1) << width) - 1;
            u &= mask;
            if (is_signed) { /* sign-extend from bit width - 1 (no overflow: width <= 63) */
                uint64_t sign = UINT64_C(1) << (width - 1);
                values[i] = (int64_t)(u ^ sign) - (int64_t)sign;
            } else {
                values[i] = (int64_t)u;
            }
        } else {
            memcpy(&values[i], &u, sizeof u); /* the 64-bit pattern as it is */
        }
    }
    return FPGAGEN_OK;
}

int fpgagen_pack_image(const int64_t *x, size_t count, uint8_t *buf, size_t buf_bytes)
{
    if (count != FPGAGEN_IN_VALUES || buf_bytes != FPGAGEN_IN_BUFFER_BYTES) {
        return FPGAGEN_ERR_ARG;
    }
    return fpgagen_pack_values(x, count, FPGAGEN_IN_WIDTH, FPGAGEN_IN_SIGNED,
                               FPGAGEN_TDATA_BYTES, buf, buf_bytes);
}

int fpgagen_unpack_logits(const uint8_t *buf, size_t buf_bytes, int64_t *logits, size_t count)
{
    if (count != FPGAGEN_OUT_VALUES || buf_bytes < FPGAGEN_OUT_PAYLOAD_BYTES) {
        return FPGAGEN_ERR_ARG;
    }
    return fpgagen_unpack_values(buf, buf_bytes, FPGAGEN_OUT_WIDTH, FPGAGEN_OUT_SIGNED, logits,
                                 count);
}

/* Keep the low `width` bits (two's complement for signed types), as AP_WRAP does. */
static int64_t wrap(int64_t v, unsigned width, int is_signed)
{
    uint64_t low, sign;
    if (width >= 64) {
        return v;
    }
    low = (uint64_t)v & ((UINT64_C(1) << width) - 1);
    if (!is_signed) {
        return (int64_t)low;
    }
    sign = UINT64_C(1) << (width - 1);
    return (int64_t)(low ^ sign) - (int64_t)sign;
}

int fpgagen_quantize_mode(const double *x, size_t count, unsigned width, int frac, int is_signed,
                          int rounding, int saturation, int64_t *q)
{
    const double limit = 4611686018427387904.0; /* 2^62: beyond it everything saturates */
    int64_t lo, hi;
    size_t i;

    if (fpgagen_value_bytes(width) == 0 || (!is_signed && width > 63) || q == NULL
        || (x == NULL && count != 0) || rounding < FPGAGEN_AP_RND
        || rounding > FPGAGEN_AP_RND_CONV || (saturation != FPGAGEN_AP_SAT
                                              && saturation != FPGAGEN_AP_WRAP)) {
        return FPGAGEN_ERR_ARG;
    }
    type_range(width, is_signed, &lo, &hi);
    for (i = 0; i < count; i++) {
        double s, r;
        int64_t v;
        if (!isfinite(x[i])) {
            return FPGAGEN_ERR_RANGE;
        }
        s = ldexp(x[i], frac); /* exact: a power-of-two scale */
        if (rounding == FPGAGEN_AP_TRN) {
            r = floor(s);
        } else if (rounding == FPGAGEN_AP_RND) {
            r = floor(s + 0.5);
        } else {
            double f = floor(s), d = s - f; /* d is exact */
            r = (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0.0)) ? f + 1.0 : f;
        }
        r = r < -limit ? -limit : (r > limit ? limit : r);
        v = (int64_t)r;
        if (saturation == FPGAGEN_AP_SAT) {
            q[i] = v < lo ? lo : (v > hi ? hi : v);
        } else {
            q[i] = wrap(v, width, is_signed);
        }
    }
    return FPGAGEN_OK;
}

int fpgagen_quantize_image(const double *x, size_t count, int64_t *q)
{
    if (count != FPGAGEN_IN_VALUES) {
        return FPGAGEN_ERR_ARG;
    }
    return fpgagen_quantize_mode(x, count, FPGAGEN_IN_WIDTH, FPGAGEN_IN_FRAC, FPGAGEN_IN_SIGNED,
                                 FPGAGEN_IN_ROUNDING, FPGAGEN_IN_SATURATION, q);
}

void fpgagen_dequantize_logits(const int64_t *q, size_t count, double *y)
{
    size_t i;
    for (i = 0; i < count; i++) {
        y[i] = ldexp((double)q[i], -(int)FPGAGEN_OUT_FRAC);
    }
}

const char *fpgagen_strerror(int code)
{
    switch (code) {
    case FPGAGEN_OK: return "ok";
    case FPGAGEN_ERR_ARG: return "bad argument: a size, width or alignment that does not fit "
                                 "this build";
    case FPGAGEN_ERR_RANGE: return "a value outside its type, or NaN/infinity to quantize";
    case FPGAGEN_ERR_TIMEOUT: return "timeout: the DMA or the core did not finish";
    case FPGAGEN_ERR_DMA: return "the AXI DMA reported an error or moved the wrong length";
    case FPGAGEN_ERR_FRAME: return "input frame error: the core saw TLAST on the wrong beat "
                                   "(DMA stream width or length does not match this build)";
    case FPGAGEN_ERR_BUILD_ID: return "wrong bitstream: the core's BUILD_ID is not this "
                                      "build's (fpgagen_build.h)";
    case FPGAGEN_ERR_UNAVAILABLE: return "not available on this core (the HLS core has no "
                                         "CYCLES or STATUS register)";
    case FPGAGEN_ERR_BUSY: return "the core is busy: a previous run did not finish";
    case FPGAGEN_ERR_WEIGHTS: return "weights: not loaded (the core refuses to start), a load "
                                     "that failed, or a WEIGHTS_CRC other than the buffer's";
    default: return "unknown fpgagen error";
    }
}

/* --- Hardware hooks ------------------------------------------------------------------------- */

#ifndef FPGAGEN_NO_DEFAULT_HOOKS
FPGAGEN_WEAK uint32_t fpgagen_reg_read(uintptr_t addr)
{
    return *(volatile const uint32_t *)addr;
}

FPGAGEN_WEAK void fpgagen_reg_write(uintptr_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

FPGAGEN_WEAK void fpgagen_cache_flush(const void *addr, size_t bytes)
{
    (void)addr; /* uncached buffers need nothing; Xilinx BSP: Xil_DCacheFlushRange */
    (void)bytes;
}

FPGAGEN_WEAK void fpgagen_cache_invalidate(void *addr, size_t bytes)
{
    (void)addr; /* Xilinx BSP: Xil_DCacheInvalidateRange */
    (void)bytes;
}

FPGAGEN_WEAK uintptr_t fpgagen_phys_addr(const void *addr)
{
    return (uintptr_t)addr; /* bare metal: virtual = physical */
}
#endif

/* --- The core ------------------------------------------------------------------------------- */

static uint32_t core_rd(const fpgagen_dev *dev, uint32_t off)
{
    return fpgagen_reg_read(dev->core_base + off);
}

static void core_wr(const fpgagen_dev *dev, uint32_t off, uint32_t v)
{
    fpgagen_reg_write(dev->core_base + off, v);
}

static uint32_t dma_rd(const fpgagen_dev *dev, uint32_t off)
{
    return fpgagen_reg_read(dev->dma_base + off);
}

static void dma_wr(const fpgagen_dev *dev, uint32_t off, uint32_t v)
{
    fpgagen_reg_write(dev->dma_base + off, v);
}

void fpgagen_init(fpgagen_dev *dev, uintptr_t core_base, uintptr_t dma_base)
{
    dev->core_base = core_base;
    dev->dma_base = dma_base;
    dev->timeout = FPGAGEN_DEFAULT_TIMEOUT;
}

void fpgagen_start(const fpgagen_dev *dev)
{
    core_wr(dev, FPGAGEN_REG_AP_CTRL, FPGAGEN_AP_START);
}

int fpgagen_is_done(const fpgagen_dev *dev)
{
    return (core_rd(dev, FPGAGEN_REG_AP_CTRL) & FPGAGEN_AP_DONE) != 0;
}

int fpgagen_is_idle(const fpgagen_dev *dev)
{
    return (core_rd(dev, FPGAGEN_REG_AP_CTRL) & FPGAGEN_AP_IDLE) != 0;
}

int fpgagen_wait_done(const fpgagen_dev *dev)
{
    uint32_t polls = 0;
    while (!fpgagen_is_done(dev)) {
        if (dev->timeout != 0 && ++polls >= dev->timeout) {
            return FPGAGEN_ERR_TIMEOUT;
        }
    }
    return FPGAGEN_OK;
}

void fpgagen_interrupt_enable(const fpgagen_dev *dev, uint32_t irq_mask)
{
    core_wr(dev, FPGAGEN_REG_IER, irq_mask & (FPGAGEN_IRQ_DONE | FPGAGEN_IRQ_READY));
    core_wr(dev, FPGAGEN_REG_GIE, FPGAGEN_GIE_ENABLE);
}

void fpgagen_interrupt_disable(const fpgagen_dev *dev)
{
    core_wr(dev, FPGAGEN_REG_GIE, 0);
    core_wr(dev, FPGAGEN_REG_IER, 0);
}

uint32_t fpgagen_interrupt_status(const fpgagen_dev *dev)
{
    return core_rd(dev, FPGAGEN_REG_ISR);
}

void fpgagen_interrupt_ack(const fpgagen_dev *dev, uint32_t irq_mask)
{
    /* ISR bits toggle on a write of 1: write only the bits that are set, or they would set */
    uint32_t set = core_rd(dev, FPGAGEN_REG_ISR) & irq_mask;
    if (set != 0) {
        core_wr(dev, FPGAGEN_REG_ISR, set);
    }
}

uint32_t fpgagen_crc32(const uint8_t *data, size_t bytes)
{
    /* reflected CRC-32, polynomial 0xEDB88320, four bits at a time (a 16-entry table) */
    static const uint32_t nibble[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    for (i = 0; i < bytes; i++) {
        c ^= data[i];
        c = (c >> 4) ^ nibble[c & 0x0Fu];
        c = (c >> 4) ^ nibble[c & 0x0Fu];
    }
    return ~c;
}

uint32_t fpgagen_weights_state(const fpgagen_dev *dev)
{
    return core_rd(dev, FPGAGEN_REG_WEIGHTS);
}

uint32_t fpgagen_build_id(const fpgagen_dev *dev)
{
    /* a Vitis HLS core decodes only the address bits of its four registers: its 0x18 aliases
     * IER. IER is cleared around the read (call this while the core is idle: no interrupt
     * event is lost), so an HLS core answers 0. */
    uint32_t ier = core_rd(dev, FPGAGEN_REG_IER);
    uint32_t id;
    core_wr(dev, FPGAGEN_REG_IER, 0);
    id = core_rd(dev, FPGAGEN_REG_BUILD_ID);
    core_wr(dev, FPGAGEN_REG_IER, ier);
    return id;
}

int fpgagen_check_build_id(const fpgagen_dev *dev)
{
    uint32_t id = fpgagen_build_id(dev);
    return (id == 0 || id == FPGAGEN_BUILD_ID) ? FPGAGEN_OK : FPGAGEN_ERR_BUILD_ID;
}

/* A register of the Verilog core only: on the HLS core (BUILD_ID 0) its address reads one of
 * the four block-control registers, so it is not read at all. */
static int rtl_register(const fpgagen_dev *dev, uint32_t off, uint32_t *value)
{
    if (fpgagen_build_id(dev) == 0) {
        return FPGAGEN_ERR_UNAVAILABLE;
    }
    *value = core_rd(dev, off);
    return FPGAGEN_OK;
}

int fpgagen_cycles(const fpgagen_dev *dev, uint32_t *cycles)
{
    return rtl_register(dev, FPGAGEN_REG_CYCLES, cycles);
}

int fpgagen_status(const fpgagen_dev *dev, uint32_t *status)
{
    return rtl_register(dev, FPGAGEN_REG_STATUS, status);
}

/* STATUS's frame-error bit; 0 on the HLS core (it has no STATUS). */
static int frame_error(const fpgagen_dev *dev)
{
    uint32_t status = 0;
    return fpgagen_status(dev, &status) == FPGAGEN_OK
           && (status & FPGAGEN_STATUS_FRAME_ERROR) != 0;
}

/* --- The DMA -------------------------------------------------------------------------------- */

/* Start a channel (DMACR.RS) if it is halted: after reset, or after an error halted it. */
static int dma_run(const fpgagen_dev *dev, uint32_t cr, uint32_t sr)
{
    uint32_t polls = 0;
    if ((dma_rd(dev, sr) & FPGAGEN_DMASR_HALTED) == 0) {
        return FPGAGEN_OK;
    }
    dma_wr(dev, cr, dma_rd(dev, cr) | FPGAGEN_DMACR_RS);
    while (dma_rd(dev, sr) & FPGAGEN_DMASR_HALTED) {
        if (dev->timeout != 0 && ++polls >= dev->timeout) {
            return FPGAGEN_ERR_DMA;
        }
    }
    return FPGAGEN_OK;
}

int fpgagen_dma_reset(const fpgagen_dev *dev)
{
    uint32_t polls = 0;
    dma_wr(dev, FPGAGEN_DMA_MM2S_DMACR, FPGAGEN_DMACR_RESET); /* resets both channels */
    while (dma_rd(dev, FPGAGEN_DMA_MM2S_DMACR) & FPGAGEN_DMACR_RESET) {
        if (dev->timeout != 0 && ++polls >= dev->timeout) {
            return FPGAGEN_ERR_TIMEOUT;
        }
    }
    if (dma_run(dev, FPGAGEN_DMA_MM2S_DMACR, FPGAGEN_DMA_MM2S_DMASR) != FPGAGEN_OK) {
        return FPGAGEN_ERR_DMA;
    }
    return dma_run(dev, FPGAGEN_DMA_S2MM_DMACR, FPGAGEN_DMA_S2MM_DMASR);
}

/* Program one channel: address (the high word on 64-bit hosts), then the length, which
 * starts it. */
static int dma_start(const fpgagen_dev *dev, uint32_t base, uintptr_t phys, uint32_t bytes)
{
    uint32_t sr = base + 0x04u;
    int rc;
    if (bytes == 0) {
        return FPGAGEN_ERR_ARG;
    }
    rc = dma_run(dev, base, sr);
    if (rc != FPGAGEN_OK) {
        return rc;
    }
    if (dma_rd(dev, sr) & FPGAGEN_DMASR_ERRORS) {
        return FPGAGEN_ERR_DMA; /* a previous error halts the channel until a reset */
    }
    dma_wr(dev, sr, FPGAGEN_DMASR_IOC_IRQ | FPGAGEN_DMASR_ERR_IRQ); /* clear old events */
    dma_wr(dev, base + 0x18u, (uint32_t)phys);
#if UINTPTR_MAX > 0xFFFFFFFFu
    dma_wr(dev, base + 0x1Cu, (uint32_t)(phys >> 32));
#endif
    dma_wr(dev, base + 0x28u, bytes);
    return FPGAGEN_OK;
}

int fpgagen_dma_send(const fpgagen_dev *dev, const void *buf, uint32_t bytes)
{
    fpgagen_cache_flush(buf, bytes);
    return dma_start(dev, FPGAGEN_DMA_MM2S_DMACR, fpgagen_phys_addr(buf), bytes);
}

int fpgagen_dma_recv(const fpgagen_dev *dev, void *buf, uint32_t bytes)
{
    /* no dirty line of buf may be written back over what the DMA writes */
    fpgagen_cache_invalidate(buf, bytes);
    return dma_start(dev, FPGAGEN_DMA_S2MM_DMACR, fpgagen_phys_addr(buf), bytes);
}

static int dma_wait(const fpgagen_dev *dev, uint32_t sr)
{
    uint32_t polls = 0;
    for (;;) {
        uint32_t s = dma_rd(dev, sr);
        if (s & FPGAGEN_DMASR_ERRORS) {
            return FPGAGEN_ERR_DMA;
        }
        if (s & FPGAGEN_DMASR_IDLE) {
            return FPGAGEN_OK;
        }
        if (dev->timeout != 0 && ++polls >= dev->timeout) {
            return FPGAGEN_ERR_TIMEOUT;
        }
    }
}

int fpgagen_dma_wait_send(const fpgagen_dev *dev)
{
    return dma_wait(dev, FPGAGEN_DMA_MM2S_DMASR);
}

int fpgagen_dma_wait_recv(const fpgagen_dev *dev, uint32_t *received)
{
    int rc = dma_wait(dev, FPGAGEN_DMA_S2MM_DMASR);
    if (rc == FPGAGEN_OK && received != NULL) {
        *received = dma_rd(dev, FPGAGEN_DMA_S2MM_LENGTH);
    }
    return rc;
}

/* A timeout while the core flags a refused start or a frame error is that error. */
static int run_failed(const fpgagen_dev *dev, int rc)
{
    if (rc == FPGAGEN_ERR_TIMEOUT && fpgagen_build_id(dev) != 0) {
        uint32_t status = 0;
        (void)fpgagen_status(dev, &status);
        if (status & FPGAGEN_STATUS_START_REFUSED) {
            return FPGAGEN_ERR_WEIGHTS;
        }
        if (status & FPGAGEN_STATUS_FRAME_ERROR) {
            return FPGAGEN_ERR_FRAME;
        }
    }
    return rc;
}

int fpgagen_load_weights(const fpgagen_dev *dev, const uint8_t *buf, uint32_t bytes,
                         uint32_t *crc)
{
    uint32_t want, state, polls = 0;
    int rc;

    if (dev == NULL || buf == NULL || bytes != FPGAGEN_WEIGHTS_BYTES
        || fpgagen_phys_addr(buf) % FPGAGEN_TDATA_BYTES != 0) {
        return FPGAGEN_ERR_ARG;
    }
    if (fpgagen_build_id(dev) == 0) {
        return FPGAGEN_ERR_ARG; /* the HLS core: no load mode, its weights are in its bitstream */
    }
    if (!fpgagen_is_idle(dev) || (fpgagen_weights_state(dev) & FPGAGEN_WEIGHTS_BUSY)) {
        return FPGAGEN_ERR_BUSY;
    }
    want = fpgagen_crc32(buf, bytes);
    if (crc != NULL) {
        *crc = want;
    }
    core_wr(dev, FPGAGEN_REG_WEIGHTS, FPGAGEN_WEIGHTS_LOAD);
    rc = fpgagen_dma_send(dev, buf, bytes);
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_dma_wait_send(dev);
    }
    if (rc != FPGAGEN_OK) {
        return rc;
    }
    while ((state = fpgagen_weights_state(dev)) & FPGAGEN_WEIGHTS_BUSY) {
        if (dev->timeout != 0 && ++polls >= dev->timeout) {
            return FPGAGEN_ERR_TIMEOUT;
        }
    }
    if ((state & FPGAGEN_WEIGHTS_ERROR) || !(state & FPGAGEN_WEIGHTS_LOADED)
        || core_rd(dev, FPGAGEN_REG_WEIGHTS_CRC) != want) {
        return FPGAGEN_ERR_WEIGHTS;
    }
    return FPGAGEN_OK;
}

int fpgagen_run(const fpgagen_dev *dev, const uint8_t *in_buf, uint8_t *out_buf,
                uint32_t *cycles)
{
    uint32_t received = 0;
    int rc;

    if (dev == NULL || in_buf == NULL || out_buf == NULL
        || fpgagen_phys_addr(in_buf) % FPGAGEN_TDATA_BYTES != 0
        || fpgagen_phys_addr(out_buf) % FPGAGEN_TDATA_BYTES != 0) {
        return FPGAGEN_ERR_ARG;
    }
    if (!fpgagen_is_idle(dev)) { /* this read also clears a stale ap_done */
        return FPGAGEN_ERR_BUSY;
    }
    if (fpgagen_build_id(dev) != 0) { /* the RTL core: it refuses to start without weights */
        uint32_t w = fpgagen_weights_state(dev);
        if ((w & FPGAGEN_WEIGHTS_BUSY) || !(w & FPGAGEN_WEIGHTS_LOADED)) {
            return FPGAGEN_ERR_WEIGHTS;
        }
    }
    rc = fpgagen_dma_recv(dev, out_buf, FPGAGEN_OUT_BUFFER_BYTES); /* armed first */
    if (rc != FPGAGEN_OK) {
        return rc;
    }
    fpgagen_start(dev);
    rc = fpgagen_dma_send(dev, in_buf, FPGAGEN_IN_BUFFER_BYTES);
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_dma_wait_send(dev);
    }
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_dma_wait_recv(dev, &received);
    }
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_wait_done(dev);
    }
    if (rc != FPGAGEN_OK) {
        return run_failed(dev, rc);
    }
    fpgagen_cache_invalidate(out_buf, FPGAGEN_OUT_BUFFER_BYTES);
    if (frame_error(dev)) {
        return FPGAGEN_ERR_FRAME;
    }
    /* S2MM counts the bytes TKEEP kept: the payload (the core marks the last beat's padding),
     * or whole beats through a width converter that keeps them all */
    if (received != FPGAGEN_OUT_PAYLOAD_BYTES && received != FPGAGEN_OUT_BUFFER_BYTES) {
        return FPGAGEN_ERR_DMA;
    }
    if (cycles != NULL && fpgagen_cycles(dev, cycles) != FPGAGEN_OK) {
        *cycles = FPGAGEN_CYCLES_UNAVAILABLE;
    }
    return FPGAGEN_OK;
}

int fpgagen_infer(const fpgagen_dev *dev, const int64_t *x, int64_t *logits, uint8_t *in_buf,
                  uint8_t *out_buf, uint32_t *cycles)
{
    int rc = fpgagen_pack_image(x, FPGAGEN_IN_VALUES, in_buf, FPGAGEN_IN_BUFFER_BYTES);
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_run(dev, in_buf, out_buf, cycles);
    }
    if (rc == FPGAGEN_OK) {
        rc = fpgagen_unpack_logits(out_buf, FPGAGEN_OUT_BUFFER_BYTES, logits, FPGAGEN_OUT_VALUES);
    }
    return rc;
}
