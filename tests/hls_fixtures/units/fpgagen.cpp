// Hand-written fixture for tests/test_hls_gates.py (see ../README.md). Memories, as Vitis
// would build them:
//   arena  [64][4] x 8b, lanes reshaped            -> 1 RAM of 32 x 64
//   stage  [16][2][3] x 8b, banks partitioned,
//          channels reshaped                        -> 2 RAMs of 24 x 16
//   WMEM   [10][4][4] x 8b, both lane dims reshaped -> 1 ROM of 128 x 10
//   BMEM   [3][4] x 16b, lanes reshaped, LUTRAM     -> 1 ROM of 64 x 3, no block RAM
//   LAYERS [2] of layer_t                           -> a table, not counted
#include "fpgagen.h"

static act_raw_t arena[64][FG_P_IN];
static in_t stage[16][2][3];
static const wrom_t WMEM[10][FG_P_OUT][FG_P_IN] = {
    {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}},
};
static const brom_t BMEM[3][FG_P_OUT] = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}};
static const layer_t LAYERS[2] = {{0, 9, 0, 0}, {1, 16, 0, 0}};

// The conv engine: the only function that multiplies; one instance.
static void conv_engine(const layer_t &L) {
FG_PRAGMA(HLS INLINE off)
  acc_t acc[FG_P_OUT];
FG_PRAGMA(HLS ARRAY_PARTITION variable=acc type=complete)
  for (int o = 0; o < FG_P_OUT; o++) {
FG_PRAGMA(HLS UNROLL)
    acc[o] = BMEM[L.b_base][o];
  }
conv_mac:
  for (int t = 0; t < L.n; t++) {
FG_PRAGMA(HLS PIPELINE II=1)
    for (int o = 0; o < FG_P_OUT; o++) {
FG_PRAGMA(HLS UNROLL)
      for (int i = 0; i < FG_P_IN; i++) {
FG_PRAGMA(HLS UNROLL)
        act_t a = stage[t][i & 1][i % 3];
        acc[o] += a * (ap_int<8>)WMEM[L.w_base + t][o][i];
      }
    }
  }
  for (int o = 0; o < FG_P_OUT; o++) {
FG_PRAGMA(HLS UNROLL)
    arena[o][o] = (act_raw_t)acc[o];
  }
}

// The pool unit: adds and compares only.
static void pool_unit(const layer_t &L) {
FG_PRAGMA(HLS INLINE off)
pool_px:
  for (int p = 1; p < L.n; p++) {
FG_PRAGMA(HLS PIPELINE II=1)
    for (int i = 0; i < FG_P_IN; i++) {
FG_PRAGMA(HLS UNROLL)
      if (arena[p][i] > arena[0][i]) arena[0][i] = arena[p][i];
    }
  }
}

void fpgagen_top(hls::stream<ap_uint<32> > &in_stream, hls::stream<ap_uint<32> > &out_stream) {
FG_PRAGMA(HLS INTERFACE mode=s_axilite port=return bundle=control)
FG_PRAGMA(HLS INTERFACE mode=axis port=in_stream)
FG_PRAGMA(HLS INTERFACE mode=axis port=out_stream)
FG_PRAGMA(HLS ARRAY_RESHAPE variable=arena type=complete dim=2)
FG_PRAGMA(HLS ARRAY_PARTITION variable=stage type=complete dim=2)
FG_PRAGMA(HLS ARRAY_RESHAPE variable=stage type=complete dim=3)
FG_PRAGMA(HLS ARRAY_RESHAPE variable=WMEM type=complete dim=2)
FG_PRAGMA(HLS ARRAY_RESHAPE variable=WMEM type=complete dim=3)
FG_PRAGMA(HLS ARRAY_RESHAPE variable=BMEM type=complete dim=2)
FG_PRAGMA(HLS BIND_STORAGE variable=arena type=ram_s2p impl=bram)
FG_PRAGMA(HLS BIND_STORAGE variable=stage type=ram_s2p impl=bram)
FG_PRAGMA(HLS BIND_STORAGE variable=WMEM type=rom_1p impl=bram)
FG_PRAGMA(HLS BIND_STORAGE variable=BMEM type=rom_1p impl=lutram)
load:
  for (int p = 0; p < 16; p++) {
FG_PRAGMA(HLS PIPELINE II=1)
    ap_uint<32> v = in_stream.read();
    for (int c = 0; c < 3; c++) {
FG_PRAGMA(HLS UNROLL)
      stage[p][p & 1][c] = v.range(8 * c + 7, 8 * c);
    }
  }
layers:
  for (int e = 0; e < 2; e++) {
    const layer_t &L = LAYERS[e];
    if (L.op == 0) {
      conv_engine(L);
    } else {
      pool_unit(L);
    }
  }
  // SECOND SITE
  out_stream.write((ap_uint<32>)arena[0][0]);
}
