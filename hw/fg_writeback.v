/*

fpgagen: the arena's write port - requantized results and max-pool results, one word a cycle

Sources, by priority:
  1. a requantized result (res_valid):
       conv, P_OUT > P_IN: P_OUT lanes = NW = P_OUT / P_IN words res_addr .. res_addr + NW - 1,
         all written in the same cycle: the arena is NW banks (hw/fg_arena.v, word a in bank
         a mod NW at a / NW), so word k goes to bank (res_addr + k) mod NW;
       conv, P_OUT < P_IN: P_OUT lanes into lane group res_group of word res_addr (lane write
         enables; the lanes are replicated across the word, the mask picks the group);
       otherwise (P_OUT = P_IN, average pool, add): one whole word.
     Word k of a result is stored only while k < res_st_left: words past the tensor's last
     channel block are the zero padding of the last output group (res_st_left is signed).
  2. max-pool results, queued in a PF_DEPTH-entry FIFO (the pool unit runs beside a conv on
     the staging memory and must wait for a cycle without a result); `pool_pop` pulses when
     one is written, so the issuer can count credits. A pool result is NW words (the pool
     reads all banks at once), written like a conv result: word k while k < pool_left.

Pixel banks (PP > 1, a pixel-parallel engine): the arena is PP pixel banks of NW word banks
each; a result is PP pixels (res_data holds pixel j's lanes at [j*RL*ACT_W +: RL*ACT_W], RL =
max(P_IN, P_OUT)), all written at res_addr, pixel j to pixel bank j, every word of every pixel
in the same cycle (padding pixels past a row's end included: they are the tensor's own; an
average pool's one pixel is written to every pixel bank, the others' copies are padding). A
max-pool result is one pixel, for pixel bank pool_pix.

The port's outputs are registers (wr_*: one enable, bank address and word per bank; the bank
of each word and its rotation into place are decided before them), driven straight into the
block RAMs' write ports. Latency: a result presented in cycle t is written at the end of
cycle t + 1 with one bank (NW = 1), of cycle t + 2 with NW > 1 banks (a register stage S
holds the chosen source before the rotation), all its words at once.

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
    // max-pool result queue depth, a power of two 2..16
    parameter PF_DEPTH = 4,
    // pixel banks (pixels of a result), 1..16
    parameter PP = 1
)
(
    input  wire                                 clk,
    input  wire                                 rst,

    /*
     * Requantized results
     */
    input  wire                                 res_valid,
    input  wire                                 res_conv,      // P_OUT lanes (else P_IN)
    input  wire [PP*((P_IN > P_OUT) ? P_IN : P_OUT)*ACT_W-1:0] res_data,
    input  wire [AW-1:0]                        res_addr,
    input  wire [CW:0]                          res_st_left,   // signed
    input  wire [((P_IN > P_OUT) ? $clog2(P_IN / P_OUT) : 1)-1:0] res_group,

    /*
     * Max-pool results
     */
    input  wire                                 pool_valid,
    input  wire [((P_OUT > P_IN) ? P_OUT : P_IN)*ACT_W-1:0] pool_data,
    input  wire [AW-1:0]                        pool_addr,
    input  wire [CW:0]                          pool_left,     // signed, words to store
    input  wire [((PP > 1) ? $clog2(PP) : 1)-1:0] pool_pix,    // its pixel bank
    output wire                                 pool_pop,

    output wire                                 busy,

    /*
     * Arena write ports: one per bank (NW = P_OUT / P_IN banks when P_OUT > P_IN, else 1,
     * in each of the PP pixel banks: port p * NW + b); wr_addr holds each bank's address (the
     * word address / NW) in AW bits; wr_mask is every bank's
     */
    output wire [PP*((P_OUT > P_IN) ? P_OUT / P_IN : 1)-1:0]          wr_en,
    output wire [P_IN-1:0]                                          wr_mask,
    output wire [PP*((P_OUT > P_IN) ? P_OUT / P_IN : 1)*AW-1:0]       wr_addr,
    output wire [PP*((P_OUT > P_IN) ? P_OUT / P_IN : 1)*P_IN*ACT_W-1:0] wr_data
);

