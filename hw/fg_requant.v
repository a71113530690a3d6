/*

fpgagen: requantize one lane (round_shift + saturate/wrap + ReLU), DESIGN.md section 2

    y = relu?( sat_or_wrap( round_shift(acc, shift) ) )

round_shift(v, s), s > 0:  AP_TRN      floor(v / 2^s)
                           AP_RND      floor((v + 2^(s-1)) / 2^s)   (half toward +inf)
                           AP_RND_CONV half to even
                  s <= 0:  exact left shift by -s (needs MAX_LSHIFT >= -s)
sat: AP_SAT clamps to the output range, AP_WRAP keeps the low out_width bits.
The output is out_width bits wide, sign- (signed) or zero- (unsigned) extended to OUT_W.

Every configuration input travels down the pipeline with its data beat, so the
configuration may change from one beat to the next (no drain between layers).
Latency 2 cycles, II = 1, no stalls (a consumer that can stall must buffer).

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_requant #
(
    // width of the signed input accumulator, 2..128
    parameter ACC_W = 32,
    // widest output; the runtime cfg_out_width selects 1..OUT_W (2..64)
    parameter OUT_W = 8,
    // largest exact left shift supported (cfg_shift >= -MAX_LSHIFT), 0..32;
    // each step adds one bit to the datapath, 0 costs nothing
    parameter MAX_LSHIFT = 0,
    // width of the side-band tag carried alongside the data (e.g. a write address), >= 1
    parameter USER_W = 1
)
(
    input  wire                 clk,
    input  wire                 rst,

    /*
     * Configuration, sampled with each input beat
     */
    input  wire signed [6:0]    cfg_shift,      // s: right shift when > 0, exact left shift by -s when <= 0
    input  wire [1:0]           cfg_rnd,        // 0 AP_TRN, 1 AP_RND, 2 AP_RND_CONV, 3 = AP_TRN
    input  wire                 cfg_sat,        // 1 AP_SAT (clamp), 0 AP_WRAP (keep low bits)
    input  wire                 cfg_out_signed, // output type signed (1) or unsigned (0)
    input  wire [6:0]           cfg_out_width,  // output width 1..OUT_W; 0 or > OUT_W means OUT_W
    input  wire                 cfg_relu,       // clamp negative results to 0 (after sat/wrap)

    /*
     * Input
     */
    input  wire                 in_valid,
    input  wire [ACC_W-1:0]     in_acc,         // signed accumulator
    input  wire [USER_W-1:0]    in_user,

    /*
     * Output (2 cycles after the input)
     */
    output wire                 out_valid,
    output wire [OUT_W-1:0]     out_data,
    output wire [USER_W-1:0]    out_user
);

// x = acc * 2^MAX_LSHIFT, sign-extended with room for the clamp-at-TMAX shift and the +1
localparam XW = ACC_W + MAX_LSHIFT + 2;
// width in which the rounded value and the output bounds are compared
localparam CW = ((XW > OUT_W + 1) ? XW : OUT_W + 1) + 1;
// shifting right by more than TMAX gives the same result as TMAX (floor/round of |x| < 2^(TMAX-1))
localparam TMAX = ACC_W + MAX_LSHIFT + 1;

// check configuration
initial begin
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
    if (USER_W < 1) begin
        $error("Error: USER_W must be >= 1 (instance %m)");
        $finish;
    end
end

/*
 * Stage 1: shift right by t = s + MAX_LSHIFT (clamped to 0..TMAX) and find the rounding increment
 */
wire signed [8:0] shift_ext = {{2{cfg_shift[6]}}, cfg_shift};
wire signed [8:0] lsh_const = MAX_LSHIFT[8:0];
wire signed [8:0] tmax_const = TMAX[8:0];
wire signed [8:0] t_raw = shift_ext + lsh_const;
wire [8:0] t = t_raw[8] ? 9'd0 : (t_raw > tmax_const ? tmax_const : t_raw);

