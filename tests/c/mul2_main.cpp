// Exhaustive check of the HLS core's two MACs per DSP (mul2 in a packed build's fpgagen.cpp,
// the C++ of hw/fg_mul2.v): tests/test_hls.py compiles this file against a build's hls/ folder
// (the whole core is included, so its static mul2 is in reach) and runs it.
//
// For every activation x the engine can present (XA_W bits, all but -2^(XA_W-1): one bit wider
// than any activation, fpgagen/engine.py mac_operand_bits) and every pair of weights (w_lo,
// w_hi) of W_W bits: p_lo == x * w_lo and p_hi == x * w_hi, as integers. Prints
// "CHECKED n" and, for the first wrong triple, "MISMATCH x w_lo w_hi p_lo p_hi"; exit 0 when
// every triple is exact, 1 otherwise.
#include <cstdio>

#include "fpgagen.cpp"

int main() {
  const long long xmax = (1LL << (FG_XA_W - 1)) - 1, wmax = (1LL << (FG_W_W - 1)) - 1;
  long long checked = 0, bad = 0;
  for (long long x = -xmax; x <= xmax; x++) {
    for (long long lo = -wmax - 1; lo <= wmax; lo++) {
      for (long long hi = -wmax - 1; hi <= wmax; hi++) {
        mul_t p_lo, p_hi;
        mul2((xa_t)x, (ap_int<FG_W_W>)lo, (ap_int<FG_W_W>)hi, p_lo, p_hi);
        checked++;
        if (p_lo.to_int64() != x * lo || p_hi.to_int64() != x * hi) {
          if (bad++ == 0) {
            std::printf("MISMATCH %lld %lld %lld %lld %lld\n", x, lo, hi,
                        (long long)p_lo.to_int64(), (long long)p_hi.to_int64());
          }
        }
      }
    }
  }
  std::printf("CHECKED %lld\n", checked);
  return bad ? 1 : 0;
}
