/*

fpgagen: the column groups' partial sums of a split conv, added before the requantizer

A narrow 1x1 conv (few output channels) split G = 2^lg ways (fpgagen/plan/engine.py conv_split)
runs its P_OUT columns as G groups of P_OUT / G: group g multiplies input word j * G + g of
the pixel (fg_pe_array NG), so output channel o (o < P_OUT / G) leaves the array as G partial
sums, in columns o, o + P_OUT / G, ..., o + (G - 1) P_OUT / G. This unit adds them:

    level l (l = 0 .. LG - 1), span = P_OUT >> (l + 1):
        lane c < span:  x[c] + x[c + span]   when l < lg,   x[c] otherwise
        lane c >= span: x[c]

so after level lg - 1 lane o holds the sum of its G partial sums (level 0 folds the upper half
of the columns onto the lower, level 1 the next quarter, ...); with lg = 0 every lane passes
through unchanged (an unsplit conv: P_OUT channels). One register per level (LATENCY = LG =
log2(NG) cycles, whatever lg; 0 with NG = 1: wires), one adder per lane and level: no deep
sum in one cycle. lg travels with the data (sampled with in_valid), so a layer change never
meets a sum in flight. Sums wrap at ACC_W like the accumulators (the total fits ACC_W, so the
order of the additions does not change it).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_ksum #
(
    // lanes (the MAC array's P_OUT), a multiple of NG
    parameter P_OUT = 8,
    // the most column groups (a power of two, the engine's NW = P_OUT / P_IN)
    parameter NG = 1,
    // lane width
    parameter ACC_W = 32,
    // width of cfg_lg
    parameter LGW = 2
)
(
    input  wire                    clk,
    input  wire                    rst,

    input  wire [LGW-1:0]          cfg_lg,     // log2 of the groups to add (0: none)
    input  wire                    in_valid,
    input  wire [P_OUT*ACC_W-1:0]  in_acc,

    output wire                    out_valid,
    output wire [P_OUT*ACC_W-1:0]  out_acc
);

localparam LG = (NG > 1) ? $clog2(NG) : 0;

initial begin
    if (NG < 1 || (NG & (NG - 1)) != 0 || P_OUT % NG != 0 || (1 << LGW) <= LG) begin
        $error("Error: NG must be a power of two dividing P_OUT, LGW > log2(NG) (%m)");
        $finish;
    end
end

genvar gl, gc;
generate
    if (LG == 0) begin : g_none
        assign out_valid = in_valid;
        assign out_acc = in_acc;
        wire unused_ksum = &{1'b0, clk, rst, cfg_lg};
    end else begin : g_levels
        // stage l's input: x[l]; stage LG's is the output
        wire [P_OUT*ACC_W-1:0] x [0:LG];
        wire [LG:0]            v;
        wire [LGW-1:0]         lg [0:LG];
        assign x[0] = in_acc;
        assign v[0] = in_valid;
        assign lg[0] = cfg_lg;
        for (gl = 0; gl < LG; gl = gl + 1) begin : g_level
            localparam integer SPAN = P_OUT >> (gl + 1);
            localparam [LGW-1:0] LEVEL = gl;
            reg [P_OUT*ACC_W-1:0] sum;
            reg                   valid;
            reg [LGW-1:0]         lg_q;
            wire                  fold = lg[gl] > LEVEL;
            for (gc = 0; gc < P_OUT; gc = gc + 1) begin : g_lane
                if (gc < SPAN) begin : g_add
                    wire [ACC_W-1:0] lo = x[gl][gc*ACC_W +: ACC_W];
                    wire [ACC_W-1:0] hi = x[gl][(gc+SPAN)*ACC_W +: ACC_W];
                    always @(posedge clk) begin
                        sum[gc*ACC_W +: ACC_W] <= fold ? lo + hi : lo;
                    end
                end else begin : g_pass
                    always @(posedge clk) begin
                        sum[gc*ACC_W +: ACC_W] <= x[gl][gc*ACC_W +: ACC_W];
                    end
                end
            end
            always @(posedge clk) begin
                valid <= v[gl];
                lg_q <= lg[gl];
                if (rst) begin
                    valid <= 1'b0;
                end
            end
            assign x[gl+1] = sum;
            assign v[gl+1] = valid;
            assign lg[gl+1] = lg_q;
        end
        assign out_valid = v[LG];
        assign out_acc = x[LG];
        wire unused_lg = &{1'b0, lg[LG]};
    end
endgenerate

endmodule

`resetall
