/*

fpgagen: the max over the PP pixels of a beat (pixel banks), lane by lane

A max-pool beat of a pixel-parallel engine reads PP consecutive pixels of one window row (one
from each pixel bank, hw/fg_engine.v); the pixels that are taps of the window (in_inside[j])
reduce to one word here, which fg_maxpool then reduces over the window's beats:

    out_data  = max over j with in_inside[j] of pixel j's word (per lane, signed or unsigned)
    out_inside = some in_inside[j] (otherwise out_data is undefined and must not count)

Pixel j at in_data[j*LANES*A_W +: LANES*A_W], lane l of it at [l*A_W +: A_W]. A registered
tree: each level takes two entries to one (the larger of the inside ones: one A_W-bit
compare and a 2:1 per lane; an odd entry passes through its level's register). Latency
clog2(PP) cycles, II = 1, no backpressure; cfg_signed travels with the beat. PP = 1 is a wire.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_pixmax #
(
    // pixels a beat, 1..16
    parameter PP = 4,
    // parallel lanes (channels per word), >= 1
    parameter LANES = 8,
    // value width, 1..64
    parameter A_W = 8
)
(
    input  wire                     clk,
    input  wire                     rst,

    input  wire                     cfg_signed,   // compare as signed (1) or unsigned (0)

    input  wire                     in_valid,
    input  wire [PP-1:0]            in_inside,    // pixel j is a tap of the window
    input  wire [PP*LANES*A_W-1:0]  in_data,

    output wire                     out_valid,
    output wire                     out_inside,
    output wire [LANES*A_W-1:0]     out_data
);

localparam W = LANES * A_W;
localparam L = (PP > 1) ? $clog2(PP) : 0;

// entries of level l: ceil(PP / 2^l)
function integer n_at;
    input integer l;
    begin
        n_at = (PP + (1 << l) - 1) >> l;
    end
endfunction

// the first entry of level l in the flat node vectors
function integer off;
    input integer l;
    integer i;
    begin
        off = 0;
        for (i = 0; i < l; i = i + 1) begin
            off = off + n_at(i);
        end
    end
endfunction

localparam NN = off(L + 1);

initial begin
    if (PP < 1 || PP > 16 || LANES < 1 || A_W < 1 || A_W > 64) begin
        $error("Error: bad PP/LANES/A_W (instance %m)");
        $finish;
    end
end

wire [NN*W-1:0] nd;   // every level's entries: data
wire [NN-1:0]   nv;   // ... inside
wire [L:0]      ns;   // the beat's signedness at each level
wire [L:0]      nval; // the beat's valid at each level

assign nd[PP*W-1:0] = in_data;
assign nv[PP-1:0] = in_inside;
assign ns[0] = cfg_signed;
assign nval[0] = in_valid;

genvar gl, gi, gn;
generate
    for (gl = 0; gl < L; gl = gl + 1) begin : g_level
        localparam integer N_IN = n_at(gl);
        localparam integer N_OUT = n_at(gl + 1);
        localparam integer O_IN = off(gl);
        localparam integer O_OUT = off(gl + 1);
        reg s_r, v_r;
        always @(posedge clk) begin
            s_r <= ns[gl];
            v_r <= nval[gl];
            if (rst) begin
                v_r <= 1'b0;
            end
        end
        assign ns[gl + 1] = s_r;
        assign nval[gl + 1] = v_r;
        for (gi = 0; gi < N_OUT; gi = gi + 1) begin : g_entry
            localparam integer A = O_IN + 2 * gi;
            reg [W-1:0] r;
            reg         v;
            if (2 * gi + 1 < N_IN) begin : g_pair
                wire         va = nv[A];
                wire         vb = nv[A + 1];
                for (gn = 0; gn < LANES; gn = gn + 1) begin : g_lane
                    wire [A_W-1:0] xa = nd[A*W + gn*A_W +: A_W];
                    wire [A_W-1:0] xb = nd[(A+1)*W + gn*A_W +: A_W];
                    // signed: the inverted sign bit orders two's complement as unsigned
                    wire [A_W-1:0] flip = {ns[gl], {(A_W-1){1'b0}}};
                    wire [A_W-1:0] ka = xa ^ flip;
                    wire [A_W-1:0] kb = xb ^ flip;
                    wire take_b = vb && (!va || kb > ka);
                    always @(posedge clk) begin
                        r[gn*A_W +: A_W] <= take_b ? xb : xa;
                    end
                end
                always @(posedge clk) begin
                    v <= va || vb;
                end
            end else begin : g_pass
                always @(posedge clk) begin
                    r <= nd[A*W +: W];
                    v <= nv[A];
                end
            end
            assign nd[(O_OUT + gi)*W +: W] = r;
            assign nv[O_OUT + gi] = v;
        end
    end
endgenerate

assign out_data = nd[off(L)*W +: W];
assign out_inside = nv[off(L)];
assign out_valid = nval[L];

wire unused_sign = &{1'b0, ns[L]};

endmodule

`resetall
