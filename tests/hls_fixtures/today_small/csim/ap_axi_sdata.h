// C-simulation stand-in for Vitis HLS's ap_axi_sdata.h (the hls4ml package ships ap_int.h and
// hls_stream.h but no ap_axi_sdata.h). Vitis HLS finds its own header first and never reads this
// one (run_hls.tcl does not add this folder).
//
// It declares hls::axis with the template parameters of Vitis HLS 2022.2 and newer:
//   hls::axis<T, WUser, WId, WDest, EnableSignals, StrictEnablement>
// and the same rule for which side channels exist: TDATA for a non-void T, TUSER / TID / TDEST
// when their width is non-zero, TKEEP / TSTRB / TLAST when their AXIS_ENABLE_* bit is set. A
// disabled channel is a member of the empty type axis_disabled_signal, as in Vitis, so code that
// writes a channel the type does not have (say beat.strb = -1 on a KEEP|LAST stream) fails to
// compile here as it would under Vitis. Only ap_int / ap_uint TDATA is supported.
#ifndef AP_AXI_SDATA_H
#define AP_AXI_SDATA_H
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ap_int.h"

#define AXIS_ENABLE_DATA 0b00000001
#define AXIS_ENABLE_DEST 0b00000010
#define AXIS_ENABLE_ID 0b00000100
#define AXIS_ENABLE_KEEP 0b00001000
#define AXIS_ENABLE_LAST 0b00010000
#define AXIS_ENABLE_STRB 0b00100000
#define AXIS_ENABLE_USER 0b01000000
#define AXIS_ENABLE_ALL 0b01111111

namespace hls {

template <typename T> struct axis_bits;  // TDATA width: defined for ap_int / ap_uint only
template <int W> struct axis_bits<ap_int<W>> { static const std::size_t value = W; };
template <int W> struct axis_bits<ap_uint<W>> { static const std::size_t value = W; };

struct axis_disabled_signal {};

template <typename T, std::size_t WUser = 0, std::size_t WId = 0, std::size_t WDest = 0,
          uint8_t EnableSignals = (AXIS_ENABLE_KEEP | AXIS_ENABLE_LAST | AXIS_ENABLE_STRB),
          bool StrictEnablement = false>
struct axis {
  static_assert((EnableSignals & 0x80) == 0, "EnableSignals: only the low 7 bits exist");
  static const bool has_keep = (EnableSignals & AXIS_ENABLE_KEEP) != 0;
  static const bool has_strb = (EnableSignals & AXIS_ENABLE_STRB) != 0;
  static const bool has_last = (EnableSignals & AXIS_ENABLE_LAST) != 0;
  static const std::size_t bytes = (axis_bits<T>::value + 7) / 8;

  template <bool On, typename U>
  using channel = typename std::conditional<On, U, axis_disabled_signal>::type;

  T data;
  channel<has_keep, ap_uint<bytes>> keep;
  channel<has_strb, ap_uint<bytes>> strb;
  channel<(WUser > 0), ap_uint<(WUser > 0 ? WUser : 1)>> user;
  channel<has_last, ap_uint<1>> last;
  channel<(WId > 0), ap_uint<(WId > 0 ? WId : 1)>> id;
  channel<(WDest > 0), ap_uint<(WDest > 0 ? WDest : 1)>> dest;
};

}  // namespace hls

template <std::size_t WData, std::size_t WUser, std::size_t WId, std::size_t WDest,
          uint8_t EnableSignals = (AXIS_ENABLE_KEEP | AXIS_ENABLE_LAST | AXIS_ENABLE_STRB),
          bool StrictEnablement = false>
using ap_axis = hls::axis<ap_int<WData>, WUser, WId, WDest, EnableSignals, StrictEnablement>;

template <std::size_t WData, std::size_t WUser, std::size_t WId, std::size_t WDest,
          uint8_t EnableSignals = (AXIS_ENABLE_KEEP | AXIS_ENABLE_LAST | AXIS_ENABLE_STRB),
          bool StrictEnablement = false>
using ap_axiu = hls::axis<ap_uint<WData>, WUser, WId, WDest, EnableSignals, StrictEnablement>;

#endif
