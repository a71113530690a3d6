/* Stub of the BSP's xil_printf.h: tests/c/baremetal_stub.c prints with vprintf. */
#ifndef XIL_PRINTF_H
#define XIL_PRINTF_H

void xil_printf(const char *format, ...);

#endif /* XIL_PRINTF_H */
