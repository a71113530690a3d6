/*

fpgagen: P_IN x P_OUT multiply-accumulate array

Each valid beat brings one activation word (P_IN lanes) per column group and one weight word
(P_IN * P_OUT lanes) and adds, for every output o, the dot product sum_i act[i] * wgt[o][i]
to accumulator o, act being the word of o's column group:

    first beat of a dot product:  acc[o] = bias[o] + sum_i act[i] * wgt[o][i]
    other beats:                  acc[o] = acc[o]   + sum_i act[i] * wgt[o][i]
    last beat:                    out_acc[o] = the final acc[o], out_valid = 1 (one cycle)

A beat may be both first and last; dot products of any length run back to back at II = 1.

Pipeline (every stage ends in a register; nothing wide is summed in one cycle):

    t           operands at the inputs of P_IN * P_OUT fg_mul (one DSP each: A/B registers)
    t+1 .. t+3  product (M register), product out (P register)
    t+4 ..      the P_IN products of each output summed by a binary adder tree, one
                register per level (LV = clog2(P_IN) levels, exact widths)
    t+3+LV      accumulate (bias on the first beat), ACC_W bits
    t+4+LV      out_acc / out_valid

Bias timing: in_bias is not sampled with the beat but BIAS_DELAY = 3 + LV cycles after the
beat that has in_first (the cycle that beat reaches the accumulator); the caller reads the
bias memory that much later instead of carrying P_OUT * ACC_W bits down the pipeline.

Column groups (NG >= 1): the P_OUT columns are NG groups of P_OUT / NG; group g multiplies
activation word g, lane i at in_act[(g*P_IN+i)*A_W +: A_W] (signed; widen unsigned values by
a zero bit first). The engine gives every group the same word, or, for a narrow 1x1 conv split
G ways (fpgagen/plan/engine.py conv_split), G different input words of the pixel (hw/fg_ksum.v adds
the groups' partial sums). Each activation lane then feeds P_OUT / NG multipliers. weight lane (o,i) at in_wgt[(o*P_IN+i)*W_W +: W_W] (signed); bias / out lane o at
[o*ACC_W +: ACC_W]. Weight lane (o,i) feeds only multiplier (o,i): the weight word has no
fan-out. An activation lane feeds P_OUT / NG multipliers: the caller registers it right before.

Accumulators are ACC_W bits and wrap: the caller picks ACC_W >= A_W + W_W + ceil(log2(K*K*Cin))
(docs/design.md §2 (Fixed point)) and gives the bias already in the accumulator's scale.

Packing (PACK = 1): output lanes 2j and 2j+1 multiply the same activation lane, so one
fg_mul2 computes both products in one DSP (Xilinx WP486: act * (w[2j+1] * 2^S + w[2j]), the
two fields recovered exactly, S = A_W + W_W - 1; see hw/fg_mul2.v). Same 3-cycle latency as
fg_mul, same adder trees: only the number of DSPs halves. Exact for every operand except an
activation of -2^(A_W-1), which the engine never presents (its activations are one bit
narrower than A_W). Whether a part's DSPs take the packed operand (A_W + 2 W_W bits: <= 25
on a DSP48E1, <= 27 on a DSP48E2) is fpgagen/plan/engine.py's decision (`pack_fits`).

Latency LATENCY = 4 + clog2(P_IN) cycles from the last beat to out_valid. No backpressure.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_pe_array #
(
    // input lanes (activation channels per word), >= 1
    parameter P_IN = 8,
    // output lanes (parallel dot products), >= 1
    parameter P_OUT = 8,
    // activation width (signed), 2..32
    parameter A_W = 9,
    // weight width (signed), 2..32
    parameter W_W = 8,
    // accumulator width, >= 2 (see header for the no-overflow bound)
    parameter ACC_W = 32,
    // 1: output lanes 2j, 2j+1 share one multiplier (fg_mul2; P_OUT even, A_W <= 18,
    // W_W <= 18, act lanes never -2^(A_W-1)); 0: one fg_mul per lane
    parameter PACK = 0,
    // column groups, each with its own activation word: a power of two dividing P_OUT
    // (P_OUT / NG even when PACK)
    parameter NG = 1
)
(
    input  wire                        clk,
    input  wire                        rst,

    /*
     * Input beat
     */
    input  wire                        in_valid,
    input  wire                        in_first,        // first beat of a dot product
    input  wire                        in_last,         // last beat: emit the sums
    input  wire [NG*P_IN*A_W-1:0]      in_act,
    input  wire [P_OUT*P_IN*W_W-1:0]   in_wgt,

    /*
     * Bias, BIAS_DELAY = 3 + clog2(P_IN) cycles after the first beat
     */
    input  wire [P_OUT*ACC_W-1:0]      in_bias,

    /*
     * Output: P_OUT sums, 4 + clog2(P_IN) cycles after the last beat
     */
    output wire                        out_valid,
    output wire [P_OUT*ACC_W-1:0]      out_acc
);

