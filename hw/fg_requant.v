/*

fpgagen: requantize LANES lanes (ReLU, round_shift, clamp, saturate/wrap), docs/design.md §2
(Fixed point)

    r = round_shift( relu?(acc), shift )                   per lane
    y = clip ? min(max(r, clip_lo), clip_hi) : sat_or_wrap(r)

    relu:                  negative accumulators become 0 first (ReLU on the exact sum, as
                           the golden model and the HLS engine do)
    round_shift(v, s), s > 0:  AP_TRN      floor(v / 2^s)
                               AP_RND      floor((v + 2^(s-1)) / 2^s)   (half toward +inf)
                               AP_RND_CONV half to even
                      s <= 0:  exact left shift by -s (needs MAX_LSHIFT >= -s)
    sat:                   AP_SAT clamps to the output range, AP_WRAP keeps the low
                           out_width bits
    clip:                  a fused Clip/ReLU6: r clamped to [clip_lo, clip_hi], bounds the
                           table gives inside the output range (so nothing saturates or wraps;
                           the golden model's requantize_clipped)

The output is out_width bits wide, sign- (signed) or zero- (unsigned) extended to OUT_W. The
configuration is sampled with each beat and travels down the pipeline beside it (one copy for
all lanes), so it may change from one beat to the next.

Pipeline, six register stages, none holding more than one carry chain or a few LUT levels
(the barrel shifter is split in two, the masks and bounds are decoded from the shift and the
width instead of subtracted):

    S1  x = relu?(acc) << MAX_LSHIFT; t = clamp(shift + MAX_LSHIFT)
    S2  coarse shift (t rounded down to 8); masks of the half bit and the bits below it;
        output bounds decoded from the width
    S3  fine shift (t mod 8); half = |(x & half mask), sticky = |(x & below mask)
    S4  r = q + round_up
    S5  r compared with the bounds (the range's and the clip's); low bits for wrap
    S6  select (clip, clamp or wrap)

Latency 6 cycles, II = 1, no stalls. Inputs should come straight from registers.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_requant #
(
    // parallel lanes sharing one configuration, >= 1
    parameter LANES = 1,
    // width of each signed input accumulator, 2..128
    parameter ACC_W = 32,
    // widest output; the runtime cfg_out_width selects 1..OUT_W (2..64)
    parameter OUT_W = 8,
    // largest exact left shift supported (cfg_shift >= -MAX_LSHIFT), 0..32;
    // each step adds one bit to the datapath, 0 costs nothing
    parameter MAX_LSHIFT = 0
)
(
    input  wire                    clk,
    input  wire                    rst,

    /*
     * Configuration, sampled with each input beat
     */
    input  wire signed [6:0]       cfg_shift,      // s > 0: right shift, s <= 0: left by -s
    input  wire [1:0]              cfg_rnd,        // 0 AP_TRN, 1 AP_RND, 2 AP_RND_CONV, 3 = AP_TRN
    input  wire                    cfg_sat,        // 1 AP_SAT (clamp), 0 AP_WRAP (keep low bits)
    input  wire                    cfg_out_signed, // output type signed (1) or unsigned (0)
    input  wire [6:0]              cfg_out_width,  // output width 1..OUT_W (0 or > OUT_W: OUT_W)
    input  wire                    cfg_relu,       // clamp negative accumulators to 0 first
    input  wire                    cfg_clip,       // clamp r to [cfg_clip_lo, cfg_clip_hi]
    input  wire [OUT_W:0]          cfg_clip_lo,    // signed, inside the output range
    input  wire [OUT_W:0]          cfg_clip_hi,    // (OUT_W + 1 bits: an unsigned max fits)

    /*
     * Input
     */
    input  wire                    in_valid,
    input  wire [LANES*ACC_W-1:0]  in_acc,         // signed accumulators

    /*
     * Output (6 cycles after the input)
     */
    output wire                    out_valid,
    output wire [LANES*OUT_W-1:0]  out_data
);

