/*

fpgagen: the arena's write port - requantized results and max-pool results, one word a cycle

Sources, by priority:
  1. a requantized result (res_valid):
       conv, P_OUT > P_IN: P_OUT lanes = NW = P_OUT / P_IN words, written res_addr,
         res_addr + 1, ... on NW consecutive cycles (the issuer spaces results NW cycles apart);
       conv, P_OUT < P_IN: P_OUT lanes into lane group res_group of word res_addr (lane write
         enables; the lanes are replicated across the word, the mask picks the group);
       otherwise (P_OUT = P_IN, average pool, add): one whole word.
     Word k of a result is stored only while k < res_st_left: words past the tensor's last
     channel block are the zero padding of the last output group (res_st_left must stay
     above -2^CW + NW; fg_conv_agu's never goes below -(NW - 1)).
  2. max-pool results, queued in a PF_DEPTH-entry FIFO (the pool unit runs beside a conv on
     the staging memory and must wait for free cycles); `pool_pop` pulses when one is written,
     so the issuer can count credits.

The port's inputs are registers (wr_*), driven straight into the block RAM's write port.
Latency: a result presented in cycle t is written at the end of cycle t + 1 (word k at t + 1 + k).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_writeback #
(
    // engine lanes: P_IN per arena word, P_OUT per conv result (one divides the other)
    parameter P_IN = 4,
    parameter P_OUT = 8,
    // lane width
    parameter ACT_W = 8,
    // arena address width
    parameter AW = 16,
    // width of res_st_left - 1 (a signed CW+1-bit count)
    parameter CW = 16,
    // max-pool result queue depth, 2 or 4
    parameter PF_DEPTH = 4
)
(
    input  wire                                 clk,
    input  wire                                 rst,

    /*
     * Requantized results
     */
    input  wire                                 res_valid,
    input  wire                                 res_conv,      // P_OUT lanes (else P_IN)
    input  wire [((P_IN > P_OUT) ? P_IN : P_OUT)*ACT_W-1:0] res_data,
    input  wire [AW-1:0]                        res_addr,
    input  wire [CW:0]                          res_st_left,   // signed
    input  wire [((P_IN > P_OUT) ? $clog2(P_IN / P_OUT) : 1)-1:0] res_group,

    /*
     * Max-pool results
     */
    input  wire                                 pool_valid,
    input  wire [P_IN*ACT_W-1:0]                pool_data,
    input  wire [AW-1:0]                        pool_addr,
    output wire                                 pool_pop,

    output wire                                 busy,

    /*
     * Arena write port
     */
    output wire                                 wr_en,
    output wire [P_IN-1:0]                      wr_mask,
    output wire [AW-1:0]                        wr_addr,
    output wire [P_IN*ACT_W-1:0]                wr_data
);

localparam RQL = (P_IN > P_OUT) ? P_IN : P_OUT;
localparam WORD_W = P_IN * ACT_W;
localparam NW = (P_OUT > P_IN) ? P_OUT / P_IN : 1;
localparam G = (P_IN > P_OUT) ? P_IN / P_OUT : 1;
localparam GW = (G > 1) ? $clog2(G) : 1;
localparam NC_W = (NW > 1) ? $clog2(NW) : 1;
localparam PA_W = (PF_DEPTH > 2) ? 2 : 1;

initial begin
    if (P_IN < 1 || P_OUT < 1 || (P_OUT % P_IN != 0 && P_IN % P_OUT != 0)) begin
        $error("Error: P_IN and P_OUT must be >= 1 and one must divide the other (instance %m)");
        $finish;
    end
    if (G > 1 && (G & (G - 1)) != 0) begin
        $error("Error: P_IN / P_OUT must be a power of two (instance %m)");
        $finish;
    end
    if (PF_DEPTH != 2 && PF_DEPTH != 4) begin
        $error("Error: PF_DEPTH must be 2 or 4 (instance %m)");
        $finish;
    end
end

/*
 * Max-pool result queue
 */