// adder tree levels and the exact widths: product, tree (product + one bit per level)
localparam LV = (P_IN > 1) ? $clog2(P_IN) : 0;
localparam LEAVES = 1 << LV;
localparam PW = A_W + W_W;
localparam TW = PW + LV;
// control travels 3 (multiplier) + LV (tree) stages to the accumulator
localparam CD = 3 + LV;
// columns per activation group
localparam GC = P_OUT / NG;

// check configuration
initial begin
    if (P_IN < 1 || P_OUT < 1) begin
        $error("Error: P_IN and P_OUT must be >= 1 (instance %m)");
        $finish;
    end
    if (A_W < 2 || A_W > 32 || W_W < 2 || W_W > 32) begin
        $error("Error: A_W and W_W must be 2..32 (instance %m)");
        $finish;
    end
    if (ACC_W < 2) begin
        $error("Error: ACC_W must be >= 2 (instance %m)");
        $finish;
    end
    if (PACK != 0 && (PACK != 1 || P_OUT % 2 != 0 || A_W > 18 || W_W > 18)) begin
        $error("Error: PACK = 1 needs an even P_OUT and A_W, W_W <= 18 (instance %m)");
        $finish;
    end
    if (NG < 1 || (NG & (NG - 1)) != 0 || P_OUT % NG != 0
            || (PACK != 0 && (P_OUT / NG) % 2 != 0)) begin
        $error("Error: NG must be a power of two dividing P_OUT, even P_OUT / NG if PACK (%m)");
        $finish;
    end
end

/*
 * Control: valid, first, last down to the accumulator
 */
wire acc_valid, acc_first, acc_last;

fg_delay #(.WIDTH(1), .DEPTH(CD), .RESET(1)) valid_dly (
    .clk(clk), .rst(rst), .in_data(in_valid), .out_data(acc_valid)
);

fg_delay #(.WIDTH(2), .DEPTH(CD), .RESET(0)) flags_dly (
    .clk(clk), .rst(rst), .in_data({in_first, in_last}), .out_data({acc_first, acc_last})
);

// accumulators and the output register (written by the per-output blocks below)
reg [P_OUT*ACC_W-1:0] acc;
reg [P_OUT*ACC_W-1:0] out_acc_reg;
reg                   out_valid_reg;

/*
 * Products: prod lane (o,i) = act[i] * wgt[o][i], 3 cycles after the beat
 */
wire [P_OUT*P_IN*PW-1:0] prod;