// x = acc * 2^MAX_LSHIFT, sign-extended with room for the +1 of rounding
localparam XW = ACC_W + MAX_LSHIFT + 2;
// width in which the rounded value and the output bounds are compared
localparam CW = ((XW > OUT_W + 1) ? XW : OUT_W + 1) + 1;
// shifting right by more than TMAX gives the same result as TMAX (floor/round of |x| < 2^(TMAX-1))
localparam TMAX = ACC_W + MAX_LSHIFT + 1;
// the shift amount, split into a coarse part (multiples of 8) and a fine part
localparam TW = 9;

// check configuration
initial begin
    if (LANES < 1) begin
        $error("Error: LANES must be >= 1 (instance %m)");
        $finish;
    end
    if (ACC_W < 2 || ACC_W > 128) begin
        $error("Error: ACC_W must be 2..128 (instance %m)");
        $finish;
    end
    if (OUT_W < 2 || OUT_W > 64) begin
        $error("Error: OUT_W must be 2..64 (instance %m)");
        $finish;
    end
    if (MAX_LSHIFT < 0 || MAX_LSHIFT > 32) begin
        $error("Error: MAX_LSHIFT must be 0..32 (instance %m)");
        $finish;
    end
end

/*
 * Shared configuration pipeline (one copy for all lanes)
 *   S1  t = clamp(s + MAX_LSHIFT, 0, TMAX); the width clamped to 1..OUT_W
 *   S2  masks decoded from t: bit t-1 (the half bit) and the bits below it; the output bounds
 *       decoded from the width w: low_mask = bits below w, pow_w1 = bit w-1,
 *       half_range = bits below w-1
 *   S3  bounds: signed max = half_range, min = ~half_range (= -2^(w-1));
 *       unsigned max = low_mask, min = 0
 */
