/*

fpgagen: LANES-lane elementwise add (bypass), DESIGN.md section 2

    sum = (a << cfg_a_shift) + (b << cfg_b_shift)       exact (align both to the finer F)
    out = relu?( sat_or_wrap( round_shift(sum, cfg_shift) ) )

With F = max(F_a, F_b): cfg_a_shift = F - F_a, cfg_b_shift = F - F_b, cfg_shift = F - F_y
(negative cfg_shift = exact left shift, down to -MAX_LSHIFT). Every configuration input is
sampled with its beat. Lane l at [l*A_W +: A_W] (a), [l*B_W +: B_W] (b), [l*OUT_W +: OUT_W] out.
II = 1. Latency 3 cycles. No backpressure. USER_W side-band bits travel with the beat.

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_add #
(
    // parallel lanes, >= 1
    parameter LANES = 8,
    // width of input a, 1..32
    parameter A_W = 8,
    // width of input b, 1..32
    parameter B_W = 8,
    // largest alignment shift of either input, 0..31
    parameter MAX_ALIGN = 8,
    // widest output, 2..64
    parameter OUT_W = 8,
    // largest exact left shift in the requantize step (fg_requant MAX_LSHIFT), 0..32
    parameter MAX_LSHIFT = 0,
    // side-band width, >= 1
    parameter USER_W = 1
)
(
    input  wire                   clk,
    input  wire                   rst,

    /*
     * Configuration, sampled with each beat
     */
    input  wire                   cfg_a_signed,
    input  wire                   cfg_b_signed,
    input  wire [4:0]             cfg_a_shift,     // left shift of a, 0..MAX_ALIGN
    input  wire [4:0]             cfg_b_shift,     // left shift of b, 0..MAX_ALIGN
    input  wire signed [6:0]      cfg_shift,       // requantize shift (see fg_requant)
    input  wire [1:0]             cfg_rnd,         // 0 AP_TRN, 1 AP_RND, 2 AP_RND_CONV
    input  wire                   cfg_sat,         // 1 AP_SAT, 0 AP_WRAP
    input  wire                   cfg_out_signed,
    input  wire [6:0]             cfg_out_width,   // 1..OUT_W, 0 = OUT_W
    input  wire                   cfg_relu,

    /*
     * Input beat
     */
    input  wire                   in_valid,
    input  wire [LANES*A_W-1:0]   in_a,
    input  wire [LANES*B_W-1:0]   in_b,
    input  wire [USER_W-1:0]      in_user,

    /*
     * Output, 3 cycles after the input
     */
    output wire                   out_valid,
    output wire [LANES*OUT_W-1:0] out_data,
    output wire [USER_W-1:0]      out_user
);

// exact sum width: the wider input (one extra bit for unsigned), shifted, plus a carry
localparam IW = (A_W > B_W ? A_W : B_W) + 1;
localparam SW = IW + MAX_ALIGN + 1;

// check configuration
initial begin
    if (LANES < 1 || A_W < 1 || A_W > 32 || B_W < 1 || B_W > 32) begin
        $error("Error: LANES >= 1, A_W and B_W 1..32 required (instance %m)");
        $finish;
    end
    if (MAX_ALIGN < 0 || MAX_ALIGN > 31) begin
        $error("Error: MAX_ALIGN must be 0..31 (instance %m)");
        $finish;
    end
end

/*
 * Stage 0: align and add
 */
reg [LANES*SW-1:0] sum;
reg                sum_valid;
reg [USER_W-1:0]   sum_user;
reg signed [6:0]   s0_shift;
reg [1:0]          s0_rnd;
reg                s0_sat, s0_out_signed, s0_relu;
reg [6:0]          s0_out_width;

reg [A_W-1:0]      xa;
reg [B_W-1:0]      xb;
reg [SW-1:0]       ea, eb;
reg [LANES*SW-1:0] sum_next;
integer l;
always @* begin
    for (l = 0; l < LANES; l = l + 1) begin
        xa = in_a[l*A_W +: A_W];
        xb = in_b[l*B_W +: B_W];
        ea = {{(SW-A_W){cfg_a_signed & xa[A_W-1]}}, xa};
        eb = {{(SW-B_W){cfg_b_signed & xb[B_W-1]}}, xb};
        sum_next[l*SW +: SW] = (ea << cfg_a_shift) + (eb << cfg_b_shift);
    end
end

always @(posedge clk) begin
    sum           <= sum_next;
    sum_valid     <= in_valid;
    sum_user      <= in_user;
    s0_shift      <= cfg_shift;
    s0_rnd        <= cfg_rnd;
    s0_sat        <= cfg_sat;
    s0_out_signed <= cfg_out_signed;
    s0_out_width  <= cfg_out_width;
    s0_relu       <= cfg_relu;
    if (rst) begin
        sum_valid <= 1'b0;
    end
end

/*
 * Stages 1-2: requantize
 */
genvar gl;
generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
        wire rq_valid;
        wire [USER_W-1:0] rq_user;
        fg_requant #(
            .ACC_W(SW),
            .OUT_W(OUT_W),
            .MAX_LSHIFT(MAX_LSHIFT),
            .USER_W(USER_W)
        ) requant_inst (
            .clk(clk),
            .rst(rst),
            .cfg_shift(s0_shift),
            .cfg_rnd(s0_rnd),
            .cfg_sat(s0_sat),
            .cfg_out_signed(s0_out_signed),
            .cfg_out_width(s0_out_width),
            .cfg_relu(s0_relu),
            .in_valid(sum_valid),
            .in_acc(sum[gl*SW +: SW]),
            .in_user(sum_user),
            .out_valid(rq_valid),
            .out_data(out_data[gl*OUT_W +: OUT_W]),
            .out_user(rq_user)
        );
        if (gl == 0) begin : g_first
            assign out_valid = rq_valid;
            assign out_user = rq_user;
        end else begin : g_other
            wire unused_lane = &{1'b0, rq_valid, rq_user};
        end
    end
endgenerate

endmodule

`resetall
