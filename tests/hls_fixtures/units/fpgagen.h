// Hand-written fixture for tests/test_hls_gates.py: the header of a core that follows the
// contract of the HLS gates (fpgagen/hls/memories.py, fpgagen/hls/instances.py).
#ifndef FPGAGEN_H
#define FPGAGEN_H

#include <stdint.h>

#include "ap_int.h"
#include "hls_stream.h"

#ifdef __SYNTHESIS__
#define FG_PRAGMA(x) _Pragma(#x)
#else
#define FG_PRAGMA(x)
#endif

#define FG_P_IN 4
#define FG_P_OUT 4

typedef ap_uint<8> act_raw_t;
typedef ap_int<9> act_t;
typedef ap_uint<8> in_t;
typedef ap_int<24> acc_t;
// ROM elements: plain integers in both branches (an ap_int initializer is class objects)
typedef int8_t wrom_t;
typedef int16_t brom_t;

struct layer_t {
  int op, n, w_base, b_base;
};

void fpgagen_top(hls::stream<ap_uint<32> > &in_stream, hls::stream<ap_uint<32> > &out_stream);

#endif