wire signed [XW-1:0] x = $signed({{(XW-ACC_W){in_acc[ACC_W-1]}}, in_acc}) <<< MAX_LSHIFT;
wire signed [XW-1:0] q = x >>> t;
// hmask: the bit of weight 1/2 after the shift (bit t-1), zero when t == 0
wire [XW-1:0] hmask = (t == 9'd0) ? {XW{1'b0}} : ({{(XW-1){1'b0}}, 1'b1} << (t - 9'd1));
wire half = |(x & hmask);
wire sticky = (t != 9'd0) && |(x & (hmask - {{(XW-1){1'b0}}, 1'b1}));
wire q_odd = q[0];

reg round_up;
always @* begin
    case (cfg_rnd)
        2'd1:    round_up = half;                      // AP_RND: half toward +inf
        2'd2:    round_up = half && (sticky || q_odd); // AP_RND_CONV: half to even
        default: round_up = 1'b0;                      // AP_TRN: floor
    endcase
end

wire [6:0] w_clamped = (cfg_out_width == 7'd0 || cfg_out_width > OUT_W[6:0]) ? OUT_W[6:0] : cfg_out_width;

reg              s1_valid;
reg [XW-1:0]     s1_q;
reg              s1_round_up;
reg              s1_sat;
reg              s1_signed;
reg [6:0]        s1_width;
reg              s1_relu;
reg [USER_W-1:0] s1_user;

always @(posedge clk) begin
    s1_valid    <= in_valid;
    s1_q        <= q;
    s1_round_up <= round_up;
    s1_sat      <= cfg_sat;
    s1_signed   <= cfg_out_signed;
    s1_width    <= w_clamped;
    s1_relu     <= cfg_relu;
    s1_user     <= in_user;
    if (rst) begin
        s1_valid <= 1'b0;
    end
end

/*
 * Stage 2: add the rounding increment, saturate or wrap, ReLU
 */
// q + round_up cannot overflow XW bits (|x| < 2^(XW-2))
wire signed [XW-1:0] r = $signed(s1_q) + $signed({{(XW-1){1'b0}}, s1_round_up});
wire signed [CW-1:0] r_ext = {{(CW-XW){r[XW-1]}}, r};

wire [CW-1:0] one_c = {{(CW-1){1'b0}}, 1'b1};
wire [CW-1:0] pow_w = one_c << s1_width;             // 2^w
wire [CW-1:0] pow_w1 = one_c << (s1_width - 7'd1);   // 2^(w-1)
wire signed [CW-1:0] max_v = s1_signed ? $signed(pow_w1 - one_c) : $signed(pow_w - one_c);
wire signed [CW-1:0] min_v = s1_signed ? -$signed(pow_w1) : {CW{1'b0}};

wire [CW-1:0] low_mask = pow_w - one_c;
wire [CW-1:0] low = r_ext & low_mask;
wire low_sign = s1_signed && |(r_ext & pow_w1);
wire [CW-1:0] wrapped = low_sign ? (low | ~low_mask) : low;

wire signed [CW-1:0] clamped = (r_ext > max_v) ? max_v : ((r_ext < min_v) ? min_v : r_ext);
wire signed [CW-1:0] y_sat = s1_sat ? clamped : $signed(wrapped);
wire [CW-1:0] y = (s1_relu && y_sat[CW-1]) ? {CW{1'b0}} : y_sat;

reg              s2_valid;
reg [OUT_W-1:0]  s2_data;
reg [USER_W-1:0] s2_user;

always @(posedge clk) begin
    s2_valid <= s1_valid;
    s2_data  <= y[OUT_W-1:0];
    s2_user  <= s1_user;
    if (rst) begin
        s2_valid <= 1'b0;
    end
end

assign out_valid = s2_valid;
assign out_data = s2_data;
assign out_user = s2_user;

// the discarded high bits of y are the sign extension of y[OUT_W-1] by construction
wire unused_y_high = &{1'b0, y[CW-1:OUT_W]};

endmodule

`resetall
