/*

fpgagen: LANES-lane global average pool, DESIGN.md section 2

    sum = sum of the N beats of a window (first ... last), exact in SUM_W bits
    out = relu?( sat_or_wrap( round_shift(sum * M, S) ) )      with M = round(2^S / N)

M (unsigned, cfg_mult), S (cfg_shift) and the rounding / saturation / output type are runtime
inputs (one layer's Plan entry) and must be held stable from the first beat of a window until
its result appears. Lane l at [l*A_W +: A_W] in, [l*OUT_W +: OUT_W] out.
Windows run back to back at II = 1. Latency 4 cycles: a window whose last beat is presented in
cycle t appears in cycle t + 4. No backpressure.

The sum needs SUM_W >= A_W + ceil(log2(N_max)) + 1 bits (the +1 covers unsigned inputs held in
a signed sum); the caller checks that against the largest N in the Plan.

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_avgpool #
(
    // parallel lanes, >= 1
    parameter LANES = 8,
    // input width, 1..32
    parameter A_W = 8,
    // signed sum width, > A_W (see header)
    parameter SUM_W = 24,
    // width of the unsigned multiplier M, 1..32
    parameter M_W = 16,
    // widest output (fg_requant OUT_W), 2..64
    parameter OUT_W = 8
)
(
    input  wire                   clk,
    input  wire                   rst,

    /*
     * Configuration, stable during a window
     */
    input  wire                   cfg_in_signed,   // inputs signed (1) or unsigned (0)
    input  wire [M_W-1:0]         cfg_mult,        // M, unsigned
    input  wire signed [6:0]      cfg_shift,       // S (right shift with rounding; <= 0 not supported)
    input  wire [1:0]             cfg_rnd,         // 0 AP_TRN, 1 AP_RND, 2 AP_RND_CONV
    input  wire                   cfg_sat,         // 1 AP_SAT, 0 AP_WRAP
    input  wire                   cfg_out_signed,
    input  wire [6:0]             cfg_out_width,   // 1..OUT_W, 0 = OUT_W
    input  wire                   cfg_relu,

    /*
     * Input beat
     */
    input  wire                   in_valid,
    input  wire                   in_first,
    input  wire                   in_last,
    input  wire [LANES*A_W-1:0]   in_data,

    /*
     * Output, 4 cycles after the last beat
     */
    output wire                   out_valid,
    output wire [LANES*OUT_W-1:0] out_data
);

// exact product width: SUM_W signed x (M_W+1)-bit signed (M zero-extended)
localparam PW = SUM_W + M_W + 1;

// check configuration
initial begin
    if (LANES < 1 || A_W < 1 || A_W > 32 || M_W < 1 || M_W > 32) begin
        $error("Error: LANES >= 1, A_W 1..32, M_W 1..32 required (instance %m)");
        $finish;
    end
    if (SUM_W <= A_W || PW > 128) begin
        $error("Error: SUM_W must exceed A_W and SUM_W + M_W + 1 be <= 128 (instance %m)");
        $finish;
    end
end

/*
 * Stage 0: running sums; the finished sum moves to sum_out on the last beat
 */
reg [LANES*SUM_W-1:0] acc, acc_next, sum_out;
reg                   sum_valid;
reg [A_W-1:0]         x;
integer l;
always @* begin
    for (l = 0; l < LANES; l = l + 1) begin
        x = in_data[l*A_W +: A_W];
        acc_next[l*SUM_W +: SUM_W] = (in_first ? {SUM_W{1'b0}} : acc[l*SUM_W +: SUM_W])
                                     + {{(SUM_W-A_W){cfg_in_signed & x[A_W-1]}}, x};
    end
end

always @(posedge clk) begin
    sum_valid <= in_valid && in_last;
    if (in_valid) begin
        acc <= acc_next;
        if (in_last) begin
            sum_out <= acc_next;
        end
    end
    if (rst) begin
        sum_valid <= 1'b0;
    end
end

/*
 * Stage 1: sum * M
 */
reg [LANES*PW-1:0] prod;
reg                prod_valid;
wire signed [PW-1:0] m_ext = $signed({{(PW-M_W){1'b0}}, cfg_mult});

genvar gl;
generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
        wire [SUM_W-1:0] s = sum_out[gl*SUM_W +: SUM_W];
        wire signed [PW-1:0] s_ext = $signed({{(PW-SUM_W){s[SUM_W-1]}}, s});
        wire signed [PW-1:0] p = s_ext * m_ext;
        always @(posedge clk) begin
            prod[gl*PW +: PW] <= p;
        end

        /*
         * Stages 2-3: requantize
         */
        wire rq_valid;
        wire rq_user;
        fg_requant #(
            .ACC_W(PW),
            .OUT_W(OUT_W),
            .MAX_LSHIFT(0),
            .USER_W(1)
        ) requant_inst (
            .clk(clk),
            .rst(rst),
            .cfg_shift(cfg_shift),
            .cfg_rnd(cfg_rnd),
            .cfg_sat(cfg_sat),
            .cfg_out_signed(cfg_out_signed),
            .cfg_out_width(cfg_out_width),
            .cfg_relu(cfg_relu),
            .in_valid(prod_valid),
            .in_acc(prod[gl*PW +: PW]),
            .in_user(1'b0),
            .out_valid(rq_valid),
            .out_data(out_data[gl*OUT_W +: OUT_W]),
            .out_user(rq_user)
        );
        if (gl == 0) begin : g_valid
            assign out_valid = rq_valid;
        end else begin : g_unused
            wire unused_valid = &{1'b0, rq_valid, rq_user};
        end
        if (gl == 0) begin : g_unused0
            wire unused_user = &{1'b0, rq_user};
        end
    end
endgenerate

always @(posedge clk) begin
    prod_valid <= sum_valid;
    if (rst) begin
        prod_valid <= 1'b0;
    end
end

endmodule

`resetall
