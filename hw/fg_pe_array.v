/*

fpgagen: P_IN x P_OUT multiply-accumulate array

Each valid beat brings one activation word (P_IN lanes) and one weight word (P_IN * P_OUT
lanes) and adds, for every output o, the dot product sum_i act[i] * wgt[o][i] to accumulator o:

    first beat of a dot product:  acc[o] = bias[o] + sum_i act[i] * wgt[o][i]
    other beats:                  acc[o] = acc[o]   + sum_i act[i] * wgt[o][i]
    last beat:                    out_acc[o] = the final acc[o], out_valid = 1 (one cycle)

A beat may be both first and last (dot products of length 1). Results are handed to the
output register while the next dot product starts accumulating in the same cycle, so
back-to-back dot products of any length run at II = 1 with no bubble.

Lane layout: act lane i at in_act[i*A_W +: A_W]; weight lane (o,i) at
in_wgt[(o*P_IN+i)*W_W +: W_W]; bias / out lane o at [o*ACC_W +: ACC_W].
Activations are signed or unsigned per cfg_act_signed (sampled per beat); weights are signed.

Accumulators are ACC_W bits and wrap silently: the caller must choose
ACC_W >= A_W + W_W + 1 + ceil(log2(K*K*Cin)) (DESIGN.md section 2) for the largest layer
(the +1 covers unsigned activations) and give the bias already shifted into the
accumulator's scale (b_q << (F_x + F_w - F_b)), sign-extended to ACC_W.

Latency 4 cycles: the results of a dot product whose last beat is presented in cycle t
appear with out_valid in cycle t + 4. No backpressure: out_valid is a strobe.

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_pe_array #
(
    // input lanes (activation channels per word), >= 1
    parameter P_IN = 8,
    // output lanes (parallel dot products), >= 1
    parameter P_OUT = 8,
    // activation width (bits per lane), 1..32
    parameter A_W = 8,
    // weight width (signed), 2..32
    parameter W_W = 8,
    // accumulator width, >= 2 (see header for the no-overflow bound)
    parameter ACC_W = 32
)
(
    input  wire                        clk,
    input  wire                        rst,

    /*
     * Configuration, sampled with each beat
     */
    input  wire                        cfg_act_signed,  // activations signed (1) or unsigned (0)

    /*
     * Input beat
     */
    input  wire                        in_valid,
    input  wire                        in_first,        // first beat of a dot product (loads bias)
    input  wire                        in_last,         // last beat: emit the sums
    input  wire [P_IN*A_W-1:0]         in_act,
    input  wire [P_OUT*P_IN*W_W-1:0]   in_wgt,
    input  wire [P_OUT*ACC_W-1:0]      in_bias,         // sampled with the first beat

    /*
     * Output: P_OUT sums, 4 cycles after the last beat
     */
    output wire                        out_valid,
    output wire [P_OUT*ACC_W-1:0]      out_acc
);

// exact product width: (A_W+1)-bit signed activation (covers unsigned) x W_W-bit signed weight
localparam PW = A_W + 1 + W_W;

// check configuration
initial begin
    if (P_IN < 1 || P_OUT < 1) begin
        $error("Error: P_IN and P_OUT must be >= 1 (instance %m)");
        $finish;
    end
    if (A_W < 1 || A_W > 32 || W_W < 2 || W_W > 32) begin
        $error("Error: A_W must be 1..32 and W_W 2..32 (instance %m)");
        $finish;
    end
    if (ACC_W < 2) begin
        $error("Error: ACC_W must be >= 2 (instance %m)");
        $finish;
    end
end

/*
 * Stage 0: input registers (map onto the DSP A/B registers)
 */
reg                       s0_valid, s0_first, s0_last, s0_signed;
reg [P_IN*A_W-1:0]        s0_act;
reg [P_OUT*P_IN*W_W-1:0]  s0_wgt;
reg [P_OUT*ACC_W-1:0]     s0_bias;

always @(posedge clk) begin
    s0_valid  <= in_valid;
    s0_first  <= in_first;
    s0_last   <= in_last;
    s0_signed <= cfg_act_signed;
    s0_act    <= in_act;
    s0_wgt    <= in_wgt;
    s0_bias   <= in_bias;
    if (rst) begin
        s0_valid <= 1'b0;
    end
end

/*
 * Stage 1: P_IN x P_OUT products (DSP M registers)
 */
