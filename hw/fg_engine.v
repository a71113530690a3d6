/*

fpgagen: the engine - a sequencer that walks the layer table over one P_IN x P_OUT MAC array

One runtime-parameterized machine runs every layer of the network (DESIGN.md section 4), with
exactly the semantics of the HLS C++ engine (templates/hls/fpgagen.cpp.j2):

    load:    the image (one value per in_stream beat, HWC) into the staging memory,
             one word of IN_C lanes per pixel, pixel p in bank p mod TAPS
    table:   for every layer-table row (fpgagen/layertable.py, one TBL_W-bit field each):
               conv     per output pixel and output group, K*K*in_blocks beats of the MAC
                        array (bias with the first beat), ReLU, requantize, write P_OUT lanes;
                        a conv on the image packs TAPS kernel columns into a beat's lanes
               maxpool  per output row, block and pixel, every tap of the window through
                        fg_maxpool (taps that overhang the edge, Caffe ceil mode, do not
                        count); columns shared with the previous window are carried
               avgpool  per block, the sum over H*W, times M, requantize
               add      per pixel and block, (a << align0) + (b << align1), ReLU, requantize
             a conv with fuse_pool runs interleaved with the max-pool after it: conv rows go
             into a ring of rows and each pool row runs as soon as its window rows exist;
             when the conv reads the staging memory the pool rows run concurrently on a
             second issuer (the arena's read port is free), otherwise in alternating phases
    output:  the logits, one per out_stream beat, TLAST on the last

Schedule: one issue stage walks the loop nest of the current layer and issues one beat per
cycle (addresses registered, then the memories' one-cycle read; max-pools have an issuer of
their own, which can run alongside a conv on the staging memory), so a conv keeps the MAC array
busy every cycle across pixels, output groups and taps; the requantize and the arena writes
of one dot product overlap the next. When P_OUT > P_IN a result needs P_OUT / P_IN arena
writes; dot products shorter than that are spaced so the single write port keeps up.
Between layers (and between the row phases of a fused conv/pool) the pipeline drains.

Memories: the activation arena (word = P_IN lanes of ACT_W bits, per-lane write enables), the
input staging memory, the weight ROM (one word feeds the whole array), the bias ROM and the
layer table, all initialized from $readmemh files written by the compiler.

Control: ap_ctrl_hs (ap_start held until ap_ready; ap_done and ap_ready one cycle at the end;
ap_idle high when not running).

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_engine #
(
    // MAC array: P_IN input lanes (the activation word) x P_OUT outputs; one must divide the other
    parameter P_IN = 4,
    parameter P_OUT = 8,
    // stored activation lane width (2..32)
    parameter ACT_W = 8,
    // input image value width and channels per pixel (IN_C <= P_IN)
    parameter IN_W = 8,
    parameter IN_C = 3,
    // kernel columns per beat of the conv on the image (a power of two, TAPS * IN_C <= P_IN):
    // the staging memory is TAPS banks, pixel p in bank p mod TAPS
    parameter TAPS = 1,
    // weight and bias widths (signed)
    parameter W_W = 8,
    parameter B_W = 16,
    // accumulator width: covers every conv, sum*M of the avgpool and the aligned add
    parameter ACC_W = 32,
    // output logit width (<= ACT_W) and signedness
    parameter OUT_W = 8,
    parameter OUT_SIGNED = 0,
    // largest exact left shift of a requantization (negative shift)
    parameter MAX_LSHIFT = 0,
    // layer table rows and memory depths (words)
    parameter N_LAYERS = 1,
    parameter ARENA_DEPTH = 64,
    parameter STAGE_DEPTH = 64,
    parameter WMEM_DEPTH = 64,
    parameter BMEM_DEPTH = 8,
    // the output tensor: first arena word and number of logits
    parameter OUT_BASE = 0,
    parameter OUT_COUNT = 8,
    // memory-init files ("" = none, for lint)
    parameter TABLE_FILE = "",
    parameter WEIGHTS_FILE = "",
    parameter BIASES_FILE = "",
    // ram_style / rom_style of the arena, the staging memory, the weight and bias ROMs
    // (ROMs: "block", "distributed" or "auto"; URAM has no initial contents)
    parameter ARENA_STYLE = "block",
    parameter STAGE_STYLE = "block",
    parameter WEIGHT_STYLE = "block",
    parameter BIAS_STYLE = "block",
    // AXI4-Stream TDATA widths (the value rounded up to whole bytes)
    parameter IN_TDATA_W = ((IN_W + 7) / 8) * 8,
    parameter OUT_TDATA_W = ((OUT_W + 7) / 8) * 8
)
(
    input  wire                    clk,
    input  wire                    rst,

    /*
     * Control (ap_ctrl_hs)
     */
    input  wire                    ap_start,
    output wire                    ap_done,
    output wire                    ap_idle,
    output wire                    ap_ready,

    /*
     * Image input, one value per beat (HWC)
     */
    input  wire [IN_TDATA_W-1:0]   in_stream_TDATA,
    input  wire                    in_stream_TVALID,
    output wire                    in_stream_TREADY,

    /*
     * Logits output, one value per beat, TLAST on the last
     */
    output wire [OUT_TDATA_W-1:0]  out_stream_TDATA,
    output wire                    out_stream_TVALID,
    input  wire                    out_stream_TREADY,
    output wire                    out_stream_TLAST
);

// layer table: 36 fields of TBL_W bits per row, field order of fpgagen.layertable.FIELD_NAMES
localparam TBL_W = 32;
localparam NF = 36;
localparam RW = NF * TBL_W;
localparam F_OP = 0, F_IN_H = 1, F_IN_W = 2, F_IN_BLOCKS = 3, F_IN_BASE = 4, F_IN_STRIDE = 5,
           F_IN_RING = 6, F_IN_STAGING = 7, F_IN_SIGNED = 8, F_IN2_BASE = 9, F_IN2_STRIDE = 10,
           F_IN2_SIGNED = 11, F_ALIGN0 = 12, F_ALIGN1 = 13, F_OUT_H = 14, F_OUT_W = 15,
           F_OUT_BLOCKS = 16, F_OUT_BASE = 17, F_OUT_STRIDE = 18, F_OUT_RING = 19,
           F_OUT_SIGNED = 20, F_OUT_WIDTH = 21, F_KERNEL = 22, F_STRIDE = 23, F_PAD = 24,
           F_OUT_GROUPS = 25, F_W_BASE = 26, F_B_BASE = 27, F_BIAS_SHIFT = 28, F_SHIFT = 29,
           F_ROUNDING = 30, F_SATURATION = 31, F_RELU = 32, F_AVG_MULT = 33, F_FUSE_POOL = 34;
localparam OP_CONV = 0, OP_MAXPOOL = 1, OP_AVGPOOL = 2, OP_ADD = 3;