genvar go, gi;
generate
    if (PACK) begin : g_pack
        // output lanes 2j and 2j+1 share activation i: one fg_mul2 (one DSP) per pair
        for (go = 0; go < P_OUT; go = go + 2) begin : g_pair
            for (gi = 0; gi < P_IN; gi = gi + 1) begin : g_mac2
                fg_mul2 #(.A_W(A_W), .B_W(W_W), .S(PW - 1)) mul_inst (
                    .clk(clk),
                    .a(in_act[((go/GC)*P_IN+gi)*A_W +: A_W]),
                    .b_lo(in_wgt[(go*P_IN+gi)*W_W +: W_W]),
                    .b_hi(in_wgt[((go+1)*P_IN+gi)*W_W +: W_W]),
                    .p_lo(prod[(go*P_IN+gi)*PW +: PW]),
                    .p_hi(prod[((go+1)*P_IN+gi)*PW +: PW])
                );
            end
        end
    end else begin : g_single
        for (go = 0; go < P_OUT; go = go + 1) begin : g_lane
            for (gi = 0; gi < P_IN; gi = gi + 1) begin : g_mac
                fg_mul #(.A_W(A_W), .B_W(W_W)) mul_inst (
                    .clk(clk),
                    .a(in_act[((go/GC)*P_IN+gi)*A_W +: A_W]),
                    .b(in_wgt[(go*P_IN+gi)*W_W +: W_W]),
                    .p(prod[(go*P_IN+gi)*PW +: PW])
                );
            end
        end
    end
endgenerate

/*
 * Adder trees and accumulators, one per output
 */
generate
    for (go = 0; go < P_OUT; go = go + 1) begin : g_out
        // tree nodes in heap order: node 1 is the root, nodes LEAVES .. 2*LEAVES-1 the leaves
        wire [2*LEAVES*TW-1:0] node;
        assign node[TW-1:0] = {TW{1'b0}};  // node 0 is unused
        for (gi = 0; gi < LEAVES; gi = gi + 1) begin : g_leaf
            if (gi < P_IN) begin : g_mac
                wire [PW-1:0] p = prod[(go*P_IN+gi)*PW +: PW];
                assign node[(LEAVES+gi)*TW +: TW] = {{(TW-PW){p[PW-1]}}, p};
            end else begin : g_pad
                assign node[(LEAVES+gi)*TW +: TW] = {TW{1'b0}};
            end
        end
        for (gi = 1; gi < LEAVES; gi = gi + 1) begin : g_node
            reg [TW-1:0] sum;
            always @(posedge clk) begin
                sum <= node[(2*gi)*TW +: TW] + node[(2*gi+1)*TW +: TW];
            end
            assign node[gi*TW +: TW] = sum;
        end

        // the root (the product itself when P_IN = 1), widened or wrapped to ACC_W
        wire [TW-1:0] root = node[(LEAVES > 1 ? 1 : LEAVES)*TW +: TW];
        wire [ACC_W-1:0] dot;
        if (ACC_W > TW) begin : g_wide
            assign dot = {{(ACC_W-TW){root[TW-1]}}, root};
        end else begin : g_narrow
            assign dot = root[ACC_W-1:0];
            if (ACC_W < TW) begin : g_drop
                wire unused_high = &{1'b0, root[TW-1:ACC_W]};
            end
        end

        /*
         * Accumulate; hand the finished sum to the output register on the last beat
         */
        wire [ACC_W-1:0] acc_next = (acc_first ? in_bias[go*ACC_W +: ACC_W]
                                               : acc[go*ACC_W +: ACC_W]) + dot;
        always @(posedge clk) begin
            if (acc_valid) begin
                acc[go*ACC_W +: ACC_W] <= acc_next;
                if (acc_last) begin
                    out_acc_reg[go*ACC_W +: ACC_W] <= acc_next;
                end
            end
        end
        wire unused_node0 = &{1'b0, node[TW-1:0]};
    end
endgenerate

always @(posedge clk) begin
    out_valid_reg <= acc_valid && acc_last;
    if (rst) begin
        out_valid_reg <= 1'b0;
    end
end

assign out_valid = out_valid_reg;
assign out_acc = out_acc_reg;

endmodule

`resetall