wire signed [8:0] shift_ext = {{2{cfg_shift[6]}}, cfg_shift};
wire signed [8:0] lsh_const = MAX_LSHIFT[8:0];
wire signed [8:0] tmax_const = TMAX[8:0];
wire signed [8:0] t_raw = shift_ext + lsh_const;
wire [6:0] w_clamped = (cfg_out_width == 7'd0 || cfg_out_width > OUT_W[6:0]) ? OUT_W[6:0]
                                                                             : cfg_out_width;

reg          s1_valid, s2_valid, s3_valid, s4_valid, s5_valid, s6_valid;
reg [TW-1:0] s1_t;
reg [2:0]    s2_tf;
reg [1:0]    s1_rnd, s2_rnd, s3_rnd;
reg          s1_sat, s2_sat, s3_sat, s4_sat, s5_sat;
reg          s1_signed, s2_signed, s3_signed, s4_signed;
reg [6:0]    s1_width;
reg [CW-1:0] s2_low_mask, s2_pow_w1, s2_half_range;
reg [CW-1:0] s3_max, s3_min, s3_low_mask, s3_pow_w1;
reg [CW-1:0] s4_max, s4_min, s4_low_mask, s4_pow_w1;
reg [CW-1:0] s5_max, s5_min, s5_low_mask;
// the clip and its bounds, sign-extended to CW, travel beside the beat like the rest
reg          s1_clip, s2_clip, s3_clip, s4_clip, s5_clip;
reg [CW-1:0] s1_clo, s2_clo, s3_clo, s4_clo, s5_clo;
reg [CW-1:0] s1_chi, s2_chi, s3_chi, s4_chi, s5_chi;

// the S1 values as 32-bit numbers, to decode them against bit positions
wire [31:0] s1_t32 = {{(32-TW){1'b0}}, s1_t};
wire [31:0] s1_w32 = {25'd0, s1_width};

integer b;
always @(posedge clk) begin
    // S1
    s1_valid <= in_valid;
    s1_t <= t_raw[8] ? {TW{1'b0}} : (t_raw > tmax_const ? tmax_const[TW-1:0] : t_raw[TW-1:0]);
    s1_rnd <= cfg_rnd;
    s1_sat <= cfg_sat;
    s1_signed <= cfg_out_signed;
    s1_width <= w_clamped;
    s1_clip <= cfg_clip;
    s1_clo <= {{(CW-OUT_W-1){cfg_clip_lo[OUT_W]}}, cfg_clip_lo};
    s1_chi <= {{(CW-OUT_W-1){cfg_clip_hi[OUT_W]}}, cfg_clip_hi};
    s2_clip <= s1_clip;
    s2_clo <= s1_clo;
    s2_chi <= s1_chi;
    s3_clip <= s2_clip;
    s3_clo <= s2_clo;
    s3_chi <= s2_chi;
    s4_clip <= s3_clip;
    s4_clo <= s3_clo;
    s4_chi <= s3_chi;
    s5_clip <= s4_clip;
    s5_clo <= s4_clo;
    s5_chi <= s4_chi;
    // S2
    s2_valid <= s1_valid;
    s2_tf <= s1_t[2:0];
    s2_rnd <= s1_rnd;
    s2_sat <= s1_sat;
    s2_signed <= s1_signed;
    for (b = 0; b < CW; b = b + 1) begin
        s2_low_mask[b] <= (b < s1_w32);
        s2_pow_w1[b] <= (b + 1 == s1_w32);
        s2_half_range[b] <= (b + 1 < s1_w32);
    end
    // S3
    s3_valid <= s2_valid;
    s3_rnd <= s2_rnd;
    s3_sat <= s2_sat;
    s3_signed <= s2_signed;
    s3_max <= s2_signed ? s2_half_range : s2_low_mask;
    s3_min <= s2_signed ? ~s2_half_range : {CW{1'b0}};
    s3_low_mask <= s2_low_mask;
    s3_pow_w1 <= s2_pow_w1;
    // S4
    s4_valid <= s3_valid;
    s4_sat <= s3_sat;
    s4_signed <= s3_signed;
    s4_max <= s3_max;
    s4_min <= s3_min;
    s4_low_mask <= s3_low_mask;
    s4_pow_w1 <= s3_pow_w1;
    // S5
    s5_valid <= s4_valid;
    s5_sat <= s4_sat;
    s5_max <= s4_max;
    s5_min <= s4_min;
    s5_low_mask <= s4_low_mask;
    // S6
    s6_valid <= s5_valid;
    if (rst) begin
        s1_valid <= 1'b0;
        s2_valid <= 1'b0;
        s3_valid <= 1'b0;
        s4_valid <= 1'b0;
        s5_valid <= 1'b0;
        s6_valid <= 1'b0;
    end
end

/*
 * Lanes
 */
genvar gl;
generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
        wire [ACC_W-1:0] acc = in_acc[gl*ACC_W +: ACC_W];

        // S1: ReLU on the accumulator, then x = acc * 2^MAX_LSHIFT
        reg [XW-1:0] s1_x;
        always @(posedge clk) begin
            if (cfg_relu && acc[ACC_W-1]) begin
                s1_x <= {XW{1'b0}};
            end else begin
                s1_x <= {{(XW-ACC_W){acc[ACC_W-1]}}, acc} << MAX_LSHIFT;
            end
        end

        // S2: coarse arithmetic shift right by t rounded down to a multiple of 8
        reg [XW-1:0] s2_x, s2_qc;
        always @(posedge clk) begin
            s2_x <= s1_x;
            s2_qc <= $signed(s1_x) >>> {s1_t[TW-1:3], 3'b000};
        end

        // S3: fine shift by t mod 8; the half bit and the sticky bits below it
        // The half and sticky masks are registered again in every lane: one shared copy fans
        // out to every lane's AND-OR tree and its routing was the critical path. Each copy
        // has its own initial value (the lane index; the masks are written every cycle, so it
        // is never read), which keeps synthesis from merging the copies back into one.
        reg [XW-1:0] l_hmask, l_smask;
        initial begin
            l_hmask = gl;
            l_smask = gl;
        end
        integer lb;
        always @(posedge clk) begin
            for (lb = 0; lb < XW; lb = lb + 1) begin
                l_hmask[lb] <= (lb + 1 == s1_t32);
                l_smask[lb] <= (lb + 1 < s1_t32);
            end
        end
        reg [XW-1:0] s3_q;
        reg          s3_half, s3_sticky;
        always @(posedge clk) begin
            s3_q <= $signed(s2_qc) >>> s2_tf;
            s3_half <= |(s2_x & l_hmask);
            s3_sticky <= |(s2_x & l_smask);
        end

        // S4: r = q + round_up (cannot overflow XW bits: |x| < 2^(XW-2))
        wire round_up = (s3_rnd == 2'd1) ? s3_half :                           // AP_RND
                        (s3_rnd == 2'd2) ? (s3_half && (s3_sticky || s3_q[0])) : // AP_RND_CONV
                        1'b0;                                                   // AP_TRN
        wire [XW-1:0] r = s3_q + {{(XW-1){1'b0}}, round_up};
        reg [CW-1:0] s4_r;
        always @(posedge clk) begin
            s4_r <= {{(CW-XW){r[XW-1]}}, r};
        end

        // S5: compare with the bounds; the low bits and their sign for AP_WRAP. The bounds
        // are 2^k - 1 and -2^k (signed, k = w - 1) or 2^w - 1 and 0 (unsigned), so no
        // magnitude comparator is needed: with hi = ~max (the bits at and above k, or w),
        // r > max iff r >= 0 and some hi bit of r is set; r < min iff r < 0 and (unsigned,
        // or some hi bit of r is clear). OR/AND trees of LUTs, not a CW-bit carry chain.
        // The clip's bounds are arbitrary but OUT_W + 1-bit signed values: r outside that
        // range (its bits from OUT_W up not all equal, an OR/AND tree) is above hi when
        // positive, below lo when negative; r inside it compares on its low OUT_W + 1 bits
        // alone. Two OUT_W + 1-bit comparators (short carry chains, side by side) instead of
        // CW-bit ones, which were this unit's critical path.
        reg [CW-1:0] s5_r, s5_low;
        reg          s5_over, s5_under, s5_low_sign, s5_below, s5_above;
        wire         neg = s4_r[CW-1];
        wire [CW-OUT_W-1:0] r_top = s4_r[CW-1:OUT_W];
        wire         r_fits = &r_top || !(|r_top);   // r is an OUT_W + 1-bit signed value
        wire [OUT_W:0] r_n = s4_r[OUT_W:0];
        wire         lt_lo = $signed(r_n) < $signed(s4_clo[OUT_W:0]);
        wire         gt_hi = $signed(r_n) > $signed(s4_chi[OUT_W:0]);
        always @(posedge clk) begin
            s5_r <= s4_r;
            s5_below <= r_fits ? lt_lo : neg;
            s5_above <= r_fits ? gt_hi : !neg;
            s5_over <= !neg && |(s4_r & ~s4_max);
            s5_under <= neg && (!s4_signed || |(~s4_r & ~s4_max));
            s5_low <= s4_r & s4_low_mask;
            s5_low_sign <= s4_signed && |(s4_r & s4_pow_w1);
        end

        // S6: clip, else clamp (AP_SAT) or wrap (AP_WRAP: the low bits, sign-extended when
        // signed)
        wire [CW-1:0] wrapped = s5_low_sign ? (s5_low | ~s5_low_mask) : s5_low;
        wire [CW-1:0] clamped = s5_over ? s5_max : (s5_under ? s5_min : s5_r);
        wire [CW-1:0] clipped = s5_below ? s5_clo : (s5_above ? s5_chi : s5_r);
        wire [CW-1:0] y = s5_clip ? clipped : (s5_sat ? clamped : wrapped);
        reg [OUT_W-1:0] s6_data;
        always @(posedge clk) begin
            s6_data <= y[OUT_W-1:0];
        end
        assign out_data[gl*OUT_W +: OUT_W] = s6_data;

        // the discarded high bits of y are the sign extension of y[OUT_W-1] by construction
        wire unused_y_high = &{1'b0, y[CW-1:OUT_W]};
    end
endgenerate

assign out_valid = s6_valid;

endmodule

`resetall