// activations enter the MAC array sign-extended to one common signed width
localparam XA_W = ((ACT_W > IN_W) ? ACT_W : IN_W) + 1;
// requantize lanes: conv results (P_OUT) or one activation word (P_IN)
localparam RQL = (P_IN > P_OUT) ? P_IN : P_OUT;
// arena words written per conv result
localparam NW = (P_OUT > P_IN) ? P_OUT / P_IN : 1;
localparam AA_W = (ARENA_DEPTH > 1) ? $clog2(ARENA_DEPTH) : 1;
localparam LT = (TAPS > 1) ? $clog2(TAPS) : 0;
localparam LTW = (LT > 0) ? LT : 1;                     // bank index width
localparam SB_DEPTH = (STAGE_DEPTH + TAPS - 1) / TAPS;   // words per staging bank
localparam SA_W = (SB_DEPTH > 1) ? $clog2(SB_DEPTH) : 1;
localparam WA_W = (WMEM_DEPTH > 1) ? $clog2(WMEM_DEPTH) : 1;
localparam BA_W = (BMEM_DEPTH > 1) ? $clog2(BMEM_DEPTH) : 1;
localparam LA_W = (N_LAYERS > 1) ? $clog2(N_LAYERS + 1) : 1;
localparam WORD_W = P_IN * ACT_W;
localparam N_OUT_WORDS = (OUT_COUNT + P_IN - 1) / P_IN;
localparam OCNT_W = $clog2(P_IN + 1);
localparam ICNT_W = $clog2(IN_C + 1);
// cycles from the last issued beat until its arena write has happened
localparam DRAIN = 2 + 4 + 2 + NW + 2;

initial begin
    if (P_IN < 1 || P_OUT < 1 || (P_OUT % P_IN != 0 && P_IN % P_OUT != 0)) begin
        $error("Error: P_IN and P_OUT must be >= 1 and one must divide the other (instance %m)");
        $finish;
    end
    if (IN_C < 1 || IN_C > P_IN || OUT_W > ACT_W || ACT_W < 2) begin
        $error("Error: need 1 <= IN_C <= P_IN, 2 <= ACT_W, OUT_W <= ACT_W (instance %m)");
        $finish;
    end
    if (TAPS < 1 || (1 << LT) != TAPS || TAPS * IN_C > P_IN) begin
        $error("Error: TAPS must be a power of two with TAPS * IN_C <= P_IN (instance %m)");
        $finish;
    end
end

/*
 * Memories
 */
// a few rows read combinationally: synthesis makes it logic (no style forced: yosys cannot
// map a wide asynchronous ROM onto LUTRAM, Vivado makes LUTs of it either way)
reg [RW-1:0] table_mem [0:N_LAYERS-1];

(* ram_style = ARENA_STYLE *)
reg [WORD_W-1:0] arena [0:ARENA_DEPTH-1];
reg [WORD_W-1:0] arena_rd_data;

initial begin
    // string parameters compare at their own widths: the padding is intended
    /* verilator lint_off WIDTHEXPAND */
    if (ARENA_STYLE == "") begin
        $error("Error: ARENA_STYLE must name a ram_style (instance %m)");
        $finish;
    end
    if (TABLE_FILE != "") begin
        $readmemh(TABLE_FILE, table_mem);
    end
    /* verilator lint_on WIDTHEXPAND */
end

wire               arena_wr_en;
wire [AA_W-1:0]    arena_wr_addr;
wire [WORD_W-1:0]  arena_wr_data;
wire [P_IN-1:0]    arena_wr_mask;
wire [AA_W-1:0]    arena_rd_addr;

integer wl;
always @(posedge clk) begin
    if (arena_wr_en) begin
        for (wl = 0; wl < P_IN; wl = wl + 1) begin
            if (arena_wr_mask[wl]) begin
                arena[arena_wr_addr][wl*ACT_W +: ACT_W] <= arena_wr_data[wl*ACT_W +: ACT_W];
            end
        end
    end
    arena_rd_data <= arena[arena_rd_addr];
end

wire                    stage_wr_en;
wire [LTW-1:0]          stage_wr_bank;
wire [SA_W-1:0]         stage_wr_addr;
wire [IN_C*IN_W-1:0]    stage_wr_data;
wire [TAPS*SA_W-1:0]    stage_rd_addr;      // one address per bank
wire [TAPS*IN_C*IN_W-1:0] stage_rd_data;    // bank b at [b*IN_C*IN_W +: IN_C*IN_W]

