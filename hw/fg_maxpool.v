/*

fpgagen: LANES-lane running max (max-pool unit), DESIGN.md section 2

    first beat of a window:  m = in
    other beats:             m = max(m, in)        (per lane, signed or unsigned)
    last beat:               out_data = m, out_valid = 1 (one cycle)

A beat may be both first and last (1-element windows); windows run back to back at II = 1.
Windows that overhang the input edge (Caffe ceil mode) simply present fewer beats.
Lane l at [l*A_W +: A_W]. Latency 1 cycle: a window whose last beat is presented in
cycle t appears in cycle t + 1. No backpressure.

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_maxpool #
(
    // parallel lanes (channels per word), >= 1
    parameter LANES = 8,
    // value width, 1..64
    parameter A_W = 8
)
(
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Configuration, sampled with each beat
     */
    input  wire                  cfg_signed,   // compare as signed (1) or unsigned (0)

    /*
     * Input beat
     */
    input  wire                  in_valid,
    input  wire                  in_first,     // first element of a window
    input  wire                  in_last,      // last element of a window: emit
    input  wire [LANES*A_W-1:0]  in_data,

    /*
     * Output, 1 cycle after the last beat
     */
    output wire                  out_valid,
    output wire [LANES*A_W-1:0]  out_data
);

// check configuration
initial begin
    if (LANES < 1 || A_W < 1 || A_W > 64) begin
        $error("Error: LANES must be >= 1 and A_W 1..64 (instance %m)");
        $finish;
    end
end

reg [LANES*A_W-1:0] m;
reg [LANES*A_W-1:0] m_next;
reg [LANES*A_W-1:0] out_data_reg;
reg                 out_valid_reg;

reg [A_W-1:0] a, b;
reg           a_gt_b;
integer l;
always @* begin
    for (l = 0; l < LANES; l = l + 1) begin
        a = in_data[l*A_W +: A_W];
        b = m[l*A_W +: A_W];
        // signed compare = unsigned compare with the sign bits inverted
        a_gt_b = {a[A_W-1] ^ cfg_signed, a} > {b[A_W-1] ^ cfg_signed, b};
        m_next[l*A_W +: A_W] = (in_first || a_gt_b) ? a : b;
    end
end

always @(posedge clk) begin
    out_valid_reg <= in_valid && in_last;
    if (in_valid) begin
        m <= m_next;
        if (in_last) begin
            out_data_reg <= m_next;
        end
    end
    if (rst) begin
        out_valid_reg <= 1'b0;
    end
end

assign out_valid = out_valid_reg;
assign out_data = out_data_reg;

endmodule

`resetall