reg                       s1_valid, s1_first, s1_last;
reg [P_OUT*P_IN*PW-1:0]   s1_prod;
reg [P_OUT*ACC_W-1:0]     s1_bias;

genvar gi, go;
generate
    for (go = 0; go < P_OUT; go = go + 1) begin : g_out
        for (gi = 0; gi < P_IN; gi = gi + 1) begin : g_in
            wire [A_W-1:0] a = s0_act[gi*A_W +: A_W];
            wire [W_W-1:0] w = s0_wgt[(go*P_IN+gi)*W_W +: W_W];
            wire signed [PW-1:0] a_ext = $signed({{(PW-A_W){s0_signed & a[A_W-1]}}, a});
            wire signed [PW-1:0] w_ext = $signed({{(PW-W_W){w[W_W-1]}}, w});
            wire signed [PW-1:0] p = a_ext * w_ext;
            always @(posedge clk) begin
                s1_prod[(go*P_IN+gi)*PW +: PW] <= p;
            end
        end
    end
endgenerate

always @(posedge clk) begin
    s1_valid <= s0_valid;
    s1_first <= s0_first;
    s1_last  <= s0_last;
    s1_bias  <= s0_bias;
    if (rst) begin
        s1_valid <= 1'b0;
    end
end

/*
 * Stage 2: adder tree per output (modulo 2^ACC_W, exact when ACC_W is large enough)
 */
reg                       s2_valid, s2_first, s2_last;
reg [P_OUT*ACC_W-1:0]     s2_sum;
reg [P_OUT*ACC_W-1:0]     s2_bias;

// summing width: at least ACC_W and PW, plus one so the sign extension is never empty;
// only the low ACC_W bits are kept (two's complement sums are exact modulo 2^ACC_W)
localparam EW = (ACC_W > PW ? ACC_W : PW) + 1;

reg [EW-1:0] tree_sum [0:P_OUT-1];
reg [PW-1:0] tree_p;
integer o, i;
always @* begin
    for (o = 0; o < P_OUT; o = o + 1) begin
        tree_sum[o] = {EW{1'b0}};
        for (i = 0; i < P_IN; i = i + 1) begin
            tree_p = s1_prod[(o*P_IN+i)*PW +: PW];
            tree_sum[o] = tree_sum[o] + {{(EW-PW){tree_p[PW-1]}}, tree_p};
        end
    end
end

always @(posedge clk) begin
    s2_valid <= s1_valid;
    s2_first <= s1_first;
    s2_last  <= s1_last;
    s2_bias  <= s1_bias;
    for (o = 0; o < P_OUT; o = o + 1) begin
        s2_sum[o*ACC_W +: ACC_W] <= tree_sum[o][ACC_W-1:0];
    end
    if (rst) begin
        s2_valid <= 1'b0;
    end
end

/*
 * Stage 3: accumulate; hand the finished sums to the output register on the last beat
 */
reg [P_OUT*ACC_W-1:0] acc;
reg [P_OUT*ACC_W-1:0] acc_next;
reg [P_OUT*ACC_W-1:0] out_acc_reg;
reg                   out_valid_reg;

always @* begin
    for (o = 0; o < P_OUT; o = o + 1) begin
        acc_next[o*ACC_W +: ACC_W] = (s2_first ? s2_bias[o*ACC_W +: ACC_W] : acc[o*ACC_W +: ACC_W])
                                     + s2_sum[o*ACC_W +: ACC_W];
    end
end

always @(posedge clk) begin
    out_valid_reg <= s2_valid && s2_last;
    if (s2_valid) begin
        acc <= acc_next;
        if (s2_last) begin
            out_acc_reg <= acc_next;
        end
    end
    if (rst) begin
        out_valid_reg <= 1'b0;
    end
end

// the bits above ACC_W of the adder tree are dropped on purpose (see EW)
wire [P_OUT*(EW-ACC_W)-1:0] unused_tree_high;
generate
    for (go = 0; go < P_OUT; go = go + 1) begin : g_unused
        assign unused_tree_high[go*(EW-ACC_W) +: EW-ACC_W] = tree_sum[go][EW-1:ACC_W];
    end
endgenerate
wire unused_ok = &{1'b0, unused_tree_high};

assign out_valid = out_valid_reg;
assign out_acc = out_acc_reg;

endmodule

`resetall
