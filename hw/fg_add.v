/*

fpgagen: LANES-lane aligned add (the bypass), the part before requantization

    out = (a << cfg_a_shift) + (b << cfg_b_shift)      per lane, exact

Both operands are brought to the finer binary point of the two (one of the shifts is 0) and
added exactly; the engine requantizes the sum in its shared requantizer. a and b are signed or
unsigned per cfg_*_signed. All configuration is sampled with each beat.

Two register stages (the shifts, then the add), II = 1, no backpressure: a beat presented in
cycle t gives its sum in cycle t + 2. Lane l at [l*A_W +: A_W], [l*B_W +: B_W] in,
[l*ACC_W +: ACC_W] out. Exact when ACC_W >= max(A_W, B_W) + 1 + MAX_ALIGN + 1.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_add #
(
    // parallel lanes, >= 1
    parameter LANES = 8,
    // operand widths, 1..32
    parameter A_W = 8,
    parameter B_W = 8,
    // largest alignment shift, 0..31
    parameter MAX_ALIGN = 8,
    // output width, >= 2
    parameter ACC_W = 24
)
(
    input  wire                   clk,
    input  wire                   rst,

    /*
     * Configuration, sampled with each beat
     */
    input  wire                   cfg_a_signed,
    input  wire                   cfg_b_signed,
    input  wire [4:0]             cfg_a_shift,     // <= MAX_ALIGN
    input  wire [4:0]             cfg_b_shift,     // <= MAX_ALIGN

    /*
     * Input
     */
    input  wire                   in_valid,
    input  wire [LANES*A_W-1:0]   in_a,
    input  wire [LANES*B_W-1:0]   in_b,

    /*
     * Output, 2 cycles after the input
     */
    output wire                   out_valid,
    output wire [LANES*ACC_W-1:0] out_data
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
    if (MAX_ALIGN < 0 || MAX_ALIGN > 31 || ACC_W < 2) begin
        $error("Error: MAX_ALIGN must be 0..31 and ACC_W >= 2 (instance %m)");
        $finish;
    end
end

reg [1:0] valid;

always @(posedge clk) begin
    valid <= {valid[0], in_valid};
    if (rst) begin
        valid <= 2'b00;
    end
end

genvar gl;
generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
        wire [A_W-1:0] xa = in_a[gl*A_W +: A_W];
        wire [B_W-1:0] xb = in_b[gl*B_W +: B_W];
        wire [SW-1:0] ea = {{(SW-A_W){cfg_a_signed & xa[A_W-1]}}, xa};
        wire [SW-1:0] eb = {{(SW-B_W){cfg_b_signed & xb[B_W-1]}}, xb};

        // stage 1: align
        reg [SW-1:0] sa, sb;
        always @(posedge clk) begin
            sa <= ea << cfg_a_shift;
            sb <= eb << cfg_b_shift;
        end

        // stage 2: add
        reg [SW-1:0] sum;
        always @(posedge clk) begin
            sum <= sa + sb;
        end

        if (ACC_W > SW) begin : g_wide
            assign out_data[gl*ACC_W +: ACC_W] = {{(ACC_W-SW){sum[SW-1]}}, sum};
        end else begin : g_narrow
            assign out_data[gl*ACC_W +: ACC_W] = sum[ACC_W-1:0];
            if (ACC_W < SW) begin : g_drop
                wire unused_high = &{1'b0, sum[SW-1:ACC_W]};
            end
        end
    end
endgenerate

assign out_valid = valid[1];

endmodule

`resetall
