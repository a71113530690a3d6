/* fpgagen bare-metal application: one inference of the build's test image on the board.
 *
 * A Vitis standalone (BSP) application for Zynq-7000 (Cortex-A9) and Zynq UltraScale+
 * (Cortex-A53), built from this folder (README.md): it finds the core and the AXI DMA in the
 * BSP's xparameters.h (the block design's cells fpgagen_0 and axi_dma_0), checks BUILD_ID,
 * loads the embedded weights.bin first when the bitstream holds no weights, runs the embedded
 * test image, prints the top-5 classes and the CYCLES register over the UART (xil_printf) and
 * compares every logit with the golden model's: "PASS" (exit 0) or "FAIL" (exit 1).
 *
 * The standalone BSP runs with the data cache on, and the DMA reads and writes DDR behind it:
 * this file overrides the C driver's weak cache hooks with Xil_DCacheFlushRange (before the DMA
 * reads a buffer) and Xil_DCacheInvalidateRange (before the CPU reads what the DMA wrote).
 * Without them the driver's default hooks do nothing and the logits read back are stale.
 *
 * fpgagen_app_data.h (written by fpgagen build) holds the test image's integers, the golden
 * logits, the class names and, for a build whose bitstream holds no weights, weights.bin.
 * Base addresses: FPGAGEN_CORE_BASEADDR / FPGAGEN_DMA_BASEADDR when defined (-D, e.g. for
 * another block design's cell names), else the xparameters.h names below. C99.
 */
#include <stddef.h>
#include <stdint.h>

#include "xil_cache.h"
#include "xil_printf.h"
#include "xil_types.h"
#include "xparameters.h"

#include "fpgagen_app_data.h"
#include "fpgagen_driver.h"

/* The core's s_axi_control: XPAR_<cell>_S_AXI_CONTROL_BASEADDR (a packaged or HLS IP's
 * interface name), or XPAR_<cell>_BASEADDR (system-device-tree BSPs). */
#ifndef FPGAGEN_CORE_BASEADDR
#if defined(XPAR_FPGAGEN_0_S_AXI_CONTROL_BASEADDR)
#define FPGAGEN_CORE_BASEADDR XPAR_FPGAGEN_0_S_AXI_CONTROL_BASEADDR
#elif defined(XPAR_FPGAGEN_0_BASEADDR)
#define FPGAGEN_CORE_BASEADDR XPAR_FPGAGEN_0_BASEADDR
#else
#error "xparameters.h names no fpgagen_0 base address: define FPGAGEN_CORE_BASEADDR"
#endif
#endif

/* The AXI DMA's S_AXI_LITE. */
#ifndef FPGAGEN_DMA_BASEADDR
#if defined(XPAR_AXI_DMA_0_BASEADDR)
#define FPGAGEN_DMA_BASEADDR XPAR_AXI_DMA_0_BASEADDR
#elif defined(XPAR_AXIDMA_0_BASEADDR)
#define FPGAGEN_DMA_BASEADDR XPAR_AXIDMA_0_BASEADDR
#else
#error "xparameters.h names no axi_dma_0 base address: define FPGAGEN_DMA_BASEADDR"
#endif
#endif

#define FPGAGEN_APP_TOP 5
/* one cache line of the Cortex-A53 (64 bytes; the A9's 32 divides it) */
#define FPGAGEN_APP_ALIGN 64

/* --- The driver's cache hooks, on the BSP's cache maintenance ------------------------------ */

void fpgagen_cache_flush(const void *addr, size_t bytes)
{
    Xil_DCacheFlushRange((INTPTR)addr, bytes);
}

void fpgagen_cache_invalidate(void *addr, size_t bytes)
{
    Xil_DCacheInvalidateRange((INTPTR)addr, bytes);
}

/* --- Printing: xil_printf has no 64-bit or floating-point conversions ---------------------- */

/* v in decimal into buf (at least 21 bytes); returns buf. */
static char *format_i64(int64_t v, char *buf)
{
    char tmp[21];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, i = 0;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10u));
        u /= 10u;
    } while (u != 0u);
    if (v < 0) {
        buf[i++] = '-';
    }
    while (n > 0) {
        buf[i++] = tmp[--n];
    }
    buf[i] = '\0';
    return buf;
}

/* A logit's value q * 2^-FPGAGEN_OUT_FRAC, to three decimals (rounded half away from zero). */
static char *format_logit(int64_t q, char *buf)
{
    char digits[21];
    int64_t mag = q < 0 ? -q : q, milli;
    int frac = (int)FPGAGEN_OUT_FRAC;
    size_t i = 0;
    const char *p;
    if (frac >= 0) {
        milli = (int64_t)(((uint64_t)mag * 1000u + ((uint64_t)1 << frac >> 1)) >> frac);
    } else {
        milli = mag * 1000 * ((int64_t)1 << -frac);
    }
    if (q < 0 && milli != 0) {
        buf[i++] = '-';
    }
    for (p = format_i64(milli / 1000, digits); *p != '\0'; p++) {
        buf[i++] = *p;
    }
    buf[i++] = '.';
    buf[i++] = (char)('0' + (int)(milli / 100 % 10));
    buf[i++] = (char)('0' + (int)(milli / 10 % 10));
    buf[i++] = (char)('0' + (int)(milli % 10));
    buf[i] = '\0';
    return buf;
}

/* The indices of the `k` largest logits, largest first; ties to the lower index (numpy's
 * stable argsort of -logits, as fpgagen run prints them). */