localparam WORD_W = P_IN * ACT_W;
localparam NW = (P_OUT > P_IN) ? P_OUT / P_IN : 1;
localparam G = (P_IN > P_OUT) ? P_IN / P_OUT : 1;
localparam GW = (G > 1) ? $clog2(G) : 1;
localparam LB = (NW > 1) ? $clog2(NW) : 0;   // bank bits of a word address
localparam PA_W = $clog2(PF_DEPTH);
localparam NB = NW;   // write ports (banks) of a pixel bank
localparam RL = (P_IN > P_OUT) ? P_IN : P_OUT;   // lanes of a result pixel
localparam PXW = (PP > 1) ? $clog2(PP) : 1;

initial begin
    if (P_IN < 1 || P_OUT < 1 || (P_OUT % P_IN != 0 && P_IN % P_OUT != 0)) begin
        $error("Error: P_IN and P_OUT must be >= 1 and one must divide the other (instance %m)");
        $finish;
    end
    if ((G & (G - 1)) != 0 || (NW & (NW - 1)) != 0) begin
        $error("Error: P_IN / P_OUT and P_OUT / P_IN must be powers of two (instance %m)");
        $finish;
    end
    if (PP < 1 || PP > 16) begin
        $error("Error: PP must be 1..16 (instance %m)");
        $finish;
    end
    if (PF_DEPTH < 2 || PF_DEPTH > 16 || (PF_DEPTH & (PF_DEPTH - 1)) != 0) begin
        $error("Error: PF_DEPTH must be a power of two 2..16 (instance %m)");
        $finish;
    end
end

/*
 * Max-pool result queue
 */
