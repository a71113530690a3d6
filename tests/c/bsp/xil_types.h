/* Stub of the Xilinx standalone BSP's xil_types.h for the tests (gcc on the host): the types
 * driver/baremetal/main.c uses. */
#ifndef XIL_TYPES_H
#define XIL_TYPES_H

#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef intptr_t INTPTR;
typedef uintptr_t UINTPTR;

#endif /* XIL_TYPES_H */