static void top_k(const int64_t *logits, size_t count, size_t *best, size_t k)
{
    size_t i, j, n = 0;
    for (i = 0; i < count; i++) {
        for (j = n; j > 0 && logits[best[j - 1]] < logits[i]; j--) {
            if (j < k) {
                best[j] = best[j - 1];
            }
        }
        if (j < k) {
            best[j] = i;
            if (n < k) {
                n++;
            }
        }
    }
}

static void print_top(const int64_t *logits)
{
    size_t best[FPGAGEN_APP_TOP], k = FPGAGEN_OUT_VALUES < FPGAGEN_APP_TOP
                                          ? FPGAGEN_OUT_VALUES : FPGAGEN_APP_TOP;
    size_t i;
    char value[32], raw[24];
    top_k(logits, FPGAGEN_OUT_VALUES, best, k);
    xil_printf("top-%d:\r\n", (int)k);
    for (i = 0; i < k; i++) {
        const char *name = fpgagen_app_class_name(best[i]);
        xil_printf("  %d. class %d%s%s: logit %s (integer %s)\r\n", (int)(i + 1), (int)best[i],
                   *name ? " " : "", name, format_logit(logits[best[i]], value),
                   format_i64(logits[best[i]], raw));
    }
}

static void print_cycles(const fpgagen_dev *dev)
{
    uint32_t cycles = 0;
    char n[24], us[24];
    if (fpgagen_cycles(dev, &cycles) != FPGAGEN_OK) {
        xil_printf("cycles: unavailable (the Vitis HLS core has no CYCLES register)\r\n");
        return;
    }
    xil_printf("cycles: %s (%s us at %d MHz, the core's clock cycles start -> done)\r\n",
               format_i64((int64_t)cycles, n),
               format_i64((int64_t)((uint64_t)cycles * 1000000u / FPGAGEN_CLOCK_HZ), us),
               (int)(FPGAGEN_CLOCK_HZ / 1000000u));
}

/* Every logit against the golden model's: the number that differ (0 = bit-exact). */
static size_t compare(const int64_t *logits)
{
    size_t i, wrong = 0;
    char got[24], want[24];
    for (i = 0; i < FPGAGEN_OUT_VALUES; i++) {
        if (logits[i] != fpgagen_app_golden[i]) {
            if (wrong == 0) {
                xil_printf("first difference: logit %d is %s, the golden model's %s\r\n",
                           (int)i, format_i64(logits[i], got),
                           format_i64(fpgagen_app_golden[i], want));
            }
            wrong++;
        }
    }
    return wrong;
}

static int fail(const char *what, int rc)
{
    xil_printf("FAIL: %s: %s (%d)\r\n", what, fpgagen_strerror(rc), rc);
    return 1;
}

int main(void)
{
    static int64_t logits[FPGAGEN_OUT_VALUES];
    static uint8_t in_buf[FPGAGEN_IN_BUFFER_BYTES] __attribute__((aligned(FPGAGEN_APP_ALIGN)));
    static uint8_t out_buf[FPGAGEN_OUT_BUFFER_BYTES] __attribute__((aligned(FPGAGEN_APP_ALIGN)));
    fpgagen_dev dev;
    uint32_t cycles = 0;
    size_t wrong;
    int rc;

    xil_printf("\r\nfpgagen: %s on %s, build 0x%08x, core 0x%08x, DMA 0x%08x\r\n",
               FPGAGEN_MODEL, FPGAGEN_BOARD, (unsigned)FPGAGEN_BUILD_ID,
               (unsigned)FPGAGEN_CORE_BASEADDR, (unsigned)FPGAGEN_DMA_BASEADDR);
    if (FPGAGEN_APP_NOTE[0] != '\0') {
        xil_printf("note: %s\r\n", FPGAGEN_APP_NOTE);
    }
    fpgagen_init(&dev, (uintptr_t)FPGAGEN_CORE_BASEADDR, (uintptr_t)FPGAGEN_DMA_BASEADDR);
    rc = fpgagen_check_build_id(&dev);
    if (rc != FPGAGEN_OK) {
        xil_printf("the core reports build 0x%08x\r\n", (unsigned)fpgagen_build_id(&dev));
        return fail("wrong bitstream", rc);
    }
    rc = fpgagen_dma_reset(&dev);
    if (rc != FPGAGEN_OK) {
        return fail("AXI DMA reset", rc);
    }
#if FPGAGEN_WEIGHTS_REQUIRED
    {
        uint32_t crc = 0;
        rc = fpgagen_load_weights(&dev, fpgagen_app_weights, FPGAGEN_WEIGHTS_BYTES, &crc);
        if (rc != FPGAGEN_OK) {
            return fail("loading weights.bin", rc);
        }
        xil_printf("weights: %d bytes loaded, CRC-32 0x%08x\r\n", (int)FPGAGEN_WEIGHTS_BYTES,
                   (unsigned)crc);
    }
#endif
    rc = fpgagen_infer(&dev, fpgagen_app_image, logits, in_buf, out_buf, &cycles);
    if (rc != FPGAGEN_OK) {
        return fail("inference", rc);
    }
    print_top(logits);
    print_cycles(&dev);
    wrong = compare(logits);
    if (wrong != 0) {
        xil_printf("FAIL: %d of %d logits differ from the golden model's\r\n", (int)wrong,
                   (int)FPGAGEN_OUT_VALUES);
        return 1;
    }
    xil_printf("PASS: %d logits bit-exact with the golden model's\r\n",
               (int)FPGAGEN_OUT_VALUES);
    return 0;
}