genvar gs;
generate
    for (gs = 0; gs < TAPS; gs = gs + 1) begin : g_stage
        fg_sdp_ram #(
            .WIDTH(IN_C*IN_W), .DEPTH(SB_DEPTH), .ADDR_W(SA_W), .RAM_STYLE(STAGE_STYLE)
        ) stage_inst (
            .clk(clk),
            .wr_en(stage_wr_en && (LT == 0 || stage_wr_bank == gs)),
            .wr_addr(stage_wr_addr), .wr_data(stage_wr_data),
            .rd_en(1'b1), .rd_addr(stage_rd_addr[gs*SA_W +: SA_W]),
            .rd_data(stage_rd_data[gs*IN_C*IN_W +: IN_C*IN_W])
        );
    end
endgenerate

wire [WA_W-1:0]             wmem_addr;
wire [P_OUT*P_IN*W_W-1:0]   wmem_data;
wire [BA_W-1:0]             bmem_addr;
wire [P_OUT*B_W-1:0]        bmem_data;

fg_rom #(
    .WIDTH(P_OUT*P_IN*W_W), .DEPTH(WMEM_DEPTH), .ADDR_W(WA_W), .ROM_STYLE(WEIGHT_STYLE),
    .INIT_FILE(WEIGHTS_FILE)
) wmem_inst (
    .clk(clk), .rd_en(1'b1), .rd_addr(wmem_addr), .rd_data(wmem_data)
);

fg_rom #(
    .WIDTH(P_OUT*B_W), .DEPTH(BMEM_DEPTH), .ADDR_W(BA_W), .ROM_STYLE(BIAS_STYLE),
    .INIT_FILE(BIASES_FILE)
) bmem_inst (
    .clk(clk), .rd_en(1'b1), .rd_addr(bmem_addr), .rd_data(bmem_data)
);

/*
 * Control state machine
 */
localparam S_IDLE = 4'd0, S_LOAD = 4'd1, S_FETCH = 4'd2, S_PLAN = 4'd3, S_RUN = 4'd4,
           S_DRAIN = 4'd5, S_NEXT = 4'd6, S_OUT_RD = 4'd7, S_OUT_WORD = 4'd8,
           S_OUT_WAIT = 4'd9, S_DONE = 4'd10, S_FZ = 4'd11, S_POOL = 4'd12;

reg [3:0]          state;
reg [LA_W-1:0]     entry;          // current table row
reg                fused_mode;     // running a conv fused with the pool in row entry + 1
reg                ph_pool;        // the current phase runs the pool row (entry + 1)
reg signed [31:0]  fz_py, fz_next; // fused: next pool row, next conv row
reg                fz_conc;        // fused pair run concurrently (the conv reads staging)
reg signed [31:0]  fz_done;        // concurrent: conv rows whose arena writes are complete
reg signed [31:0]  fz_pdone_s;     // concurrent: pool rows fully issued, times the pool stride
reg [31:0]         load_cnt;
reg [7:0]          drain_cnt;
reg [31:0]         out_word;

// the rows of the current entry and the one after it (read combinationally from the table)
wire [LA_W-1:0] entry_p1 = entry + {{(LA_W-1){1'b0}}, 1'b1};
wire [RW-1:0] row_c = table_mem[entry];
wire [31:0] entry_next = {{(32-LA_W){1'b0}}, entry} + (fused_mode ? 32'd2 : 32'd1);
wire [RW-1:0] row_p = table_mem[(entry_p1 < N_LAYERS[LA_W-1:0]) ? entry_p1 : entry];

// the row of the running phase, registered at phase start; the pool's row of a fused pair
reg [RW-1:0] L;
reg [RW-1:0] LP;

function signed [31:0] fld;
    input [RW-1:0] r;
    input integer i;
    begin
        fld = r[i*TBL_W +: TBL_W];
    end
endfunction

wire signed [31:0] l_op = fld(L, F_OP);
wire signed [31:0] l_in_h = fld(L, F_IN_H);
wire signed [31:0] l_in_w = fld(L, F_IN_W);
wire signed [31:0] l_in_blocks = fld(L, F_IN_BLOCKS);
wire signed [31:0] l_in_base = fld(L, F_IN_BASE);
wire signed [31:0] l_in_stride = fld(L, F_IN_STRIDE);
wire signed [31:0] l_in_ring = fld(L, F_IN_RING);
wire               l_in_staging = L[F_IN_STAGING*TBL_W];
wire               l_in_signed = L[F_IN_SIGNED*TBL_W];
wire signed [31:0] l_in2_base = fld(L, F_IN2_BASE);
wire signed [31:0] l_in2_stride = fld(L, F_IN2_STRIDE);
wire               l_in2_signed = L[F_IN2_SIGNED*TBL_W];
wire [4:0]         l_align0 = L[F_ALIGN0*TBL_W +: 5];
wire [4:0]         l_align1 = L[F_ALIGN1*TBL_W +: 5];
wire signed [31:0] l_out_w = fld(L, F_OUT_W);
wire signed [31:0] l_out_blocks = fld(L, F_OUT_BLOCKS);
wire signed [31:0] l_out_base = fld(L, F_OUT_BASE);
wire signed [31:0] l_out_stride = fld(L, F_OUT_STRIDE);
wire signed [31:0] l_out_ring = fld(L, F_OUT_RING);
wire               l_out_signed = L[F_OUT_SIGNED*TBL_W];
wire [6:0]         l_out_width = L[F_OUT_WIDTH*TBL_W +: 7];
wire signed [31:0] l_kernel = fld(L, F_KERNEL);
wire signed [31:0] l_stride = fld(L, F_STRIDE);
wire signed [31:0] l_pad = fld(L, F_PAD);
wire signed [31:0] l_out_groups = fld(L, F_OUT_GROUPS);
wire signed [31:0] l_w_base = fld(L, F_W_BASE);
wire signed [31:0] l_b_base = fld(L, F_B_BASE);
wire [6:0]         l_bias_shift = L[F_BIAS_SHIFT*TBL_W +: 7];
wire [6:0]         l_shift = L[F_SHIFT*TBL_W +: 7];
wire [1:0]         l_rounding = L[F_ROUNDING*TBL_W +: 2];
wire               l_saturation = L[F_SATURATION*TBL_W];
wire               l_relu = L[F_RELU*TBL_W];
wire signed [31:0] l_avg_mult = fld(L, F_AVG_MULT);

wire signed [31:0] lp_in_h = fld(LP, F_IN_H);
wire signed [31:0] lp_in_w = fld(LP, F_IN_W);
wire signed [31:0] lp_in_blocks = fld(LP, F_IN_BLOCKS);
wire signed [31:0] lp_in_base = fld(LP, F_IN_BASE);
wire signed [31:0] lp_in_stride = fld(LP, F_IN_STRIDE);
wire signed [31:0] lp_in_ring = fld(LP, F_IN_RING);
wire               lp_in_signed = LP[F_IN_SIGNED*TBL_W];
wire signed [31:0] lp_out_w = fld(LP, F_OUT_W);
wire signed [31:0] lp_out_base = fld(LP, F_OUT_BASE);
wire signed [31:0] lp_out_stride = fld(LP, F_OUT_STRIDE);
wire signed [31:0] lp_kernel = fld(LP, F_KERNEL);
wire signed [31:0] lp_stride = fld(LP, F_STRIDE);
wire signed [31:0] lp_pad = fld(LP, F_PAD);

wire is_conv = l_op == OP_CONV;
wire is_avgpool = l_op == OP_AVGPOOL;
wire is_add = l_op == OP_ADD;

// fused conv/pool: the conv rows the next pool row needs
wire signed [31:0] c_out_h = fld(row_c, F_OUT_H);
wire signed [31:0] p_out_h = fld(row_p, F_OUT_H);
wire signed [31:0] fz_need_raw = fz_py * fld(row_p, F_STRIDE) - fld(row_p, F_PAD)
                                 + fld(row_p, F_KERNEL) - 32'sd1;
wire signed [31:0] fz_need = (fz_need_raw > c_out_h - 32'sd1) ? c_out_h - 32'sd1 : fz_need_raw;
// concurrent: conv row fz_next overwrites ring slot fz_next % R, which held row fz_next - R;
// every pool row that reads that row (py <= (fz_next - R + pad) / S) must be issued first
wire fz_gate = fz_next - lp_in_ring + lp_pad < fz_pdone_s;

// phase row range, issue start/finish
reg signed [31:0] ph_y0, ph_y1;
reg               iss_start;
wire              iss_done;

// the pool issuer of a concurrent fused pair (start, first row), and its write credits
localparam PF_DEPTH = 4;
reg               q_run, q_start;
reg signed [31:0] q_oy0, q_oy1;  // the pool rows of the next q_start: [q_oy0, q_oy1)
reg [2:0]         pf_credit;

// output stream
wire              os_ready;
wire              os_last_word = out_word == N_OUT_WORDS - 1;
wire              ostream_last_beat = out_stream_TVALID && out_stream_TREADY && out_stream_TLAST;

// image input
wire              in_word_valid;
wire [IN_C*IN_W-1:0] in_word;
assign stage_wr_en = state == S_LOAD && in_word_valid;
assign stage_wr_bank = (LT > 0) ? load_cnt[LTW-1:0] : {LTW{1'b0}};
wire [31:0] load_word = load_cnt >> LT;
assign stage_wr_addr = load_word[SA_W-1:0];
assign stage_wr_data = in_word;

// debug (testbench only, read hierarchically): the entry a cycle belongs to, entry completion
/* verilator lint_off UNUSEDSIGNAL */
reg               dbg_busy;
reg [LA_W-1:0]    dbg_entry;
reg               dbg_entry_done;
/* verilator lint_on UNUSEDSIGNAL */

always @(posedge clk) begin
    iss_start <= 1'b0;
    q_start <= 1'b0;
    dbg_entry_done <= 1'b0;
    case (state)
        S_IDLE: begin
            if (ap_start) begin
                state <= S_LOAD;
                load_cnt <= 32'd0;
            end
        end
        S_LOAD: begin
            if (in_word_valid) begin
                load_cnt <= load_cnt + 32'd1;
                if (load_cnt == STAGE_DEPTH - 1) begin
                    state <= S_FETCH;
                    entry <= {LA_W{1'b0}};
                end
            end
        end
        S_FETCH: begin
            fused_mode <= row_c[F_FUSE_POOL*TBL_W];
            fz_conc <= row_c[F_FUSE_POOL*TBL_W] && row_c[F_IN_STAGING*TBL_W];
            fz_py <= 32'sd0;
            fz_next <= 32'sd0;
            ph_pool <= 1'b0;
            L <= row_c;
            LP <= row_p;
            ph_y0 <= 32'sd0;
            ph_y1 <= c_out_h;
            if (row_c[F_FUSE_POOL*TBL_W] && row_c[F_IN_STAGING*TBL_W]) begin
                // the conv reads the staging memory: its pool rows run alongside (S_FZ)
                state <= S_FZ;
            end else if (row_c[F_FUSE_POOL*TBL_W]) begin
                state <= S_PLAN;
            end else if (fld(row_c, F_OP) == OP_MAXPOOL) begin
                // every max-pool runs on the pool issuer
                LP <= row_c;
                q_oy0 <= 32'sd0;
                q_oy1 <= c_out_h;
                q_start <= 1'b1;
                state <= S_POOL;
            end else begin
                state <= S_RUN;
                iss_start <= 1'b1;
            end
        end
        S_PLAN: begin
            // fused conv/pool: conv rows up to what pool row fz_py needs, then that pool row
            if (fz_need >= fz_next) begin
                L <= row_c;
                ph_pool <= 1'b0;
                ph_y0 <= fz_next;
                ph_y1 <= fz_need + 32'sd1;
                fz_next <= fz_need + 32'sd1;
                state <= S_RUN;
                iss_start <= 1'b1;
            end else begin
                ph_pool <= 1'b1;
                q_oy0 <= fz_py;
                q_oy1 <= fz_py + 32'sd1;
                q_start <= 1'b1;
                fz_py <= fz_py + 32'sd1;
                state <= S_POOL;
            end
        end
        S_POOL: begin
            // the pool issuer's rows, until every result is in the arena (nothing to drain)
            if (!q_run && !q_start && pf_credit == 3'd0) begin
                state <= S_DRAIN;
                drain_cnt <= 8'd1;
            end
        end
        S_FZ: begin
            // conv rows one by one, as soon as the ring slot each overwrites has been read
            if (!iss_run && !iss_start && fz_next < c_out_h && fz_gate) begin
                ph_y0 <= fz_next;
                ph_y1 <= fz_next + 32'sd1;
                fz_next <= fz_next + 32'sd1;
                iss_start <= 1'b1;
            end
            // pool rows (own issuer, arena read port), as soon as their conv rows are written
            if (!q_run && !q_start && fz_py < p_out_h && fz_done > fz_need) begin
                q_start <= 1'b1;
                q_oy0 <= fz_py;
                q_oy1 <= fz_py + 32'sd1;
                fz_py <= fz_py + 32'sd1;
            end
            if (fz_next == c_out_h && !iss_run && !iss_start && fz_py == p_out_h && !q_run
                    && !q_start && pf_credit == 3'd0) begin
                state <= S_DRAIN;
                drain_cnt <= DRAIN[7:0];
            end
        end
        S_RUN: begin
            if (iss_done && !iss_start) begin
                state <= S_DRAIN;
                drain_cnt <= DRAIN[7:0];
            end
        end
        S_DRAIN: begin
            drain_cnt <= drain_cnt - 8'd1;
            if (drain_cnt == 8'd1) begin
                if (fused_mode && fz_py < p_out_h) begin
                    state <= S_PLAN;
                end else begin
                    state <= S_NEXT;
                    dbg_entry_done <= 1'b1;
                end
            end
        end
        S_NEXT: begin
            if (entry_next >= N_LAYERS) begin
                state <= S_OUT_RD;
                out_word <= 32'd0;
            end else begin
                entry <= entry_next[LA_W-1:0];
                state <= S_FETCH;
            end
        end
        S_OUT_RD: begin
            state <= S_OUT_WORD;  // the arena word is read in this cycle
        end
        S_OUT_WORD: begin
            if (os_ready) begin
                if (os_last_word) begin
                    state <= S_OUT_WAIT;
                end else begin
                    out_word <= out_word + 32'd1;
                    state <= S_OUT_RD;
                end
            end
        end
        S_OUT_WAIT: begin
            if (ostream_last_beat) begin
                state <= S_DONE;
            end
        end
        S_DONE: begin
            state <= S_IDLE;
        end
        default: state <= S_IDLE;
    endcase
    dbg_busy <= state == S_FETCH || state == S_PLAN || state == S_RUN || state == S_DRAIN
                || state == S_FZ || state == S_POOL;
    // a concurrent pair's cycles count for the conv until its last row is issued
    dbg_entry <= (fused_mode && (ph_pool || (fz_conc && fz_next == c_out_h && !iss_run
                                            && !iss_start))) ? entry_p1 : entry;
    if (rst) begin
        state <= S_IDLE;
        iss_start <= 1'b0;
        fused_mode <= 1'b0;
        fz_conc <= 1'b0;
        q_start <= 1'b0;
        ph_pool <= 1'b0;
        entry <= {LA_W{1'b0}};
        dbg_busy <= 1'b0;
        dbg_entry_done <= 1'b0;
    end
end

assign ap_idle = state == S_IDLE;

assign ap_done = state == S_DONE;
assign ap_ready = state == S_DONE;

/*
 * Image input: IN_C values per staging word
 */
wire in_tready_int;

fg_axis_in #(.A_W(IN_W), .LANES(IN_C), .TDATA_W(IN_TDATA_W)) axis_in_inst (
    .clk(clk), .rst(rst), .clear(state == S_IDLE), .cfg_count({ICNT_W{1'b0}}),
    .in_stream_TDATA(in_stream_TDATA), .in_stream_TVALID(in_stream_TVALID && state == S_LOAD),
    .in_stream_TREADY(in_tready_int),
    .m_valid(in_word_valid), .m_ready(state == S_LOAD), .m_data(in_word)
);

assign in_stream_TREADY = in_tready_int && state == S_LOAD;

/*
 * Issue stage (I0): the loop nest of the running phase, one beat per cycle
 */
reg               iss_run;
reg signed [31:0] c_oy, c_ox, c_og, c_ky, c_kx, c_cb, c_p;
reg               c_half;      // add: 0 reads operand a, 1 reads operand b
reg signed [31:0] c_waddr;     // conv: weight word of this beat
reg [7:0]         c_cool;      // conv: cycles until the next result may be issued

assign iss_done = !iss_run;

// beat geometry
wire signed [31:0] b_iy = c_oy * l_stride + c_ky - l_pad;
// a conv on the image walks kernel columns in groups of TAPS (c_kx = the group)
wire               b_packed = is_conv && l_in_staging;
wire signed [31:0] b_kx0 = b_packed ? c_kx * TAPS : c_kx;
wire signed [31:0] b_ix = c_ox * l_stride + b_kx0 - l_pad;
wire b_inside = b_iy >= 0 && b_iy < l_in_h && b_ix >= 0 && b_ix < l_in_w;
wire signed [31:0] b_irow = (l_in_ring != 0) ? b_iy % l_in_ring : b_iy;
wire signed [31:0] b_orow = (l_out_ring != 0) ? c_oy % l_out_ring : c_oy;
wire signed [31:0] b_pix_addr_win = l_in_base + (b_irow * l_in_w + b_ix) * l_in_stride + c_cb;
wire signed [31:0] b_addr_a = l_in_base + c_p * l_in_stride + c_cb;
wire signed [31:0] b_addr_b = l_in2_base + c_p * l_in2_stride + c_cb;
wire signed [31:0] b_out_pix = l_out_base + (b_orow * l_out_w + c_ox) * l_out_stride;
wire signed [31:0] b_taps_last_cb = l_in_blocks - 32'sd1;
wire signed [31:0] b_k1 = l_kernel - 32'sd1;
wire signed [31:0] b_kx1 = b_packed ? ((l_kernel + TAPS - 1) >>> LT) - 32'sd1 : b_k1;
wire signed [31:0] b_npix = l_in_h * l_in_w;

wire b_conv_first = c_ky == 0 && c_kx == 0 && c_cb == 0;
wire b_conv_last = c_ky == b_k1 && c_kx == b_kx1 && c_cb == b_taps_last_cb;

// staging: tap t of the beat is pixel p0 + t, in bank (p0 + t) mod TAPS; bank b reads the
// tap with (p0 + t) mod TAPS = b. Taps outside the image or past the kernel read zeros.
wire signed [31:0] b_p0 = b_iy * l_in_w + b_ix;
reg [TAPS*SA_W-1:0] b_saddr;
reg [TAPS-1:0]      b_tap_in;
integer bt;
always @* begin
    for (bt = 0; bt < TAPS; bt = bt + 1) begin
        b_saddr[bt*SA_W +: SA_W] = SA_W'((b_p0 + ((bt - b_p0) & (TAPS - 1))) >>> LT);
        b_tap_in[bt] = b_iy >= 0 && b_iy < l_in_h && b_ix + bt >= 0 && b_ix + bt < l_in_w
                       && b_kx0 + bt < l_kernel;
    end
end
wire b_stall = is_conv && b_conv_last && c_cool != 8'd0;

// the beat, as the next stage registers it
reg               n_valid, n_first, n_last, n_inside;
reg signed [31:0] n_raddr, n_waddr, n_baddr;
reg signed [31:0] n_pix, n_word0, n_lane0;

always @* begin
    n_valid = iss_run && !b_stall;
    n_first = 1'b0;
    n_last = 1'b0;
    n_inside = 1'b1;
    n_raddr = b_pix_addr_win;
    n_waddr = c_waddr;
    n_baddr = l_b_base + c_og;
    n_pix = b_out_pix;
    n_word0 = c_cb;
    n_lane0 = 32'sd0;
    if (is_conv) begin
        n_first = b_conv_first;
        n_last = b_conv_last;
        n_inside = b_inside;
        n_word0 = (c_og * P_OUT) / P_IN;
        n_lane0 = (c_og * P_OUT) % P_IN;
    end else if (is_avgpool) begin
        n_raddr = b_addr_a;
        n_first = c_p == 0;
        n_last = c_p == b_npix - 32'sd1;
        n_pix = l_out_base;
    end else begin
        n_raddr = c_half ? b_addr_b : b_addr_a;
        n_first = !c_half;
        n_last = c_half;
        n_pix = l_out_base + c_p * l_out_stride;
    end
end

always @(posedge clk) begin
    if (iss_start) begin
        iss_run <= 1'b1;
        c_oy <= ph_y0;
        c_ox <= 32'sd0;
        c_og <= 32'sd0;
        c_ky <= 32'sd0;
        c_kx <= 32'sd0;
        c_cb <= 32'sd0;
        c_p <= 32'sd0;
        c_half <= 1'b0;
        c_waddr <= l_w_base;
        c_cool <= 8'd0;
    end else if (iss_run) begin
        if (c_cool != 8'd0) begin
            c_cool <= c_cool - 8'd1;
        end
        if (is_conv) begin
            // innermost first: cb, kx, ky, og, ox, oy
            if (!b_stall) begin
                c_waddr <= c_waddr + 32'sd1;
                if (b_conv_last) begin
                    c_cool <= NW[7:0] - 8'd1;
                end
                if (c_cb != b_taps_last_cb) begin
                    c_cb <= c_cb + 32'sd1;
                end else begin
                    c_cb <= 32'sd0;
                    if (c_kx != b_kx1) begin
                        c_kx <= c_kx + 32'sd1;
                    end else begin
                        c_kx <= 32'sd0;
                        if (c_ky != b_k1) begin
                            c_ky <= c_ky + 32'sd1;
                        end else begin
                            c_ky <= 32'sd0;
                            if (c_og != l_out_groups - 32'sd1) begin
                                c_og <= c_og + 32'sd1;
                            end else begin
                                c_og <= 32'sd0;
                                c_waddr <= l_w_base;
                                if (c_ox != l_out_w - 32'sd1) begin
                                    c_ox <= c_ox + 32'sd1;
                                end else begin
                                    c_ox <= 32'sd0;
                                    c_oy <= c_oy + 32'sd1;
                                    if (c_oy == ph_y1 - 32'sd1) begin
                                        iss_run <= 1'b0;
                                    end
                                end
                            end
                        end
                    end
                end
            end
        end else if (is_avgpool) begin
            // innermost first: p, cb
            if (c_p != b_npix - 32'sd1) begin
                c_p <= c_p + 32'sd1;
            end else begin
                c_p <= 32'sd0;
                c_cb <= c_cb + 32'sd1;
                if (c_cb == b_taps_last_cb) begin
                    iss_run <= 1'b0;
                end
            end
        end else begin
            // add, innermost first: operand, cb, p
            c_half <= !c_half;
            if (c_half) begin
                if (c_cb != l_out_blocks - 32'sd1) begin
                    c_cb <= c_cb + 32'sd1;
                end else begin
                    c_cb <= 32'sd0;
                    c_p <= c_p + 32'sd1;
                    if (c_p == b_npix - 32'sd1) begin
                        iss_run <= 1'b0;
                    end
                end
            end
        end
    end
    if (rst) begin
        iss_run <= 1'b0;
    end
end

// concurrent pair: conv row completions reach fz_done once their writes are in the arena
reg               iss_run_d;
reg [DRAIN-1:0]   fz_wpipe;
always @(posedge clk) begin
    iss_run_d <= iss_run;
    fz_wpipe <= {fz_wpipe[DRAIN-2:0], state == S_FZ && iss_run_d && !iss_run};
    if (fz_wpipe[DRAIN-1]) begin
        fz_done <= fz_done + 32'sd1;
    end
    if (state == S_FETCH || rst) begin
        fz_done <= 32'sd0;
        fz_wpipe <= {DRAIN{1'b0}};
    end
end

/*
 * Pool issuer (Q0): every max-pool runs here - an unfused pool's rows, a fused pool's phase
 * rows, or the rows of a pool running alongside its conv (S_FZ). Rows [q_oy0, q_oy1) per
 * q_start, the row's fields from LP; loop nest (innermost first) kx, ky, ox, cb, oy with every
 * tap a beat (taps outside the image, Caffe ceil mode or padding, have inside = 0).
 * Column reuse: when S < K <= 2S, window ox + 1 shares its first K - S columns with window
 * ox; fg_maxpool carries their max, so later windows of a row read only K x S taps.
 * A window's last beat waits while PF_DEPTH results are in flight or queued for the arena's
 * write port.
 */
reg signed [31:0] q_oy, q_cb, q_ox, q_ky, q_kx;
wire signed [31:0] q_iy = q_oy * lp_stride + q_ky - lp_pad;
wire signed [31:0] q_ix = q_ox * lp_stride + q_kx - lp_pad;
wire q_inside = q_iy >= 0 && q_iy < lp_in_h && q_ix >= 0 && q_ix < lp_in_w;
wire signed [31:0] q_irow = (lp_in_ring != 0) ? q_iy % lp_in_ring : q_iy;
wire signed [31:0] q_raddr = lp_in_base + (q_irow * lp_in_w + q_ix) * lp_in_stride + q_cb;
wire signed [31:0] q_waddr = lp_out_base + (q_oy * lp_out_w + q_ox) * lp_out_stride + q_cb;
wire q_reuse = lp_stride < lp_kernel && lp_kernel <= 32'sd2 * lp_stride;
wire signed [31:0] q_kx0_row = q_reuse ? lp_kernel - lp_stride : 32'sd0;
wire signed [31:0] q_kx0 = (q_ox != 0) ? q_kx0_row : 32'sd0;
wire signed [31:0] q_k1 = lp_kernel - 32'sd1;
wire q_first = q_ky == 0 && q_kx == q_kx0;
wire q_last = q_ky == q_k1 && q_kx == q_k1;
wire q_issue = q_run && !(q_last && pf_credit >= PF_DEPTH[2:0]);
wire pf_pop;

always @(posedge clk) begin
    if (q_start) begin
        q_run <= 1'b1;
        q_oy <= q_oy0;
        q_cb <= 32'sd0;
        q_ox <= 32'sd0;
        q_ky <= 32'sd0;
        q_kx <= 32'sd0;
    end else if (q_issue) begin
        // innermost first: kx (from q_kx0), ky, ox, cb, oy
        if (q_kx != q_k1) begin
            q_kx <= q_kx + 32'sd1;
        end else if (q_ky != q_k1) begin
            q_ky <= q_ky + 32'sd1;
            q_kx <= q_kx0;
        end else begin
            q_ky <= 32'sd0;
            if (q_ox != lp_out_w - 32'sd1) begin
                q_ox <= q_ox + 32'sd1;
                q_kx <= q_kx0_row;
            end else begin
                q_ox <= 32'sd0;
                q_kx <= 32'sd0;
                if (q_cb != lp_in_blocks - 32'sd1) begin
                    q_cb <= q_cb + 32'sd1;
                end else begin
                    q_cb <= 32'sd0;
                    q_oy <= q_oy + 32'sd1;
                    fz_pdone_s <= fz_pdone_s + lp_stride;
                    if (q_oy == q_oy1 - 32'sd1) begin
                        q_run <= 1'b0;
                    end
                end
            end
        end
    end
    if (q_issue && q_last && !pf_pop) begin
        pf_credit <= pf_credit + 3'd1;
    end else if (pf_pop && !(q_issue && q_last)) begin
        pf_credit <= pf_credit - 3'd1;
    end
    if (state == S_FETCH) begin
        fz_pdone_s <= 32'sd0;
    end
    if (rst) begin
        q_run <= 1'b0;
        pf_credit <= 3'd0;
    end
end

// Q1 (address registered, arena read), Q2 (data into fg_maxpool), Q3 (the result's address)
reg               q1_valid, q1_first, q1_last, q1_inside, q1_carry, q1_from_carry;
reg               q2_valid, q2_first, q2_last, q2_inside, q2_carry, q2_from_carry;
reg [AA_W-1:0]    q1_raddr, q1_waddr, q2_waddr, q3_waddr;
always @(posedge clk) begin
    q1_valid <= q_issue;
    q1_first <= q_first;
    q1_last <= q_last;
    q1_inside <= q_inside;
    q1_carry <= q_reuse && q_kx >= lp_stride;
    q1_from_carry <= q_reuse && q_ox != 0;
    q1_raddr <= q_raddr[AA_W-1:0];
    q1_waddr <= q_waddr[AA_W-1:0];
    q2_valid <= q1_valid;
    q2_first <= q1_first;
    q2_last <= q1_last;
    q2_inside <= q1_inside;
    q2_carry <= q1_carry;
    q2_from_carry <= q1_from_carry;
    q2_waddr <= q1_waddr;
    q3_waddr <= q2_waddr;
    if (rst) begin
        q1_valid <= 1'b0;
        q2_valid <= 1'b0;
    end
end

/*
 * I1: registered beat; drives the memory read addresses
 */
reg               i1_valid, i1_first, i1_last, i1_inside, i1_half;
reg [AA_W-1:0]    i1_raddr;
reg [TAPS*SA_W-1:0] i1_saddr;
reg [TAPS-1:0]    i1_tap_in, i2_tap_in;
reg [LTW-1:0]     i1_bank0, i2_bank0;   // bank of the beat's first tap
reg [WA_W-1:0]    i1_waddr;
reg [BA_W-1:0]    i1_baddr;
reg [AA_W-1:0]    i1_pix;
reg [15:0]        i1_word0, i1_lane0;

always @(posedge clk) begin
    i1_valid <= n_valid;
    i1_first <= n_first;
    i1_last <= n_last;
    i1_inside <= n_inside;
    i1_half <= c_half;
    i1_raddr <= n_raddr[AA_W-1:0];
    i1_saddr <= b_saddr;
    i1_tap_in <= b_tap_in;
    i1_bank0 <= (LT > 0) ? b_p0[LTW-1:0] : {LTW{1'b0}};
    i1_waddr <= n_waddr[WA_W-1:0];
    i1_baddr <= n_baddr[BA_W-1:0];
    i1_pix <= n_pix[AA_W-1:0];
    i1_word0 <= n_word0[15:0];
    i1_lane0 <= n_lane0[15:0];
    if (rst) begin
        i1_valid <= 1'b0;
    end
end

wire [AA_W-1:0] out_rd_addr = OUT_BASE[AA_W-1:0] + out_word[AA_W-1:0];
// the pool issuer owns the read port while it runs (S_POOL), or alongside a conv on staging
wire q_owns_arena = fz_conc || state == S_POOL;
assign arena_rd_addr = (state == S_OUT_RD || state == S_OUT_WORD) ? out_rd_addr :
                       q_owns_arena ? q1_raddr : i1_raddr;
assign stage_rd_addr = i1_saddr;
assign wmem_addr = i1_waddr;
assign bmem_addr = i1_baddr;

/*
 * I2: memory data; activations extended, zero outside the image
 */
reg               i2_valid, i2_first, i2_last, i2_inside, i2_half;
reg [AA_W-1:0]    i2_pix;
reg [15:0]        i2_word0, i2_lane0;

always @(posedge clk) begin
    i2_valid <= i1_valid;
    i2_first <= i1_first;
    i2_last <= i1_last;
    i2_inside <= i1_inside;
    i2_tap_in <= i1_tap_in;
    i2_bank0 <= i1_bank0;
    i2_half <= i1_half;
    i2_pix <= i1_pix;
    i2_word0 <= i1_word0;
    i2_lane0 <= i1_lane0;
    if (rst) begin
        i2_valid <= 1'b0;
    end
end

reg [P_IN*XA_W-1:0]  x_act;      // MAC array activations (signed XA_W)
reg [P_IN*ACC_W-1:0] x_lane;     // the arena word's lanes as accumulator-wide values

reg [IN_W-1:0] x_st;

// staging value of lane l (tap l / IN_C, channel l % IN_C) of the current beat
function [IN_W-1:0] st_val;
    input integer l;
    integer bank;
    begin
        bank = ({{(32-LTW){1'b0}}, i2_bank0} + l / IN_C) % TAPS;
        st_val = stage_rd_data[(bank * IN_C + l % IN_C) * IN_W +: IN_W];
    end
endfunction
reg [P_OUT*ACC_W-1:0] x_bias;
integer xl;
always @* begin
    x_st = {IN_W{1'b0}};
    for (xl = 0; xl < P_IN; xl = xl + 1) begin
        if (l_in_staging) begin
            // lane t*IN_C + c: channel c of tap t, from bank (bank0 + t) mod TAPS
            x_act[xl*XA_W +: XA_W] = {XA_W{1'b0}};
            x_st = st_val(xl);
            if (xl < TAPS * IN_C && i2_tap_in[xl / IN_C]) begin
                x_act[xl*XA_W +: XA_W] = {{(XA_W-IN_W){x_st[IN_W-1]}}, x_st};
            end
        end else if (!i2_inside) begin
            x_act[xl*XA_W +: XA_W] = {XA_W{1'b0}};
        end else begin
            x_act[xl*XA_W +: XA_W] = {{(XA_W-ACT_W){l_in_signed & arena_rd_data[xl*ACT_W + ACT_W-1]}},
                                      arena_rd_data[xl*ACT_W +: ACT_W]};
        end
        x_lane[xl*ACC_W +: ACC_W] = {{(ACC_W-ACT_W){l_in_signed & arena_rd_data[xl*ACT_W + ACT_W-1]}},
                                     arena_rd_data[xl*ACT_W +: ACT_W]};
    end
    for (xl = 0; xl < P_OUT; xl = xl + 1) begin
        x_bias[xl*ACC_W +: ACC_W] = {{(ACC_W-B_W){bmem_data[xl*B_W + B_W-1]}},
                                     bmem_data[xl*B_W +: B_W]} << l_bias_shift;
    end
end

/*
 * Conv: the MAC array (results 4 cycles after the last beat)
 */
wire                   pe_out_valid;
wire [P_OUT*ACC_W-1:0] pe_out_acc;

fg_pe_array #(.P_IN(P_IN), .P_OUT(P_OUT), .A_W(XA_W), .W_W(W_W), .ACC_W(ACC_W)) pe_inst (
    .clk(clk), .rst(rst), .cfg_act_signed(1'b1),
    .in_valid(i2_valid && is_conv), .in_first(i2_first), .in_last(i2_last),
    .in_act(x_act), .in_wgt(wmem_data), .in_bias(x_bias),
    .out_valid(pe_out_valid), .out_acc(pe_out_acc)
);

/*
 * Max-pool (1 cycle)
 */
wire                mp_out_valid;
wire [WORD_W-1:0]   mp_out_data;

// fed by the pool issuer; results go straight to the write port's queue (type in = type out)
fg_maxpool #(.LANES(P_IN), .A_W(ACT_W)) maxpool_inst (
    .clk(clk), .rst(rst), .cfg_signed(lp_in_signed),
    .in_valid(q2_valid), .in_first(q2_first), .in_last(q2_last),
    .in_inside(q2_inside), .in_carry(q2_carry), .in_from_carry(q2_from_carry),
    .in_data(arena_rd_data),
    .out_valid(mp_out_valid), .out_data(mp_out_data)
);

/*
 * Avg-pool sums and add operands (results registered, 1 cycle)
 */
reg [P_IN*ACC_W-1:0] av_sum;
reg [P_IN*ACC_W-1:0] v_res;
reg                  v_valid;
reg [P_IN*ACC_W-1:0] add_a;
reg [P_IN*ACC_W-1:0] av_next, add_b;
wire [ACC_W+31:0]    avg_m_wide = {{ACC_W{1'b0}}, l_avg_mult};
wire [ACC_W-1:0]     avg_m = avg_m_wide[ACC_W-1:0];
integer vl;
always @* begin
    for (vl = 0; vl < P_IN; vl = vl + 1) begin
        av_next[vl*ACC_W +: ACC_W] = (i2_first ? {ACC_W{1'b0}} : av_sum[vl*ACC_W +: ACC_W])
                                     + x_lane[vl*ACC_W +: ACC_W];
        add_b[vl*ACC_W +: ACC_W] = {{(ACC_W-ACT_W){l_in2_signed & arena_rd_data[vl*ACT_W + ACT_W-1]}},
                                    arena_rd_data[vl*ACT_W +: ACT_W]};
    end
end

always @(posedge clk) begin
    v_valid <= 1'b0;
    for (vl = 0; vl < P_IN; vl = vl + 1) begin
        if (i2_valid && is_avgpool) begin
            av_sum[vl*ACC_W +: ACC_W] <= av_next[vl*ACC_W +: ACC_W];
            v_res[vl*ACC_W +: ACC_W] <= av_next[vl*ACC_W +: ACC_W] * avg_m;
        end
        if (i2_valid && is_add && !i2_half) begin
            add_a[vl*ACC_W +: ACC_W] <= x_lane[vl*ACC_W +: ACC_W] << l_align0;
        end
        if (i2_valid && is_add && i2_half) begin
            v_res[vl*ACC_W +: ACC_W] <= add_a[vl*ACC_W +: ACC_W] + (add_b[vl*ACC_W +: ACC_W] << l_align1);
        end
    end
    if (i2_valid && (is_avgpool || is_add) && i2_last) begin
        v_valid <= 1'b1;
    end
    if (rst) begin
        v_valid <= 1'b0;
    end
end

/*
 * Write descriptors, delayed to meet their results (conv: 4 cycles, others: 1)
 */
localparam DESC_W = AA_W + 32;
reg [DESC_W-1:0] dsc [0:3];
integer dl;
always @(posedge clk) begin
    dsc[0] <= {i2_pix, i2_word0, i2_lane0};
    for (dl = 1; dl < 4; dl = dl + 1) begin
        dsc[dl] <= dsc[dl-1];
    end
end

/*
 * Requantize: ReLU first (clamp negative sums to 0), then round_shift and saturate/wrap
 */
reg                    r0_valid;
reg [RQL*ACC_W-1:0]    r0_acc;
reg [DESC_W-1:0]       r0_desc;
integer rl;
always @* begin
    r0_acc = {(RQL*ACC_W){1'b0}};
    if (is_conv) begin
        r0_valid = pe_out_valid;
        r0_desc = dsc[3];
        r0_acc[P_OUT*ACC_W-1:0] = pe_out_acc;
    end else begin
        r0_valid = v_valid;
        r0_desc = dsc[0];
        r0_acc[P_IN*ACC_W-1:0] = v_res;
    end
    if (l_relu) begin
        for (rl = 0; rl < RQL; rl = rl + 1) begin
            if (r0_acc[rl*ACC_W + ACC_W-1]) begin
                r0_acc[rl*ACC_W +: ACC_W] = {ACC_W{1'b0}};
            end
        end
    end
end

wire [RQL-1:0]       rq_valid;
wire [RQL*ACT_W-1:0] rq_data;
genvar gq;
generate
    for (gq = 0; gq < RQL; gq = gq + 1) begin : g_rq
        wire unused_user;
        fg_requant #(.ACC_W(ACC_W), .OUT_W(ACT_W), .MAX_LSHIFT(MAX_LSHIFT), .USER_W(1)) rq_inst (
            .clk(clk), .rst(rst),
            .cfg_shift(l_shift), .cfg_rnd(l_rounding),
            .cfg_sat(!l_saturation), .cfg_out_signed(l_out_signed),
            .cfg_out_width(l_out_width), .cfg_relu(1'b0),
            .in_valid(r0_valid), .in_acc(r0_acc[gq*ACC_W +: ACC_W]), .in_user(1'b0),
            .out_valid(rq_valid[gq]), .out_data(rq_data[gq*ACT_W +: ACT_W]),
            .out_user(unused_user)
        );
    end
endgenerate

reg [DESC_W-1:0] r1_desc, r2_desc;
always @(posedge clk) begin
    r1_desc <= r0_desc;
    r2_desc <= r1_desc;
end

/*
 * Arena writes: one word per cycle; a conv result of P_OUT > P_IN lanes takes NW cycles.
 * Words at or past out_blocks are the zero padding of the last output group: not stored.
 */
wire [AA_W-1:0] w_pix = r2_desc[DESC_W-1 -: AA_W];
wire [15:0]     w_word0 = r2_desc[31:16];
wire [15:0]     w_lane0 = r2_desc[15:0];
wire [31:0]     lane0_i = {16'd0, w_lane0};

reg [RQL*ACT_W-1:0] wh_data;
reg [AA_W-1:0]      wh_addr;
reg [15:0]          wh_word;
reg [7:0]           wh_cnt;

// pool results of a concurrent fused pair queue here for the write port (the conv has priority)
reg [WORD_W-1:0]  pf_data [0:PF_DEPTH-1];
reg [AA_W-1:0]    pf_addr [0:PF_DEPTH-1];
reg [1:0]         pf_wp, pf_rp;
reg [2:0]         pf_count;
wire              pf_push = mp_out_valid;
assign pf_pop = pf_count != 3'd0 && !rq_valid[0] && wh_cnt == 8'd0;

always @(posedge clk) begin
    if (pf_push) begin
        pf_data[pf_wp] <= mp_out_data;
        pf_addr[pf_wp] <= q3_waddr;
        pf_wp <= pf_wp + 2'd1;
    end
    if (pf_pop) begin
        pf_rp <= pf_rp + 2'd1;
    end
    if (pf_push && !pf_pop) begin
        pf_count <= pf_count + 3'd1;
    end else if (pf_pop && !pf_push) begin
        pf_count <= pf_count - 3'd1;
    end
    if (rst) begin
        pf_wp <= 2'd0;
        pf_rp <= 2'd0;
        pf_count <= 3'd0;
    end
end

reg               wr_en_r;
reg [AA_W-1:0]    wr_addr_r;
reg [WORD_W-1:0]  wr_data_r;
reg [P_IN-1:0]    wr_mask_r;
integer ql;
always @* begin
    wr_en_r = 1'b0;
    wr_addr_r = w_pix + w_word0[AA_W-1:0];
    wr_data_r = rq_data[WORD_W-1:0];
    wr_mask_r = {P_IN{1'b1}};
    if (rq_valid[0]) begin
        wr_en_r = $signed({16'd0, w_word0}) < l_out_blocks;
        if (is_conv && P_OUT < P_IN) begin
            for (ql = 0; ql < P_IN; ql = ql + 1) begin
                wr_mask_r[ql] = ql >= lane0_i && ql < lane0_i + P_OUT;
                wr_data_r[ql*ACT_W +: ACT_W] = rq_data[((ql + P_IN - lane0_i) % P_IN) * ACT_W +: ACT_W];
            end
        end
    end else if (wh_cnt != 8'd0) begin
        wr_en_r = $signed({16'd0, wh_word}) < l_out_blocks;
        wr_addr_r = wh_addr;
        wr_data_r = wh_data[WORD_W-1:0];
    end else if (pf_pop) begin
        wr_en_r = 1'b1;
        wr_addr_r = pf_addr[pf_rp];
        wr_data_r = pf_data[pf_rp];
    end
end

always @(posedge clk) begin
    if (rq_valid[0] && is_conv && NW > 1) begin
        wh_data <= rq_data >> WORD_W;
        wh_addr <= wr_addr_r + 1'b1;
        wh_word <= w_word0 + 16'd1;
        wh_cnt <= NW[7:0] - 8'd1;
    end else if (wh_cnt != 8'd0) begin
        wh_data <= wh_data >> WORD_W;
        wh_addr <= wh_addr + 1'b1;
        wh_word <= wh_word + 16'd1;
        wh_cnt <= wh_cnt - 8'd1;
    end
    if (rst) begin
        wh_cnt <= 8'd0;
    end
end

assign arena_wr_en = wr_en_r;
assign arena_wr_addr = wr_addr_r;
assign arena_wr_data = wr_data_r;
assign arena_wr_mask = wr_mask_r;

/*
 * Logits out: the output tensor's words, OUT_W bits of each lane
 */
reg [P_IN*OUT_W-1:0] os_data;
integer ol;
always @* begin
    for (ol = 0; ol < P_IN; ol = ol + 1) begin
        os_data[ol*OUT_W +: OUT_W] = arena_rd_data[ol*ACT_W +: OUT_W];
    end
end

localparam integer LAST_COUNT_I = OUT_COUNT % P_IN;
localparam [OCNT_W-1:0] LAST_COUNT = LAST_COUNT_I[OCNT_W-1:0];

fg_axis_out #(.A_W(OUT_W), .LANES(P_IN), .TDATA_W(OUT_TDATA_W)) axis_out_inst (
    .clk(clk), .rst(rst), .cfg_signed(OUT_SIGNED != 0),
    .s_valid(state == S_OUT_WORD), .s_ready(os_ready), .s_data(os_data),
    .s_count(os_last_word ? LAST_COUNT : {OCNT_W{1'b0}}), .s_last(os_last_word),
    .out_stream_TDATA(out_stream_TDATA), .out_stream_TVALID(out_stream_TVALID),
    .out_stream_TREADY(out_stream_TREADY), .out_stream_TLAST(out_stream_TLAST)
);

// fields the engine does not need (they are in the table for the HLS engine and humans)
wire unused_fields = &{1'b0, L, LP, row_p, row_c, q_raddr, q_waddr, l_in2_stride, l_w_base,
                       x_lane, n_raddr, load_word,
                       n_waddr, n_baddr, n_pix, n_word0, n_lane0, avg_m_wide, rq_valid};

endmodule

`resetall
