/* Stub of the BSP's xil_cache.h (the Cortex-A53 signatures; the A9's take a u32 length):
 * tests/c/baremetal_stub.c logs each call. */
#ifndef XIL_CACHE_H
#define XIL_CACHE_H

#include "xil_types.h"

void Xil_DCacheFlushRange(INTPTR adr, INTPTR len);
void Xil_DCacheInvalidateRange(INTPTR adr, INTPTR len);

#endif /* XIL_CACHE_H */