reg [WORD_W-1:0] pf_data [0:PF_DEPTH-1];
reg [AW-1:0]     pf_addr [0:PF_DEPTH-1];
reg [PA_W-1:0]   pf_wp, pf_rp;
reg [PA_W:0]     pf_count;
wire             pf_empty = pf_count == {(PA_W+1){1'b0}};

/*
 * Burst of a wide conv result
 */
reg [RQL*ACT_W-1:0] b_data;
reg [AW-1:0]        b_addr;
reg [CW:0]          b_left;
reg [NC_W-1:0]      b_cnt;      // words still to write
wire                b_active = b_cnt != {NC_W{1'b0}};

wire take_pool = !res_valid && !b_active && !pf_empty;

// the first word of a result: lane groups replicated when P_OUT < P_IN
wire [WORD_W-1:0] res_word;
wire [P_IN-1:0]   res_mask;
genvar gg;
generate
    if (G > 1) begin : g_groups
        wire [P_OUT*ACT_W-1:0] lanes = res_data[P_OUT*ACT_W-1:0];
        assign res_word = res_conv ? {G{lanes}} : res_data[WORD_W-1:0];
        for (gg = 0; gg < G; gg = gg + 1) begin : g_mask
            assign res_mask[gg*P_OUT +: P_OUT] = {P_OUT{!res_conv || res_group == gg[GW-1:0]}};
        end
    end else begin : g_words
        assign res_word = res_data[WORD_W-1:0];
        assign res_mask = {P_IN{1'b1}};
        wire unused_group = &{1'b0, res_group};
    end
endgenerate

wire res_store = !res_st_left[CW] && res_st_left != {(CW+1){1'b0}};
wire b_store = !b_left[CW] && b_left != {(CW+1){1'b0}};

reg              wr_en_reg;
reg [P_IN-1:0]   wr_mask_reg;
reg [AW-1:0]     wr_addr_reg;
reg [WORD_W-1:0] wr_data_reg;

always @(posedge clk) begin
    wr_en_reg <= 1'b0;
    wr_mask_reg <= {P_IN{1'b1}};
    if (res_valid) begin
        wr_en_reg <= res_store;
        wr_mask_reg <= res_mask;
        wr_addr_reg <= res_addr;
        wr_data_reg <= res_word;
        if (NW > 1 && res_conv) begin
            b_data <= res_data >> WORD_W;
            b_addr <= res_addr + {{(AW-1){1'b0}}, 1'b1};
            b_left <= res_st_left - {{CW{1'b0}}, 1'b1};
            b_cnt <= NW[NC_W-1:0] - {{(NC_W-1){1'b0}}, 1'b1};
        end
    end else if (b_active) begin
        wr_en_reg <= b_store;
        wr_addr_reg <= b_addr;
        wr_data_reg <= b_data[WORD_W-1:0];
        b_data <= b_data >> WORD_W;
        b_addr <= b_addr + {{(AW-1){1'b0}}, 1'b1};
        b_left <= b_left - {{CW{1'b0}}, 1'b1};
        b_cnt <= b_cnt - {{(NC_W-1){1'b0}}, 1'b1};
    end else if (take_pool) begin
        wr_en_reg <= 1'b1;
        wr_addr_reg <= pf_addr[pf_rp];
        wr_data_reg <= pf_data[pf_rp];
    end
    if (rst) begin
        wr_en_reg <= 1'b0;
        b_cnt <= {NC_W{1'b0}};
    end
end

always @(posedge clk) begin
    if (pool_valid) begin
        pf_data[pf_wp] <= pool_data;
        pf_addr[pf_wp] <= pool_addr;
        pf_wp <= pf_wp + {{(PA_W-1){1'b0}}, 1'b1};
    end
    if (take_pool) begin
        pf_rp <= pf_rp + {{(PA_W-1){1'b0}}, 1'b1};
    end
    if (pool_valid && !take_pool) begin
        pf_count <= pf_count + {{PA_W{1'b0}}, 1'b1};
    end else if (take_pool && !pool_valid) begin
        pf_count <= pf_count - {{PA_W{1'b0}}, 1'b1};
    end
    if (rst) begin
        pf_wp <= {PA_W{1'b0}};
        pf_rp <= {PA_W{1'b0}};
        pf_count <= {(PA_W+1){1'b0}};
    end
end

assign pool_pop = take_pool;
assign busy = b_active || !pf_empty || wr_en_reg;
assign wr_en = wr_en_reg;
assign wr_mask = wr_mask_reg;
assign wr_addr = wr_addr_reg;
assign wr_data = wr_data_reg;

endmodule

`resetall