reg [NW*WORD_W-1:0] pf_data [0:PF_DEPTH-1];
reg [AW-1:0]        pf_addr [0:PF_DEPTH-1];
reg [CW:0]          pf_left [0:PF_DEPTH-1];
reg [PXW-1:0]       pf_pix  [0:PF_DEPTH-1];
reg [PA_W-1:0]   pf_wp, pf_rp;
reg [PA_W:0]     pf_count;
wire             pf_empty = pf_count == {(PA_W+1){1'b0}};

wire take_pool = !res_valid && !pf_empty;
wire unused_pix = &{1'b0, pf_pix[pf_rp]};   // (PP = 1: one pixel bank)

// a result is wide (NW words a pixel, word k to bank (a + k) mod NW) when it is a conv's
wire res_wide = res_conv;

// the lane groups of a result word when P_OUT < P_IN: a conv's lanes replicated, the mask
// picks the group
wire [P_IN-1:0]   res_mask;
genvar gg;
generate
    if (G > 1) begin : g_groups
        for (gg = 0; gg < G; gg = gg + 1) begin : g_mask
            assign res_mask[gg*P_OUT +: P_OUT] = {P_OUT{!res_conv || res_group == gg[GW-1:0]}};
        end
    end else begin : g_words
        assign res_mask = {P_IN{1'b1}};
        wire unused_group = &{1'b0, res_group};
    end
endgenerate

wire [PP-1:0] s_busy;         // a write in stage S (banked)

reg [PP*NB-1:0]        wr_en_reg;
reg [P_IN-1:0]         wr_mask_reg;
reg [PP*NB*AW-1:0]     wr_addr_reg;
reg [PP*NB*WORD_W-1:0] wr_data_reg;

wire res_store = !res_st_left[CW] && res_st_left != {(CW+1){1'b0}};

genvar bk, px;
generate
    for (px = 0; px < PP; px = px + 1) begin : g_pix
        // pixel px of a result: its first word (lane groups replicated when P_OUT < P_IN)
        wire [RL*ACT_W-1:0] res_px = res_data[px*RL*ACT_W +: RL*ACT_W];
        wire [WORD_W-1:0]   res_word;
        if (G > 1) begin : g_rep
            wire [P_OUT*ACT_W-1:0] lanes = res_px[P_OUT*ACT_W-1:0];
            assign res_word = res_conv ? {G{lanes}} : res_px[WORD_W-1:0];
        end else begin : g_plain
            assign res_word = res_px[WORD_W-1:0];
        end
        // the queued pool result is this pixel bank's
        wire pool_mine = PP == 1 || pf_pix[pf_rp] == px[PXW-1:0];
        if (NW > 1) begin : g_banks
            // Stage S (registers): the source of this cycle's write, a result or else the
            // oldest queued pool result: a wide write (a conv or pool result: NW words) or one
            // word (an average pool or add result) at word address a, and its words to store
            // (left). Stage W (the port registers): word k of a wide write lies in bank
            // (a + k) mod NW at bank address (a >> LB) + 1 when it wraps past the last bank,
            // else (a >> LB): bank b takes word k = (b - a) mod NW, at the next address exactly
            // when b < a mod NW. The two stages keep the queue's read, the source choice and
            // the per-bank rotation in separate cycles (one cycle was 10.3 ns on an ECP5 with
            // 4 banks).
            reg              s_wide, s_one, s_any;
            reg [AW-1:0]     s_addr;
            reg [CW:0]       s_left;
            reg [NW*WORD_W-1:0] s_data;
            reg [WORD_W-1:0] s_word;
            always @(posedge clk) begin
                s_any <= res_valid || (take_pool && pool_mine);
                s_wide <= res_valid ? res_wide : take_pool;
                s_one <= res_valid && !res_wide && res_store;
                s_addr <= res_valid ? res_addr : pf_addr[pf_rp];
                s_left <= res_valid ? res_st_left : pf_left[pf_rp];
                s_data <= res_valid ? res_px[NW*WORD_W-1:0] : pf_data[pf_rp];
                s_word <= res_word;
                if (rst) begin
                    s_any <= 1'b0;
                    s_wide <= 1'b0;
                    s_one <= 1'b0;
                end
            end
            wire [WORD_W-1:0] s_words [0:NW-1];
            wire [LB-1:0] rot = s_addr[LB-1:0];
            wire [AW-1:0] hi = s_addr >> LB;
            wire [AW-1:0] hi_next = hi + {{(AW-1){1'b0}}, 1'b1};
            for (bk = 0; bk < NW; bk = bk + 1) begin : g_bank
                localparam integer PORT = px * NB + bk;
                wire [LB-1:0] k = bk[LB-1:0] - rot;
                assign s_words[bk] = s_data[bk*WORD_W +: WORD_W];
                wire [WORD_W-1:0] word_k = s_words[k];
                // the next bank address when b < a mod NW (never for the last bank)
                wire wraps;
                if (bk < NW - 1) begin : g_wraps
                    assign wraps = rot > bk[LB-1:0];
                end else begin : g_last
                    assign wraps = 1'b0;
                end
                // stored while k < left (signed; k < NW)
                wire keep = !s_left[CW] && s_left > {{(CW+1-LB){1'b0}}, k};
                always @(posedge clk) begin
                    if (s_wide) begin
                        wr_en_reg[PORT] <= s_any && keep;
                        wr_addr_reg[PORT*AW +: AW] <= wraps ? hi_next : hi;
                        wr_data_reg[PORT*WORD_W +: WORD_W] <= word_k;
                    end else begin
                        wr_en_reg[PORT] <= s_one && rot == bk[LB-1:0];
                        wr_addr_reg[PORT*AW +: AW] <= hi;
                        wr_data_reg[PORT*WORD_W +: WORD_W] <= s_word;
                    end
                    if (rst) begin
                        wr_en_reg[PORT] <= 1'b0;
                    end
                end
            end
            assign s_busy[px] = s_any;
        end else begin : g_one
            // one word a cycle, straight into the port registers (a pool result is one word
            // here, always inside the tensor: its `left` is not needed)
            always @(posedge clk) begin
                wr_en_reg[px] <= res_valid ? res_store : take_pool && pool_mine;
                wr_addr_reg[px*AW +: AW] <= res_valid ? res_addr : pf_addr[pf_rp];
                wr_data_reg[px*WORD_W +: WORD_W] <= res_valid ? res_word : pf_data[pf_rp];
                if (rst) begin
                    wr_en_reg[px] <= 1'b0;
                end
            end
            assign s_busy[px] = 1'b0;
            wire unused_left = &{1'b0, pf_left[pf_rp], res_wide};
        end
    end
endgenerate

always @(posedge clk) begin
    wr_mask_reg <= res_valid ? res_mask : {P_IN{1'b1}};
end

always @(posedge clk) begin
    if (pool_valid) begin
        pf_data[pf_wp] <= pool_data;
        pf_addr[pf_wp] <= pool_addr;
        pf_left[pf_wp] <= pool_left;
        pf_pix[pf_wp] <= pool_pix;
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
assign busy = !pf_empty || s_busy != {PP{1'b0}} || wr_en_reg != {(PP*NB){1'b0}};
assign wr_en = wr_en_reg;
assign wr_mask = wr_mask_reg;
assign wr_addr = wr_addr_reg;
assign wr_data = wr_data_reg;

endmodule

`resetall
