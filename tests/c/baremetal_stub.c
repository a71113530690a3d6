/* The host side of driver/baremetal/main.c in the tests: the BSP functions it calls
 * (xil_printf, Xil_DCacheFlushRange, Xil_DCacheInvalidateRange: each cache call logged as
 * "flush|invalidate ADDRESS BYTES") and a main() that sets up the simulated core and DMA of
 * fpgagen_sim.c before running the application's main (compiled as fpgagen_app_main with
 * -Dmain=fpgagen_app_main).
 *
 * Environment: FPGAGEN_SIM_GOLDEN, the file of output-stream bytes the simulated core answers
 * with (required); FPGAGEN_SIM_BUILD_ID, the BUILD_ID it reports (default this build's).
 * The core holds the weights unless FPGAGEN_WEIGHTS_REQUIRED. Exit status: the application's,
 * or 2 for a harness error (a simulator error included).
 */
#include "fpgagen_sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "xil_cache.h"
#include "xil_printf.h"

int fpgagen_app_main(void);

void xil_printf(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vprintf(format, ap);
    va_end(ap);
}

void Xil_DCacheFlushRange(INTPTR adr, INTPTR len)
{
    printf("flush 0x%lx %ld\n", (unsigned long)adr, (long)len);
}

void Xil_DCacheInvalidateRange(INTPTR adr, INTPTR len)
{
    printf("invalidate 0x%lx %ld\n", (unsigned long)adr, (long)len);
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long size;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "baremetal_stub: cannot read %s\n", path);
        exit(2);
    }
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "baremetal_stub: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *n = (size_t)size;
    return buf;
}

int main(void)
{
    const char *golden = getenv("FPGAGEN_SIM_GOLDEN");
    const char *build_id = getenv("FPGAGEN_SIM_BUILD_ID");
    int rc;
    if (golden == NULL) {
        fprintf(stderr, "baremetal_stub: set FPGAGEN_SIM_GOLDEN\n");
        return 2;
    }
    sim.golden = read_file(golden, &sim.golden_len);
    sim.build_id = build_id ? (uint32_t)strtoul(build_id, NULL, 0) : FPGAGEN_BUILD_ID;
    sim.wstate = FPGAGEN_WEIGHTS_REQUIRED ? 0u : FPGAGEN_WEIGHTS_LOADED;
    sim.idle = 1;
    sim.mm2s_sr = sim.s2mm_sr = FPGAGEN_DMASR_HALTED;
    rc = fpgagen_app_main();
    printf("exit %d\n", rc);
    return sim.errors ? 2 : rc;
}
