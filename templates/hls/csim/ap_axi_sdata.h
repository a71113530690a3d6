// C-simulation stand-in for Vitis HLS's ap_axi_sdata.h (which the hls4ml package does not
// ship). Only the fields fpgagen uses; Vitis HLS finds its own header first and never reads
// this one (run_hls.tcl does not add this folder).
#ifndef AP_AXI_SDATA_H
#define AP_AXI_SDATA_H
#include "ap_int.h"

template <int D, int U, int TI, int TD> struct ap_axis;
template <int D> struct ap_axis<D, 0, 0, 0> {
  ap_int<D> data;
  ap_uint<(D + 7) / 8> keep;
  ap_uint<(D + 7) / 8> strb;
  ap_uint<1> last;
};


template <int D, int U, int TI, int TD> struct ap_axiu;
template <int D> struct ap_axiu<D, 0, 0, 0> {
  ap_uint<D> data;
  ap_uint<(D + 7) / 8> keep;
  ap_uint<(D + 7) / 8> strb;
  ap_uint<1> last;
};

#endif
