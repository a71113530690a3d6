/*

fpgagen: the engine - a sequencer that walks the layer table over one P_IN x P_OUT MAC array

One runtime-parameterized machine runs every layer of the network (docs/design.md §4), with
the semantics of the HLS engine and the golden model:

    load     the image (values packed densely into in_stream beats, HWC; fg_axis_unpack)
             into the staging memory, a pixel (one word of IN_C lanes) per cycle, pixel p in
             bank p mod TAPS; the staging memory holds two images (slots) and the loader runs
             on its own: it fills a free slot whenever the stream offers an image, so the next
             image loads while this one computes (fg_stage_slots)
    table    for every layer-table row (fg_layer_table decodes one row per layer):
               conv     per output pixel and output group, K*K*in_blocks beats of the MAC
                        array (bias with the first beat), ReLU, requantize, write P_OUT lanes;
                        a conv on the image packs TAPS kernel columns into a beat's lanes
               maxpool  every tap of every window through fg_maxpool (taps that overhang the
                        edge do not count); columns shared with the next window are carried
               avgpool  per word, the sum over the map, times M, requantize
               add      per pixel and word, (a << align0) + (b << align1), requantize
             a conv fused with the max-pool after it writes a ring of rows; each pool row runs
             as soon as its rows exist - beside the conv when the conv reads the staging
             memory (the arena's read port is free), else in alternating phases
             (fg_fused_pair hands both generators their rows)
    output   the logits, packed densely into out_stream beats, TLAST on the last
    weights  on request (wl_req: the WEIGHTS register), a weight set from in_stream into the
             weight and bias memories (fg_wload: weights.bin, its CRC-32); the engine starts
             no image while a load is pending or running or the weights are not valid, and
             the image input takes no beat then

Structure (hw/README.md has the stage budget):

    fg_layer_table  table ROM -> per-layer registers (bank M: conv/avgpool/add, bank P: pool)
    fg_conv_agu     conv loop nest     -> A1 (addresses registered) -> memories (latency 2)
    fg_vec_agu      avgpool/add nest   ->  |                            -> A4 (operands
    fg_pool_agu     max-pool nest      -> Q1 -> arena (latency 2) -> fg_maxpool -> queue   reg.)
    A4 -> fg_pe_array (conv) | fg_avgpool | fg_add -> R0 (result mux) -> fg_requant (6)
       -> fg_writeback (arena write port; pool results queued, fg_credit counts them)
    fg_logits_out   arena -> out_stream
    fg_stage_slots  the staging memory's image slots (fg_axis_unpack -> staging banks)
    fg_fused_pair   both generators' row limits (a fused conv -> max-pool pair)
    fg_wload        in_stream -> the weight and bias memories' write ports (load mode)

Pixel parallelism (PP > 1 pixels a beat, fpgagen/plan/engine.py p_pix): the arena is PP pixel
banks, pixel x of a row in bank x mod PP at the group address of x div PP (rows of
ceil(W / PP) groups, the Plan's addresses); PP copies of the MAC array share each weight word
(registered once per copy), so a conv beat serves the PP output pixels of a group: at kernel
column kx they read the PP consecutive input pixels x0 .. x0 + PP - 1 (stride 1), bank b at
the group of x0 or the next one when b is below x0's phase, the words rotated by that phase.
A max-pool beat reads a window row's chunk of PP pixels the same way (fg_pixmax reduces them);
the average pool reads one pixel a beat (its phase picks the bank); an add reads whole pixel
groups; a result group (PP pixels) is written in one cycle (fg_writeback). The conv on the
image reads SBANKS staging banks (pixel p in bank p mod SBANKS): the PP pixels' TAPS columns
at stride s span s * (PP - 1) + TAPS <= SBANKS consecutive pixels.

Every address is a register stepped by per-layer constants the compiler computed; no `*`,
`/`, `%` outside the registered multipliers of fg_pe_array and fg_avgpool; every memory is read
through its output register; the sums are registered adder trees.

Control: ap_ctrl_hs (ap_start held until ap_ready; ap_done and ap_ready one cycle at the end;
ap_idle high when not running). ap_start takes the oldest loaded slot, waiting (S_LOAD) while
its image is still arriving; the first image's latency is the load plus the layers, an image
that loaded during the previous one's layers starts at once (streaming throughput).

Weights: the weight and bias memories are RAMs with a write port in every build. With
WEIGHTS_INIT = 1 the bitstream initializes them (WEIGHTS_FILE, BIASES_FILE) and they are valid
from reset; with WEIGHTS_INIT = 0 they start empty (no init file: URAM is possible) and the
engine refuses to start until a load has succeeded (fg_axil_ctrl refuses the start; S_LOAD also
waits for `wl_hold` to drop). A load begins when the engine is in S_IDLE or S_LOAD and the image
input is between frames (`wl_quiet`, registered); from then until the load is valid the image
input's TVALID is held low, and in_stream goes to the loader. Images already in a staging slot
stay there (a load does not flush them).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_engine #
(
    // MAC array: P_IN input lanes (the activation word) x P_OUT outputs; one must divide the
    // other, and their ratio is a power of two
    parameter P_IN = 4,
    parameter P_OUT = 8,
    // 1: two MACs per DSP (fg_pe_array PACK: P_OUT even, XA_W + 2 W_W within the DSP's wide
    // operand; fpgagen/plan/engine.py pack_problem decides)
    parameter PACK = 0,
    // stored activation lane width (2..32)
    parameter ACT_W = 8,
    // input image value width and channels per pixel (IN_C <= P_IN)
    parameter IN_W = 8,
    parameter IN_C = 3,
    // kernel columns per beat of the conv on the image (a power of two, TAPS * IN_C <= P_IN):
    // the staging memory is TAPS banks, pixel p in bank p mod TAPS
    parameter TAPS = 1,
    // output pixels a beat (pixel banks of the arena, copies of the MAC array), 1..16
    parameter PP = 1,
    // staging banks (a power of two >= TAPS, = TAPS when PP = 1): pixel p in bank p mod SBANKS
    parameter SBANKS = TAPS,
    // weight and bias widths (signed)
    parameter W_W = 8,
    parameter B_W = 16,
    // accumulator width: covers every conv, sum*M of the avgpool and the aligned add
    parameter ACC_W = 32,
    // average pool: sum width and multiplier width (from the Plan)
    parameter SUM_W = 24,
    parameter M_W = 16,
    // add: largest alignment shift
    parameter MAX_ALIGN = 8,
    // output logit width (<= ACT_W) and signedness
    parameter OUT_W = 8,
    parameter OUT_SIGNED = 0,
    // largest exact left shift of a requantization (negative shift)
    parameter MAX_LSHIFT = 0,
    // layer table: rows and fields per row (field order of RTL_FIELDS, hw/fg_fields.vh)
    parameter N_LAYERS = 1,
    parameter NF = 63,
    // cycles from a generator's last beat taken to its last arena write (S_DRAIN, the fused
    // pair's rows): fpgagen's EngineTiming.drain (fpgagen/plan/cycles.py), which the generated
    // top passes; the engine checks it against its own pipeline (hw/fg_latency.vh), so 0 (not
    // given) is refused
    parameter DRAIN = 0,
    // loop counter width (4..16): every count of the table < 2^(CW-1) (the compiler sizes it)
    parameter CW = 16,
    // memory depths (words); the arena is NW = P_OUT / P_IN banks (1 when P_OUT <= P_IN) of
    // ARENA_BANK_DEPTH words each, word a in bank a mod NW (hw/fg_arena.v)
    parameter ARENA_BANK_DEPTH = 64,
    parameter STAGE_DEPTH = 64,      // pixels of one image (each staging slot)
    parameter WMEM_DEPTH = 64,
    parameter BMEM_DEPTH = 8,
    // the output tensor: first arena word and number of logits
    parameter OUT_BASE = 0,
    parameter OUT_COUNT = 8,
    // the last layer-table row that reads the staging memory (the conv on the image, or the
    // pool of its fused pair): when its writes are done, the image's slot is free again
    parameter STAGE_LAST_ENTRY = 0,
    // image slots of the staging memory: 2 (the next image loads while one computes) or 1
    // (the Plan's choice when two do not fit the part: the next image then loads once the
    // image's staging readers are done)
    parameter STAGE_SLOTS = 2,
    // memory-init files; WEIGHTS_FILE and BIASES_FILE are read only with WEIGHTS_INIT = 1
    parameter TABLE_FILE = "",
    parameter WEIGHTS_FILE = "",
    parameter BIASES_FILE = "",
    // 1: the bitstream initializes the weight and bias memories (valid from reset); 0: they
    // start empty and a load must fill them before the first image (fpgagen's weight source:
    // "bitstream" or "runtime")
    parameter WEIGHTS_INIT = 1,
    // the Plan's columns of the arena and of each staging bank (hw/fg_col_ram.v: widths of
    // 16 bits each, column 0 lowest, bit c of *_ULTRA: column c in UltraRAM, else block RAM;
    // the staging banks share STAGE_NC columns, bank b in field b, absent columns zero wide;
    // the generated top passes the Plan's; 0 is one column per memory)
    parameter ARENA_NC = 1,
    parameter [16*ARENA_NC-1:0] ARENA_COL_W = 0,
    parameter [ARENA_NC-1:0] ARENA_ULTRA = 0,
    parameter STAGE_NC = 1,
    parameter [SBANKS*16*STAGE_NC-1:0] STAGE_COL_W = 0,
    parameter [SBANKS*STAGE_NC-1:0] STAGE_ULTRA = 0,
    // ram_style of the weight and bias memories: "block" or, with WEIGHTS_INIT = 0, "ultra"
    // (URAM has no initial contents); rom_style of the table ROM
    parameter WEIGHT_STYLE = "block",
    parameter BIAS_STYLE = "block",
    parameter TABLE_STYLE = "distributed",
    // AXI4-Stream ports (fpgagen/plan/streams.py): values of IN_VB / OUT_VB bytes packed densely
    // into TDATA_W-bit beats; an image is IN_BEATS beats, the last one IN_LAST_BYTES long
    parameter TDATA_W = 32,
    parameter IN_VB = 1,
    parameter OUT_VB = 1,
    parameter IN_BEATS = 1,
    parameter IN_LAST_BYTES = TDATA_W / 8
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

    output wire                    frame_error,   // the last image's beats were malformed

    /*
     * Weight load (fg_axil_ctrl's WEIGHTS and WEIGHTS_CRC registers)
     */
    input  wire                    wl_req,        // load a weight set from in_stream (a pulse)
    output wire                    wl_busy,       // a load pending or running
    output wire                    wl_valid,      // the memories hold a whole weight set
    output wire                    wl_error,      // the last load was malformed
    output wire [31:0]             wl_crc,        // CRC-32 of the bytes the load took

    /*
     * Image input, values packed densely (HWC)
     */
    input  wire [TDATA_W-1:0]      in_stream_TDATA,
    input  wire [TDATA_W/8-1:0]    in_stream_TKEEP,
    input  wire                    in_stream_TLAST,
    input  wire                    in_stream_TVALID,
    output wire                    in_stream_TREADY,

    /*
     * Logits output, values packed densely, TLAST on the last beat
     */
    output wire [TDATA_W-1:0]      out_stream_TDATA,
    output wire [TDATA_W/8-1:0]    out_stream_TKEEP,
    output wire                    out_stream_TVALID,
    input  wire                    out_stream_TREADY,
    output wire                    out_stream_TLAST
);

/*
 * Layer table fields: FW, F_<FIELD> (the order of a layers.hex row), NF_USED, OP_<OP>;
 * rendered from fpgagen/plan/engine_fields.py RTL_FIELDS (fpgagen/rtl/headers.py)
 */
`include "fg_fields.vh"

/*
 * Pipeline latencies: LAT_<STAGE>, from fpgagen/plan/engine_latency.py, the table the cycle
 * model (fpgagen/plan/cycles.py) reads too
 */
`include "fg_latency.vh"

/*
 * Widths and latencies
 */
// activations enter the MAC array sign-extended to one common signed width
localparam XA_W = ((ACT_W > IN_W) ? ACT_W : IN_W) + 1;
// requantize lanes: conv results (P_OUT) or one activation word (P_IN)
localparam RQL = (P_IN > P_OUT) ? P_IN : P_OUT;
// arena words per conv result, lane groups per arena word
localparam NW = (P_OUT > P_IN) ? P_OUT / P_IN : 1;
localparam G = (P_IN > P_OUT) ? P_IN / P_OUT : 1;
localparam GW = (G > 1) ? $clog2(G) : 1;
localparam LNW = (NW > 1) ? $clog2(NW) : 0;
localparam AB_W = (ARENA_BANK_DEPTH > 1) ? $clog2(ARENA_BANK_DEPTH) : 1;   // bank address
localparam AA_W = AB_W + LNW;                                              // word address
localparam LNWW = (LNW > 0) ? LNW : 1;
// a split conv's column groups (fpgagen/plan/engine.py conv_split): up to NW, log2 in the table
localparam LGW = 4;
localparam KSUM_LAT = LNW;   // fg_ksum: one adder level per halving
localparam SP_W = (STAGE_DEPTH > 1) ? $clog2(STAGE_DEPTH) : 1;
// address arithmetic width (arena words and staging pixels, modulo 2^AW)
localparam AW = ((AA_W > SP_W) ? AA_W : SP_W) + 1;
localparam LT = (SBANKS > 1) ? $clog2(SBANKS) : 0;   // staging bank bits of a pixel index
localparam LTW = (LT > 0) ? LT : 1;
localparam SB_DEPTH = (STAGE_DEPTH + SBANKS - 1) / SBANKS;   // words per staging bank and slot
localparam PW = (PP > 1) ? $clog2(PP) : 1;             // pixel bank bits
// the max-pool's pixel reduction (PP > 1): the words rotated into place (a register), then
// fg_pixmax's levels
localparam PIX_LAT = (PP > 1) ? 1 + $clog2(PP) : 0;
// fields the table has: RTL_FIELDS, and on a pixel-parallel engine PIX_FIELDS after them
localparam NF_NEED = (PP > 1) ? NF_PIX_USED : NF_USED;
// a staging bank holds STAGE_SLOTS images, slot 1 at word SB_DEPTH (hw/fg_stage_slots.v)
localparam SA_W = (STAGE_SLOTS * SB_DEPTH > 1) ? $clog2(STAGE_SLOTS * SB_DEPTH) : 1;
localparam WA_W = (WMEM_DEPTH > 1) ? $clog2(WMEM_DEPTH) : 1;
localparam BA_W = (BMEM_DEPTH > 1) ? $clog2(BMEM_DEPTH) : 1;
localparam LA_W = $clog2(N_LAYERS + 1);
localparam WORD_W = P_IN * ACT_W;
localparam LV = (P_IN > 1) ? $clog2(P_IN) : 0;
// descriptor of a result: first word, words still inside the tensor, lane group
localparam DESC_W = AW + CW + 1 + GW;
// memories: the read register, the memory's output register and one more behind it
localparam MEM_REGS = LAT_MEM_REGS;
localparam MEM_LAT = 1 + MEM_REGS;
// cycles from the last beat taken by a generator until its last arena write has happened:
// A1 + memory + operand register + MAC array (PE + LV) + the split sums (KSUM_LAT) + R0 +
// requantizer + write (all NW words of a result at once, one per arena bank: WB_LAT) +
// margin. The DRAIN parameter must equal it (fpgagen's EngineTiming.drain sums the same table)
localparam WB_LAT = (NW > 1) ? LAT_WB_BANKED : LAT_WB;   // fg_writeback: its source stage
localparam DRAIN_PIPE = LAT_A1 + MEM_LAT + LAT_A4 + LAT_PE + LV + KSUM_LAT + LAT_R0 + LAT_REQUANT
                        + WB_LAT + LAT_DRAIN_MARGIN;
localparam DR_W = $clog2(DRAIN_PIPE + 1);
// bias address: read so that the bias reaches the array's accumulator with its first beat
// (the bias ROM and the activations have the same latency; the bias shift takes 2 cycles)
localparam BIAS_ADDR_DELAY = 2 + LV;
// max-pool windows in flight (fg_writeback's queue, fg_credit): 4 cover a window's K * S
// beats of one pixel a beat against its write latency; with pixel banks a window is K *
// ceil(K / PP) beats (3 for 3x3) and its write PIX_LAT cycles later, so 8
localparam PF_DEPTH = (PP > 1) ? 8 : 4;
localparam MAXPOOL_LAT = LAT_MAXPOOL;  // fg_maxpool: two input registers, compare/select

initial begin
    if (P_IN < 1 || P_OUT < 1 || (P_OUT % P_IN != 0 && P_IN % P_OUT != 0)) begin
        $error("Error: P_IN and P_OUT must be >= 1 and one must divide the other (instance %m)");
        $finish;
    end
    if ((NW & (NW - 1)) != 0 || (G & (G - 1)) != 0) begin
        $error("Error: P_IN / P_OUT must be a power of two (instance %m)");
        $finish;
    end
    if (IN_C < 1 || IN_C > P_IN || OUT_W > ACT_W || ACT_W < 2) begin
        $error("Error: need 1 <= IN_C <= P_IN, 2 <= ACT_W, OUT_W <= ACT_W (instance %m)");
        $finish;
    end
    if (TAPS < 1 || (TAPS & (TAPS - 1)) != 0 || TAPS * IN_C > P_IN) begin
        $error("Error: TAPS must be a power of two with TAPS * IN_C <= P_IN (instance %m)");
        $finish;
    end
    if (PP < 1 || PP > 16 || (1 << LT) != SBANKS || SBANKS < TAPS
        || (PP == 1 && SBANKS != TAPS)) begin
        $error("Error: PP must be 1..16, SBANKS a power of two >= TAPS (TAPS at PP 1) (instance %m)");
        $finish;
    end
    // string parameters compare at their own widths: the padding is intended
    /* verilator lint_off WIDTHEXPAND */
    if (WEIGHTS_INIT == 0 ? 0 : (WEIGHTS_FILE == "" || BIASES_FILE == "")) begin
        $error("Error: WEIGHTS_INIT = 1 needs WEIGHTS_FILE and BIASES_FILE (instance %m)");
        $finish;
    end
    /* verilator lint_on WIDTHEXPAND */
    if (STAGE_SLOTS != 1 && STAGE_SLOTS != 2) begin
        $error("Error: STAGE_SLOTS must be 1 or 2 (instance %m)");
        $finish;
    end
    if (CW < 4 || CW > 16) begin
        $error("Error: CW must be 4..16 (instance %m)");
        $finish;
    end
    if (NF < NF_NEED) begin
        $error("Error: the layer table has fewer fields than the engine decodes (instance %m)");
        $finish;
    end
    if (DRAIN != DRAIN_PIPE) begin
        // the top passes fpgagen's EngineTiming.drain: if it did, the cycle model's sum and
        // DRAIN_PIPE (hw/fg_latency.vh) disagree
        $error("Error: DRAIN %0d is not this pipeline's %0d cycles (instance %m)", DRAIN,
               DRAIN_PIPE);
        $finish;
    end
end

/*
 * The layer table
 */
wire              lt_rewind, lt_load, lt_busy;
wire [FW-1:0]     lt_op;
wire [NF*FW-1:0]  bank_m, bank_p;

fg_layer_table #(
    .N_ROWS(N_LAYERS), .NF(NF), .FW(FW), .OP_POOL(OP_MAXPOOL), .TABLE_FILE(TABLE_FILE),
    .TABLE_STYLE(TABLE_STYLE), .ROM_REGS(MEM_REGS)
) table_inst (
    .clk(clk), .rst(rst), .rewind(lt_rewind), .load(lt_load), .busy(lt_busy), .row_op(lt_op),
    .bank_m(bank_m), .bank_p(bank_p)
);

// field f of a bank, its low bits
`define FG_M(f, w) bank_m[(f)*FW +: (w)]
`define FG_P(f, w) bank_p[(f)*FW +: (w)]

wire [1:0] m_op = `FG_M(F_OP, 2);
wire       m_conv = m_op == OP_CONV[1:0];
wire       m_avg = m_op == OP_AVGPOOL[1:0];
wire       m_add = m_op == OP_ADD[1:0];
wire       m_staging = `FG_M(F_IN_STAGING, 1);
wire       m_fused = `FG_M(F_FUSE_POOL, 1);

/*
 * Pixel banks (PP > 1): the fields a pixel-parallel table adds, and per-layer registers
 * derived from fields by adders (settled long before a start: the row loads one field a
 * cycle, the stride 30 fields before its end)
 */
wire [PW-1:0]   m_ph0, p_ph0, p_pix_step;
reg  [(PP+1)*(CW+1)-1:0] m_sj;   // stride * j, j = 0 .. PP: pixel j's offset on the image
wire [LGW-1:0]  m_split_lg = `FG_M(F_SPLIT_LG, LGW);
// a conv's kernel column steps one pixel: an unsplit conv on the arena
wire            m_kx_pix = !m_staging && m_split_lg == {LGW{1'b0}};
reg  [CW-1:0]   m_x_last;        // the map's width - 1 (the average pool's pixel walk)
genvar gsj;
generate
    if (PP > 1) begin : g_pix_fields
        assign m_ph0 = `FG_M(F_PH0, PW);
        assign p_ph0 = `FG_P(F_PH0, PW);
        assign p_pix_step = `FG_P(F_PIX_STEP, PW);
    end else begin : g_no_pix_fields
        assign m_ph0 = {PW{1'b0}};
        assign p_ph0 = {PW{1'b0}};
        assign p_pix_step = {PW{1'b0}};
    end
    always @(posedge clk) begin
        m_sj[CW:0] <= {(CW+1){1'b0}};
        m_x_last <= `FG_M(F_IN_W, CW) - {{(CW-1){1'b0}}, 1'b1};
    end
    for (gsj = 1; gsj <= PP; gsj = gsj + 1) begin : g_sj
        always @(posedge clk) begin
            m_sj[gsj*(CW+1) +: CW+1] <= m_sj[(gsj-1)*(CW+1) +: CW+1] + {1'b0, `FG_M(F_STRIDE, CW)};
        end
    end
endgenerate

/*
 * Control state machine
 */
localparam S_IDLE = 4'd0, S_LOAD = 4'd1, S_ROW = 4'd2, S_ROW_WAIT = 4'd3, S_PREP = 4'd4,
           S_START = 4'd5, S_RUN = 4'd6, S_PAIR = 4'd7, S_DRAIN = 4'd8, S_OUT = 4'd9,
           S_DONE = 4'd10;

reg [3:0]       state;
reg [LA_W-1:0]  entry;          // the row loaded last
reg [LA_W-1:0]  main_entry;     // the row in bank M (the conv of a fused pair)
reg             pair_pending;   // a fused conv is in bank M, its pool row is loading
reg             fused_mode;     // the layer is a fused pair (fg_fused_pair runs it)
reg             run_conv, run_vec, run_pool;   // what runs in this layer
reg             pool_owns;      // the pool generator drives the arena's read port
reg [DR_W-1:0]  drain_cnt;
reg             drain_end;      // drain_cnt == 1 (a register: the FSM decides from registers)
reg [2:0]       settle;         // a shift register: the generators' flags are current once
wire            settled = !settle[2];   // it has run out (3 cycles after a start)
reg             gen_done;       // the running generator's done, registered
reg             entry_last;     // the row loaded last is the table's last
reg             out_error;      // the frame error of the image in use (its slot's)

// generator control
reg             conv_start, vec_start, pool_start;
wire [CW-1:0]   conv_limit, pool_limit;     // rows the generators may issue (fg_fused_pair)
wire            conv_done, conv_paused, conv_row_issued;
wire            vec_done;
wire            pool_done, pool_paused, pool_row_issued;
wire            credit_zero, credit_high;   // pool windows in flight: none / the most
wire            pool_pop;

// the fused pair (fg_fused_pair): its end, the arena read port's moves, its pool segments
wire            pair_finish, pair_port_conv, pair_port_pool, pair_pool_phase;

// image input and its staging slots (fg_stage_slots)
wire              in_word_valid;
wire [IN_C*IN_W-1:0] in_word;
wire              rd_ready, rd_error;
wire              unpack_error;
wire              unpack_between;   // the image input is between frames

// the weight loader (fg_wload): pending, loading, or the weights not valid (hold)
wire              wl_hold, wl_pending, wl_active, wl_tready;
wire              unused_wl_pa;     // (pending and active: the engine reads busy and hold)

// logits
wire              lo_done;
reg               lo_start;

// debug (testbench only, read hierarchically)
/* verilator lint_off UNUSEDSIGNAL */
reg               dbg_busy;
reg               dbg_loading;    // waiting for the image's load (S_LOAD)
reg [LA_W-1:0]    dbg_entry;
reg               dbg_entry_done;
/* verilator lint_on UNUSEDSIGNAL */

assign lt_rewind = state == S_IDLE;
assign lt_load = state == S_ROW;

always @(posedge clk) begin
    conv_start <= 1'b0;
    vec_start <= 1'b0;
    pool_start <= 1'b0;
    lo_start <= 1'b0;
    dbg_entry_done <= 1'b0;
    settle <= {settle[1:0], 1'b0};
    if (drain_cnt != {DR_W{1'b0}}) begin
        drain_cnt <= drain_cnt - {{(DR_W-1){1'b0}}, 1'b1};
    end
    drain_end <= drain_cnt == 2;
    gen_done <= run_conv ? conv_done : (run_vec ? vec_done : pool_done);
    entry_last <= entry == N_LAYERS[LA_W-1:0] - {{(LA_W-1){1'b0}}, 1'b1};
    case (state)
        S_IDLE: begin
            if (ap_start) begin
                state <= S_LOAD;
            end
        end
        S_LOAD: begin
            // the oldest slot's image: loaded already (streaming), or its last pixel now; and
            // the weights loaded, no load pending or running
            if (rd_ready && !wl_hold) begin
                state <= S_ROW;
                entry <= {LA_W{1'b0}};
                pair_pending <= 1'b0;
                out_error <= rd_error;
            end
        end
        S_ROW: begin
            state <= S_ROW_WAIT;      // the table loads the next row
        end
        S_ROW_WAIT: begin
            if (!lt_busy) begin
                if (!pair_pending) begin
                    main_entry <= entry;
                end
                if (!pair_pending && lt_op[1:0] == OP_CONV[1:0] && m_fused) begin
                    // a fused conv: its pool row comes next, into bank P
                    pair_pending <= 1'b1;
                    entry <= entry + {{(LA_W-1){1'b0}}, 1'b1};
                    state <= S_ROW;
                end else begin
                    state <= S_PREP;
                end
            end
        end
        S_PREP: begin
            // the configuration is decoded; it settles into the generators this cycle
            fused_mode <= pair_pending;
            run_conv <= lt_op[1:0] != OP_MAXPOOL[1:0] || pair_pending ? m_conv : 1'b0;
            run_vec <= lt_op[1:0] != OP_MAXPOOL[1:0] && !pair_pending && (m_avg || m_add);
            run_pool <= lt_op[1:0] == OP_MAXPOOL[1:0];
            pool_owns <= lt_op[1:0] == OP_MAXPOOL[1:0] && !(pair_pending && !m_staging);
            state <= S_START;
        end
        S_START: begin
            conv_start <= run_conv;
            vec_start <= run_vec;
            pool_start <= run_pool;
            settle <= 3'b111;
            state <= !fused_mode ? S_RUN : S_PAIR;
        end
        S_RUN: begin
            // one generator walks the whole layer
            if (settled && gen_done && credit_zero) begin
                state <= S_DRAIN;
                drain_cnt <= DRAIN[DR_W-1:0];
            end
        end
        S_PAIR: begin
            // a fused pair: fg_fused_pair hands both generators their rows
            if (pair_port_conv) begin
                pool_owns <= 1'b0;
            end
            if (pair_port_pool) begin
                pool_owns <= 1'b1;
            end
            if (pair_finish) begin
                state <= S_DRAIN;
                drain_cnt <= DRAIN[DR_W-1:0];
            end
        end
        S_DRAIN: begin
            if (drain_end) begin
                dbg_entry_done <= 1'b1;
                // the image's last staging reader is done: its slot is free (slot_free)
                pair_pending <= 1'b0;
                if (entry_last) begin
                    state <= S_OUT;
                    lo_start <= 1'b1;
                end else begin
                    entry <= entry + {{(LA_W-1){1'b0}}, 1'b1};
                    state <= S_ROW;
                end
            end
        end
        S_OUT: begin
            if (lo_done) begin
                state <= S_DONE;
            end
        end
        S_DONE: begin
            state <= S_IDLE;
        end
        default: state <= S_IDLE;
    endcase
    dbg_busy <= state != S_IDLE && state != S_LOAD && state != S_OUT && state != S_DONE;
    dbg_loading <= state == S_LOAD;
    // a fused pair's cycles count for the conv until its last row is issued
    dbg_entry <= (!fused_mode || state == S_ROW || state == S_ROW_WAIT || state == S_PREP)
                 ? (pair_pending ? main_entry : entry)
                 : ((pair_pool_phase || state == S_DRAIN || conv_done) ? entry : main_entry);
    if (rst) begin
        state <= S_IDLE;
        entry <= {LA_W{1'b0}};
        main_entry <= {LA_W{1'b0}};
        pair_pending <= 1'b0;
        fused_mode <= 1'b0;
        run_conv <= 1'b0;
        run_vec <= 1'b0;
        run_pool <= 1'b0;
        pool_owns <= 1'b0;
        settle <= 3'b000;
        drain_cnt <= {DR_W{1'b0}};
        dbg_busy <= 1'b0;
        dbg_loading <= 1'b0;
        dbg_entry_done <= 1'b0;
        conv_start <= 1'b0;
        vec_start <= 1'b0;
        pool_start <= 1'b0;
        lo_start <= 1'b0;
        out_error <= 1'b0;
    end
end

/*
 * The fused pair: the two generators' row limits, each row as soon as it may run
 */
fg_fused_pair #(.CW(CW), .DRAIN(DRAIN)) pair_inst (
    .clk(clk), .rst(rst),
    .cfg_conv_oy_last(`FG_M(F_OY_LAST, CW)), .cfg_pool_oy_last(`FG_P(F_OY_LAST, CW)),
    .cfg_stride(`FG_P(F_STRIDE, CW)), .cfg_need0(`FG_P(F_NEED0, CW+2)),
    .cfg_gate_off(`FG_P(F_GATE_OFF, CW+2)),
    .prep(state == S_PREP), .prep_pair(pair_pending),
    .start(state == S_START && fused_mode), .start_conc(m_staging),
    .finish(pair_finish), .port_conv(pair_port_conv), .port_pool(pair_port_pool),
    .pool_phase(pair_pool_phase),
    .conv_limit(conv_limit), .pool_limit(pool_limit),
    .conv_done(conv_done), .conv_paused(conv_paused), .conv_row_issued(conv_row_issued),
    .pool_done(pool_done), .pool_paused(pool_paused), .pool_row_issued(pool_row_issued),
    .credit_zero(credit_zero)
);

assign ap_idle = state == S_IDLE;
assign ap_done = state == S_DONE;
assign ap_ready = state == S_DONE;
assign frame_error = out_error;

/*
 * Weight load (fg_wload): in_stream -> the weight and bias memories. A load begins when the
 * engine computes nothing (S_IDLE, or S_LOAD: no weight read yet) and the image input is
 * between frames and held there: while a load is pending (wl_hold) and the image input is
 * between frames, that input takes no beat (img_block), so it stays between frames; `wl_quiet`
 * is registered and says that held state was already in force a cycle ago. S_LOAD is not left
 * while `wl_hold`
 */
reg               wl_quiet;
wire              w_wr_en, b_wr_en;
wire [WA_W-1:0]   w_wr_addr;
wire [BA_W-1:0]   b_wr_addr;
wire [P_OUT*P_IN*W_W-1:0] w_wr_data;
wire [P_OUT*B_W-1:0]      b_wr_data;

// quiet in cycle t: in t - 1 the engine computed nothing, the image input was between frames
// and held (wl_hold), so it took no beat in t - 1 and takes none in t: the load may begin in t
always @(posedge clk) begin
    wl_quiet <= (state == S_IDLE || state == S_LOAD) && unpack_between && wl_hold;
end

fg_wload #(
    .TDATA_W(TDATA_W), .W_WIDTH(P_OUT*P_IN*W_W), .W_DEPTH(WMEM_DEPTH), .WA_W(WA_W),
    .B_WIDTH(P_OUT*B_W), .B_DEPTH(BMEM_DEPTH), .BA_W(BA_W), .VALID_INIT(WEIGHTS_INIT)
) wload_inst (
    .clk(clk), .rst(rst), .req(wl_req), .quiet(wl_quiet),
    .pending(wl_pending), .active(wl_active), .valid(wl_valid), .error(wl_error),
    .busy(wl_busy), .hold(wl_hold), .crc(wl_crc),
    .s_TDATA(in_stream_TDATA), .s_TKEEP(in_stream_TKEEP), .s_TLAST(in_stream_TLAST),
    .s_TVALID(in_stream_TVALID), .s_TREADY(wl_tready),
    .w_wr_en(w_wr_en), .w_wr_addr(w_wr_addr), .w_wr_data(w_wr_data),
    .b_wr_en(b_wr_en), .b_wr_addr(b_wr_addr), .b_wr_data(b_wr_data)
);

// the image input takes no beat while a load is pending, running or the weights are not
// valid (`wl_hold`, a register), once it is between frames: a frame it has begun ends first
// (a load waits for that), and it stays between frames after (no beat taken), so the gate is
// two registers ANDed
wire img_block = wl_hold && unpack_between;
assign unused_wl_pa = &{1'b0, wl_pending, wl_active};
wire img_tready;
assign in_stream_TREADY = wl_tready || (img_tready && !img_block);

/*
 * Double-buffered input staging (fg_stage_slots): the loader fills a free slot whenever the
 * stream offers an image; the engine reads the oldest full slot (S_LOAD waits for it) and
 * frees it when its last staging reader (row STAGE_LAST_ENTRY) has drained
 */
wire              ld_open, ld_busy;
wire [SBANKS-1:0] ld_wr_en;              // pixel p to bank p mod SBANKS ...
wire [SA_W-1:0]   ld_addr;               // ... at word slot base + p / SBANKS
wire [SA_W-1:0]   rd_base;               // the image's first word
wire              slot_free = state == S_DRAIN && drain_end
                              && entry == STAGE_LAST_ENTRY[LA_W-1:0];

fg_stage_slots #(.PIXELS(STAGE_DEPTH), .TAPS(SBANKS), .SLOTS(STAGE_SLOTS), .SA_W(SA_W)) slots_inst (
    .clk(clk), .rst(rst),
    .ld_open(ld_open), .ld_busy(ld_busy), .px_valid(in_word_valid), .px_error(unpack_error),
    .wr_en(ld_wr_en), .wr_addr(ld_addr),
    .rd_ready(rd_ready), .rd_error(rd_error), .rd_base(rd_base), .rd_done(slot_free)
);

fg_axis_unpack #(
    .A_W(IN_W), .VB(IN_VB), .C(IN_C), .TDATA_W(TDATA_W), .N_BEATS(IN_BEATS),
    .N_PIXELS(STAGE_DEPTH), .LAST_BYTES(IN_LAST_BYTES)
) axis_in_inst (
    .clk(clk), .rst(rst), .start(ld_open), .frame_error(unpack_error),
    .between(unpack_between),
    .in_stream_TDATA(in_stream_TDATA), .in_stream_TKEEP(in_stream_TKEEP),
    .in_stream_TLAST(in_stream_TLAST), .in_stream_TVALID(in_stream_TVALID && !img_block),
    .in_stream_TREADY(img_tready),
    .m_valid(in_word_valid), .m_ready(ld_busy), .m_data(in_word)
);

/*
 * Memories: staging banks, arena, weights, biases (all read with their output register)
 */
reg  [SBANKS*SA_W-1:0]      stage_rd_addr;       // one address per bank (A1)
wire [SBANKS*IN_C*IN_W-1:0] stage_rd_data;

genvar gs;
generate
    for (gs = 0; gs < SBANKS; gs = gs + 1) begin : g_stage
        fg_col_ram #(
            .WIDTH(IN_C*IN_W), .LANES(1), .DEPTH(STAGE_SLOTS * SB_DEPTH > 1 ? STAGE_SLOTS * SB_DEPTH : 2), .ADDR_W(SA_W),
            .OUT_REG(MEM_REGS), .N_COLS(STAGE_NC),
            .COL_W(STAGE_COL_W[gs*16*STAGE_NC +: 16*STAGE_NC]),
            .COL_ULTRA(STAGE_ULTRA[gs*STAGE_NC +: STAGE_NC])
        ) stage_inst (
            .clk(clk),
            .wr_en(ld_wr_en[gs]),
            .wr_mask(1'b1), .wr_addr(ld_addr), .wr_data(in_word),
            .rd_en(1'b1), .rd_addr(stage_rd_addr[gs*SA_W +: SA_W]),
            .rd_data(stage_rd_data[gs*IN_C*IN_W +: IN_C*IN_W])
        );
    end
endgenerate

// the arena: PP pixel banks (1 without pixel parallelism) of NW word banks each; every port
// below is PP wide, part p for pixel bank p
wire [PP*NW-1:0]        arena_wr_en;       // one write port per bank
wire [P_IN-1:0]         arena_wr_mask;
wire [PP*NW*AW-1:0]     arena_wr_addr;     // bank addresses, AW bits each
wire [PP*NW*WORD_W-1:0] arena_wr_data;
wire [PP*LNWW-1:0]      arena_rd_sel;      // the bank of each read's word 0 (address mod NW)
wire [PP*NW*AB_W-1:0]   arena_rd_bank_addr;
wire [PP*WORD_W-1:0]    arena_rd_data;     // word a of each pixel bank's read
wire [PP*NW*WORD_W-1:0] arena_rd_wide;     // words a .. a + NW - 1 (a pool beat, a split conv)

// the arena's write lanes: its lane groups (all lanes of a group share one enable)
wire [G-1:0] arena_group_mask;
wire [PP*NW*AB_W-1:0] arena_bank_addr;
genvar gm;
generate
    for (gm = 0; gm < G; gm = gm + 1) begin : g_group_mask
        assign arena_group_mask[gm] = arena_wr_mask[gm * (P_IN / G)];
    end
    for (gm = 0; gm < PP * NW; gm = gm + 1) begin : g_bank_addr
        assign arena_bank_addr[gm*AB_W +: AB_W] = arena_wr_addr[gm*AW +: AB_W];
    end
endgenerate

fg_arena #(
    .WIDTH(WORD_W), .LANES(G), .BANKS(NW), .BANK_DEPTH(ARENA_BANK_DEPTH), .BA_W(AB_W),
    .OUT_REG(MEM_REGS), .N_COLS(ARENA_NC), .COL_W(ARENA_COL_W), .COL_ULTRA(ARENA_ULTRA),
    .PP(PP)
) arena_inst (
    .clk(clk),
    .wr_en(arena_wr_en), .wr_mask(arena_group_mask), .wr_addr(arena_bank_addr),
    .wr_data(arena_wr_data),
    .rd_en(1'b1), .rd_addr(arena_rd_bank_addr), .rd_sel(arena_rd_sel),
    .rd_data(arena_rd_data), .rd_wide(arena_rd_wide)
);

// A2 (A1 with pixel banks, whose weight word takes a register per array copy): the weights
// reach the array with x_act
reg  [WA_W-1:0]             wmem_addr;
wire [P_OUT*P_IN*W_W-1:0]   wmem_data;
wire [BA_W-1:0]             bmem_addr;
wire [P_OUT*B_W-1:0]        bmem_data;

// the weight and bias memories: RAMs the loader writes (fg_wload), initialized by the
// bitstream when WEIGHTS_INIT = 1
fg_sdp_ram #(
    .WIDTH(P_OUT*P_IN*W_W), .LANES(1), .DEPTH(WMEM_DEPTH), .ADDR_W(WA_W), .OUT_REG(MEM_REGS),
    .RAM_STYLE(WEIGHT_STYLE), .INIT_FILE(WEIGHTS_INIT != 0 ? WEIGHTS_FILE : "")
) wmem_inst (
    .clk(clk), .wr_en(w_wr_en), .wr_mask(1'b1), .wr_addr(w_wr_addr), .wr_data(w_wr_data),
    .rd_en(1'b1), .rd_addr(wmem_addr), .rd_data(wmem_data)
);

fg_sdp_ram #(
    .WIDTH(P_OUT*B_W), .LANES(1), .DEPTH(BMEM_DEPTH), .ADDR_W(BA_W), .OUT_REG(MEM_REGS),
    .RAM_STYLE(BIAS_STYLE), .INIT_FILE(WEIGHTS_INIT != 0 ? BIASES_FILE : "")
) bmem_inst (
    .clk(clk), .wr_en(b_wr_en), .wr_mask(1'b1), .wr_addr(b_wr_addr), .wr_data(b_wr_data),
    .rd_en(1'b1), .rd_addr(bmem_addr), .rd_data(bmem_data)
);

/*
 * Generators
 */
wire              cv_valid, cv_first, cv_last;
wire [AW-1:0]     cv_addr, cv_oaddr;
wire [PW-1:0]     cv_phase;          // the tap's pixel bank
wire [CW:0]       cv_iy, cv_ix, cv_kleft, cv_st_left;
wire [WA_W-1:0]   cv_waddr;
wire [BA_W-1:0]   cv_baddr;
wire [GW-1:0]     cv_group;
// the generator spaces the results of short dot products itself (NW write cycles each)
wire              cv_ready = 1'b1;
wire              cv_take = cv_valid;

fg_conv_agu #(.AW(AW), .CW(CW), .WA_W(WA_W), .BA_W(BA_W), .NW(NW), .G(G), .PP(PP)) conv_agu_inst (
    .clk(clk), .rst(rst),
    .cfg_cb_last(`FG_M(F_CB_LAST, CW)), .cfg_kx_last(`FG_M(F_KX_LAST, CW)),
    .cfg_ky_last(`FG_M(F_K_LAST, CW)), .cfg_og_last(`FG_M(F_OG_LAST, CW)),
    .cfg_ox_last(`FG_M(F_OX_LAST, CW)), .cfg_oy_last(`FG_M(F_OY_LAST, CW)),
    .cfg_origin(`FG_M(F_ORIGIN, AW)), .cfg_kx_step(`FG_M(F_KX_STEP, AW)),
    .cfg_ky_step(`FG_M(F_KY_STEP, AW)), .cfg_ox_step(`FG_M(F_OX_STEP, AW)),
    .cfg_oy_step(`FG_M(F_OY_STEP, AW)), .cfg_ix_step(`FG_M(F_IX_STEP, CW)),
    .cfg_ix_ox_step(m_sj[PP*(CW+1) +: CW]), .cfg_ph0(m_ph0), .cfg_kx_pix(m_kx_pix && PP > 1),
    .cfg_stride(`FG_M(F_STRIDE, CW)), .cfg_pad(`FG_M(F_PAD, CW)),
    .cfg_kernel(`FG_M(F_KERNEL, CW)), .cfg_w_base(`FG_M(F_W_BASE, WA_W)),
    .cfg_b_base(`FG_M(F_B_BASE, BA_W)), .cfg_out_base(`FG_M(F_OUT_BASE, AW)),
    .cfg_out_stride(`FG_M(F_OUT_STRIDE, AW)), .cfg_out_row_step(`FG_M(F_OUT_ROW_STEP, AW)),
    .cfg_out_ring_last(`FG_M(F_OUT_RING_LAST, CW)), .cfg_out_blocks(`FG_M(F_OUT_BLOCKS, CW)),
    .start(conv_start), .row_limit(conv_limit), .ready(cv_ready),
    .done(conv_done), .paused(conv_paused), .row_issued(conv_row_issued),
    .beat_valid(cv_valid), .beat_first(cv_first), .beat_last(cv_last), .beat_addr(cv_addr),
    .beat_phase(cv_phase), .beat_iy(cv_iy), .beat_ix(cv_ix), .beat_kleft(cv_kleft), .beat_waddr(cv_waddr),
    .beat_baddr(cv_baddr), .beat_oaddr(cv_oaddr), .beat_st_left(cv_st_left),
    .beat_group(cv_group)
);

wire              vc_valid, vc_first, vc_last, vc_half;
wire [AW-1:0]     vc_addr, vc_waddr;
wire [PW-1:0]     vc_phase;

fg_vec_agu #(.AW(AW), .CW(CW), .PP(PP)) vec_agu_inst (
    .clk(clk), .rst(rst),
    .cfg_add(m_add), .cfg_cb_last(`FG_M(F_CB_LAST, CW)), .cfg_p_last(`FG_M(F_P_LAST, CW)),
    .cfg_in_base(`FG_M(F_IN_BASE, AW)), .cfg_in_stride(`FG_M(F_IN_STRIDE, AW)),
    .cfg_in2_base(`FG_M(F_IN2_BASE, AW)), .cfg_in2_stride(`FG_M(F_IN2_STRIDE, AW)),
    .cfg_out_base(`FG_M(F_OUT_BASE, AW)), .cfg_out_stride(`FG_M(F_OUT_STRIDE, AW)),
    .cfg_x_last(m_x_last), .cfg_row_step(`FG_M(F_ROW_STEP, AW)),
    .start(vec_start), .ready(1'b1), .done(vec_done),
    .beat_valid(vc_valid), .beat_first(vc_first), .beat_last(vc_last), .beat_half(vc_half),
    .beat_addr(vc_addr), .beat_phase(vc_phase), .beat_waddr(vc_waddr)
);

wire              pl_valid, pl_first, pl_last, pl_carry, pl_from_carry;
wire [AW-1:0]     pl_row_addr, pl_col_addr, pl_waddr;
wire [CW:0]       pl_left;
wire [CW:0]       pl_iy, pl_ix, pl_kleft;
wire [PW-1:0]     pl_phase, pl_opix;
// any beat waits while PF_DEPTH - 1 windows are in flight: a decision from one register
wire              pl_ready = !credit_high;
wire              pl_take = pl_valid && pl_ready;

// a pool beat reads NW words (every arena bank: up to NW channel blocks of a pixel), so the
// table's words per pixel - 1 become word groups - 1 by a shift
wire [CW-1:0] pool_cb_last = `FG_P(F_CB_LAST, CW) >> LNW;

fg_pool_agu #(.AW(AW), .CW(CW), .CB_STEP(NW), .PP(PP)) pool_agu_inst (
    .clk(clk), .rst(rst),
    .cfg_cb_last(pool_cb_last), .cfg_blocks(`FG_P(F_OUT_BLOCKS, CW)),
    .cfg_k_last(`FG_P(F_K_LAST, CW)), .cfg_kx_last(`FG_P(F_KX_LAST, CW)), .cfg_ph0(p_ph0),
    .cfg_pix_step(p_pix_step),
    .cfg_ox_last(`FG_P(F_OX_LAST, CW)), .cfg_oy_last(`FG_P(F_OY_LAST, CW)),
    .cfg_stride(`FG_P(F_STRIDE, CW)), .cfg_pad(`FG_P(F_PAD, CW)),
    .cfg_reuse(`FG_P(F_REUSE, 1)), .cfg_kx0(`FG_P(F_KX0, CW)), .cfg_ix_kx0(`FG_P(F_IX_KX0, CW)),
    .cfg_in_base(`FG_P(F_IN_BASE, AW)), .cfg_row0(`FG_P(F_ROW0, AW)),
    .cfg_irow0(`FG_P(F_IROW0, CW)), .cfg_ring(`FG_P(F_RING, CW)),
    .cfg_ring_last(`FG_P(F_RING_LAST, CW)), .cfg_row_step(`FG_P(F_ROW_STEP, AW)),
    .cfg_s_row_step(`FG_P(F_S_ROW_STEP, AW)), .cfg_wrap_row_step(`FG_P(F_WRAP_ROW_STEP, AW)),
    .cfg_col0(`FG_P(F_COL0, AW)), .cfg_kx_step(`FG_P(F_KX_STEP, AW)),
    .cfg_col_step(`FG_P(F_COL_STEP, AW)), .cfg_col_kx0(`FG_P(F_COL_KX0, AW)),
    .cfg_out_base(`FG_P(F_OUT_BASE, AW)), .cfg_out_stride(`FG_P(F_OUT_STRIDE, AW)),
    .cfg_out_row_step(`FG_P(F_OUT_ROW_STEP, AW)),
    .start(pool_start), .row_limit(pool_limit), .ready(pl_ready),
    .done(pool_done), .paused(pool_paused), .row_issued(pool_row_issued),
    .window_issued(pl_window),
    .beat_valid(pl_valid), .beat_first(pl_first), .beat_last(pl_last), .beat_carry(pl_carry),
    .beat_from_carry(pl_from_carry), .beat_row_addr(pl_row_addr),
    .beat_col_addr(pl_col_addr), .beat_iy(pl_iy), .beat_ix(pl_ix), .beat_waddr(pl_waddr),
    .beat_left(pl_left), .beat_phase(pl_phase), .beat_opix(pl_opix), .beat_kleft(pl_kleft)
);

// pool windows issued and not yet written (the write queue holds PF_DEPTH): the issuer stops
// at PF_DEPTH - 1 (credit_high), the layer ends at none (credit_zero)
wire       pl_window;
fg_credit #(.DEPTH(PF_DEPTH)) credit_inst (
    .clk(clk), .rst(rst), .issue(pl_window), .retire(pool_pop),
    .zero(credit_zero), .high(credit_high)
);

/*
 * A1: the main beat registered (conv or element-wise); its addresses drive the memories
 */
wire [CW:0] m_in_h = {1'b0, `FG_M(F_IN_H, CW)};
wire [CW:0] m_in_w = {1'b0, `FG_M(F_IN_W, CW)};

reg               a1_valid, a1_first, a1_last, a1_inside, a1_half;
reg [PP*LNWW-1:0] a1_rsel;      // each pixel bank's word 0: its bank (address mod NW)
reg [PP*TAPS-1:0] a1_tap_in;    // tap t of pixel j inside (j * TAPS + t)
reg [LTW-1:0]     a1_bank0;
reg [PW-1:0]      a1_phase;     // the rotation of the pixel banks' words (pixel 0's bank)
reg [WA_W-1:0]    a1_waddr;
reg [BA_W-1:0]    a1_baddr;
reg [DESC_W-1:0]  a1_desc;
// the main beat's arena read, as the pool's: words a .. a + NW - 1, bank b at
// (a + NW - 1 - b) / NW (hw/fg_arena.v); word 0 alone is then bank a mod NW at a / NW, so the
// same addresses serve a one-word read and a split conv's G words. With pixel banks, pixel
// bank p reads from the beat's group address a, or from the next group (a + the conv's words
// per group, kx_step) when p is below the tap's phase: the PP pixels x0 .. x0 + PP - 1
reg [PP*NW*AB_W-1:0] a1_bank_addr;
wire [AW-1:0]     a0_raddr = run_vec ? vc_addr : cv_addr;
wire [AW-1:0]     a0_step = `FG_M(F_KX_STEP, AW);
genvar ga, gp;
generate
    for (gp = 0; gp < PP; gp = gp + 1) begin : g_main_pix
        // pixel bank p reads the next group (never the last bank: a phase is below PP)
        wire          next_g;
        if (gp < PP - 1) begin : g_next
            assign next_g = !run_vec && gp[PW-1:0] < cv_phase;
        end else begin : g_never
            assign next_g = 1'b0;
        end
        wire [AW-1:0] off = next_g ? a0_step : {AW{1'b0}};
        wire [AW-1:0] a_p = a0_raddr + off;
        for (ga = 0; ga < NW; ga = ga + 1) begin : g_main_bank
            localparam integer WORD_K = NW - 1 - ga;
            wire [AW-1:0] a_b = a0_raddr + off + WORD_K[AW-1:0];
            always @(posedge clk) begin
                a1_bank_addr[(gp*NW+ga)*AB_W +: AB_W] <= a_b[AB_W+LNW-1:LNW];
            end
            wire unused_a_b = &{1'b0, a_b};   // the bank bits and the address's top bit
        end
        always @(posedge clk) begin
            a1_rsel[gp*LNWW +: LNWW] <= a_p[LNWW-1:0];
        end
        wire unused_a_p = &{1'b0, a_p};
    end
endgenerate

// staging: tap t of pixel j of the beat is pixel p0 + s * j + t, in bank (p0 + s*j + t) mod
// SBANKS (s * j = 0 without pixel banks); bank b reads word p0 / SBANKS, or the next word when
// b < p0 mod SBANKS (the PP * TAPS taps span s * (PP - 1) + TAPS <= SBANKS pixels)
wire [AW-1:0]  p0 = cv_addr;
wire [LTW-1:0] p0_low = (LT > 0) ? p0[LTW-1:0] : {LTW{1'b0}};
wire [AW-1:0]  p0_word = p0 >> LT;

wire row_in = !cv_iy[CW] && $signed(cv_iy) < $signed(m_in_h);
genvar gt, gj;
generate
    for (gj = 0; gj < PP; gj = gj + 1) begin : g_tap_pix
        for (gt = 0; gt < TAPS; gt = gt + 1) begin : g_taps
            // tap (j, t) is inside when -(s*j + t) <= ix < in_w - (s*j + t) (registered per
            // layer) and t < kleft: compares of registers, no adder before them (an arena
            // conv's pixel j is its tap (j, 0): s = 1 there)
            reg  [CW:0] sjt, w_minus_t, neg_t;
            always @(posedge clk) begin
                sjt <= m_sj[gj*(CW+1) +: CW+1] + gt[CW:0];
                w_minus_t <= m_in_w - sjt;
                neg_t <= -sjt;
            end
            wire tap_in = row_in && $signed(cv_ix) >= $signed(neg_t)
                          && $signed(cv_ix) < $signed(w_minus_t) && $signed(cv_kleft) > gt;
            always @(posedge clk) begin
                if (cv_take) begin
                    a1_tap_in[gj*TAPS+gt] <= tap_in;
                end
            end
        end
    end
    for (gt = 0; gt < SBANKS; gt = gt + 1) begin : g_stage_addr
        // the last bank is never before the first tap's bank
        wire next_word;
        if (gt < SBANKS - 1) begin : g_wrap
            assign next_word = gt < p0_low;
        end else begin : g_last
            assign next_word = 1'b0;
        end
        always @(posedge clk) begin
            if (cv_take) begin
                stage_rd_addr[gt*SA_W +: SA_W] <= p0_word[SA_W-1:0] + rd_base
                    + {{(SA_W-1){1'b0}}, next_word};
            end
        end
    end
endgenerate

always @(posedge clk) begin
    a1_valid <= cv_take || (vc_valid && run_vec);
    if (run_vec) begin
        a1_first <= vc_first;
        a1_last <= vc_last;
        a1_half <= vc_half;
        a1_inside <= 1'b1;
        a1_phase <= vc_phase;
        a1_desc <= {vc_waddr, {{CW{1'b0}}, 1'b1}, {GW{1'b0}}};
    end else begin
        a1_first <= cv_first;
        a1_last <= cv_last;
        a1_half <= 1'b0;
        a1_inside <= row_in && !cv_ix[CW] && $signed(cv_ix) < $signed(m_in_w);
        a1_phase <= cv_phase;
        a1_desc <= {cv_oaddr, cv_st_left, cv_group};
    end
    a1_bank0 <= p0_low;
    a1_waddr <= cv_waddr;
    a1_baddr <= cv_baddr;
    wmem_addr <= (PP > 1) ? cv_waddr : a1_waddr;
    if (rst) begin
        a1_valid <= 1'b0;
    end
end

// the bias reaches the array's accumulator with the dot product's first beat
fg_delay #(.WIDTH(BA_W), .DEPTH(BIAS_ADDR_DELAY), .RESET(0)) bias_addr_dly (
    .clk(clk), .rst(rst), .in_data(a1_baddr), .out_data(bmem_addr)
);

/*
 * Pool Q1: the read address (row + column), the edge test; QD: the data, into the max unit
 */
wire [CW:0] p_in_h = {1'b0, `FG_P(F_IN_H, CW)};
wire [CW:0] p_in_w = {1'b0, `FG_P(F_IN_W, CW)};

reg               q1_valid, q1_first, q1_last, q1_inside, q1_carry, q1_from_carry;
reg [PP*LNWW-1:0] q1_rsel;
reg [AW-1:0]      q1_waddr;
reg [CW:0]        q1_left;
reg [PP-1:0]      q1_pin;       // pixel j of the chunk is a tap inside the input
reg [PW-1:0]      q1_phase, q1_opix;
wire [AW-1:0]     pl_raddr = pl_row_addr + pl_col_addr;
// the pool's wide read: words a .. a + NW - 1, bank b at (a + NW - 1 - b) / NW (hw/fg_arena.v);
// with pixel banks, pixel bank p reads the next group when p is below the chunk's phase (the
// group step kx_step, added to the constant in a per-layer register: a three-input add)
reg [PP*NW*AB_W-1:0] q1_bank_addr;
genvar gq, gqp;
generate
    for (gqp = 0; gqp < PP; gqp = gqp + 1) begin : g_pool_pix
        wire next_g;
        if (gqp < PP - 1) begin : g_next
            assign next_g = gqp[PW-1:0] < pl_phase;
        end else begin : g_never
            assign next_g = 1'b0;
        end
        reg  [AW-1:0] step_p;   // kx_step: one group
        always @(posedge clk) begin
            step_p <= `FG_P(F_KX_STEP, AW);
        end
        wire [AW-1:0] a_p = pl_raddr + (next_g ? step_p : {AW{1'b0}});
        for (gq = 0; gq < NW; gq = gq + 1) begin : g_pool_bank
            localparam integer WORD_K = NW - 1 - gq;
            reg  [AW-1:0] k_next;   // kx_step + WORD_K
            always @(posedge clk) begin
                k_next <= `FG_P(F_KX_STEP, AW) + WORD_K[AW-1:0];
            end
            wire [AW-1:0] a_b = pl_row_addr + pl_col_addr
                                + (next_g ? k_next : WORD_K[AW-1:0]);
            always @(posedge clk) begin
                q1_bank_addr[(gqp*NW+gq)*AB_W +: AB_W] <= a_b[AB_W+LNW-1:LNW];
            end
            wire unused_a_b = &{1'b0, a_b, k_next};   // the bank bits, the top bit
        end
        // pixel j of the chunk: -j <= ix < in_w - j and j < kleft
        reg  [CW:0] w_minus_j;
        wire [CW:0] neg_j = -gqp[CW:0];
        always @(posedge clk) begin
            w_minus_j <= p_in_w - gqp[CW:0];
            q1_rsel[gqp*LNWW +: LNWW] <= a_p[LNWW-1:0];
            q1_pin[gqp] <= !pl_iy[CW] && $signed(pl_iy) < $signed(p_in_h)
                           && $signed(pl_ix) >= $signed(neg_j)
                           && $signed(pl_ix) < $signed(w_minus_j)
                           && $signed(pl_kleft) > gqp;
        end
        wire unused_a_p = &{1'b0, a_p, step_p};
    end
endgenerate

always @(posedge clk) begin
    q1_valid <= pl_take;
    q1_first <= pl_first;
    q1_last <= pl_last;
    q1_inside <= !pl_iy[CW] && $signed(pl_iy) < $signed(p_in_h)
                 && !pl_ix[CW] && $signed(pl_ix) < $signed(p_in_w);
    q1_carry <= pl_carry;
    q1_from_carry <= pl_from_carry;
    q1_waddr <= pl_waddr;
    q1_left <= pl_left;
    q1_phase <= pl_phase;
    q1_opix <= pl_opix;
    if (rst) begin
        q1_valid <= 1'b0;
    end
end

wire              qd_valid;
wire [4:0]        qd_flags;
wire [AW-1:0]     qr_waddr;
wire [CW:0]       qr_left;
wire [PW-1:0]     qr_opix;
wire [PP-1:0]     qd_pin;
wire [PW-1:0]     qd_phase;

// the beat meets its words (MEM_LAT), with pixel banks their pixel reduction (PIX_LAT) too
fg_delay #(.WIDTH(1), .DEPTH(MEM_LAT + PIX_LAT), .RESET(1)) q_valid_dly (
    .clk(clk), .rst(rst), .in_data(q1_valid), .out_data(qd_valid)
);
fg_delay #(.WIDTH(5), .DEPTH(MEM_LAT + PIX_LAT), .RESET(0)) q_flags_dly (
    .clk(clk), .rst(rst), .in_data({q1_first, q1_last, q1_inside, q1_carry, q1_from_carry}),
    .out_data(qd_flags)
);
fg_delay #(.WIDTH(PP + PW), .DEPTH(MEM_LAT), .RESET(0)) q_pin_dly (
    .clk(clk), .rst(rst), .in_data({q1_pin, q1_phase}), .out_data({qd_pin, qd_phase})
);
// the window's write address, stored words and pixel bank meet fg_maxpool's result
fg_delay #(.WIDTH(AW + CW + 1 + PW), .DEPTH(MEM_LAT + PIX_LAT + MAXPOOL_LAT), .RESET(0))
q_waddr_dly (
    .clk(clk), .rst(rst), .in_data({q1_waddr, q1_left, q1_opix}),
    .out_data({qr_waddr, qr_left, qr_opix})
);

/*
 * The arena's read port: the logits streamer, the pool generator, or the main beat
 */
wire            lo_rd_en;
wire [AW-1:0]   lo_rd_addr;
assign arena_rd_sel = lo_rd_en ? {PP{lo_rd_addr[LNWW-1:0]}} : (pool_owns ? q1_rsel : a1_rsel);
// the logits: one word, every bank at its bank address (pixel bank 0's word is the logit's:
// the output is one pixel); the pool and the main beat: their NW words' bank addresses in each
// pixel bank, registered in Q1 / A1
wire [AB_W-1:0] lo_rd_hi = lo_rd_addr[AA_W-1:LNW];
assign arena_rd_bank_addr = lo_rd_en ? {(PP*NW){lo_rd_hi}}
                                     : (pool_owns ? q1_bank_addr : a1_bank_addr);

/*
 * MD: memory data (controls delayed MEM_LAT cycles to meet it); A4: operands registered
 */
wire              md_valid;
wire [3:0]        md_flags;          // first, last, inside, half
wire [PP*TAPS-1:0] md_tap_in;
wire [LTW-1:0]    md_bank0;
wire [PW-1:0]     md_phase;

fg_delay #(.WIDTH(1), .DEPTH(MEM_LAT), .RESET(1)) a_valid_dly (
    .clk(clk), .rst(rst), .in_data(a1_valid), .out_data(md_valid)
);
fg_delay #(.WIDTH(4 + PP * TAPS + LTW + PW), .DEPTH(MEM_LAT), .RESET(0)) a_flags_dly (
    .clk(clk), .rst(rst),
    .in_data({a1_first, a1_last, a1_inside, a1_half, a1_tap_in, a1_bank0, a1_phase}),
    .out_data({md_flags, md_tap_in, md_bank0, md_phase})
);

wire m_in_signed = `FG_M(F_IN_SIGNED, 1);

// the pixel banks' words rotated into place: slot j is pixel bank (phase + j) mod PP (a conv's
// pixel j; an average pool's pixel in slot 0; an add's pixel j, phase 0). Without pixel
// banks, slot 0 is the arena's word
wire [PP*WORD_W-1:0] md_words;
genvar gr;
generate
    for (gr = 0; gr < PP; gr = gr + 1) begin : g_rot
        if (PP > 1) begin : g_mux
            reg [WORD_W-1:0] w_sel;
            integer rb;
            always @* begin
                w_sel = arena_rd_data[gr*WORD_W +: WORD_W];
                for (rb = 0; rb < PP; rb = rb + 1) begin
                    // slot gr is bank rb when phase = (rb - gr) mod PP (constants)
                    if ({{(32-PW){1'b0}}, md_phase} == (rb - gr + PP) % PP) begin
                        w_sel = arena_rd_data[rb*WORD_W +: WORD_W];
                    end
                end
            end
            assign md_words[gr*WORD_W +: WORD_W] = w_sel;
        end else begin : g_wire
            assign md_words[gr*WORD_W +: WORD_W] = arena_rd_data[gr*WORD_W +: WORD_W];
            wire unused_phase = &{1'b0, md_phase};
        end
    end
endgenerate

reg                  a4_valid, a4_first, a4_last, a4_half;
// MAC array activations (signed XA_W), a word per column group, a set per array copy
reg [PP*NW*P_IN*XA_W-1:0] x_act;
wire [PP*P_IN*XA_W-1:0]   x_lanes;  // column group 0's (and an unsplit conv's) activations
reg [PP*WORD_W-1:0]  a4_data;    // the arena words as read, rotated (element-wise units)

genvar gx, gxp;
generate
    for (gxp = 0; gxp < PP; gxp = gxp + 1) begin : g_copy
        // an arena conv's pixel j is inside (pixel banks: its tap (j, 0); else the beat's flag)
        wire pix_in = (PP > 1) ? md_tap_in[gxp*TAPS] : md_flags[1];
        for (gx = 0; gx < P_IN; gx = gx + 1) begin : g_act
            wire [ACT_W-1:0] av = md_words[gxp*WORD_W + gx*ACT_W +: ACT_W];
            wire [XA_W-1:0]  av_ext = {{(XA_W-ACT_W){m_in_signed & av[ACT_W-1]}}, av};
            wire [XA_W-1:0]  x_lane;
            if (gx < TAPS * IN_C) begin : g_staged
                // lane t*IN_C + c of copy j: channel c of tap t of pixel j, from staging bank
                // (bank0 + s*j + t) mod SBANKS
                localparam integer T = gx / IN_C;
                localparam integer C = gx % IN_C;
                wire [IN_W-1:0] sv;
                if (LT > 0) begin : g_banked
                    // an SBANKS:1 multiplexer on the bank number (constant part-selects)
                    wire [LTW-1:0] bank = md_bank0 + T[LTW-1:0]
                                          + m_sj[gxp*(CW+1) +: LTW];
                    reg  [IN_W-1:0] sv_sel;
                    integer bk;
                    always @* begin
                        sv_sel = stage_rd_data[C * IN_W +: IN_W];
                        for (bk = 1; bk < SBANKS; bk = bk + 1) begin
                            if (bank == bk[LTW-1:0]) begin
                                sv_sel = stage_rd_data[(bk * IN_C + C) * IN_W +: IN_W];
                            end
                        end
                    end
                    assign sv = sv_sel;
                end else begin : g_one_bank
                    assign sv = stage_rd_data[C * IN_W +: IN_W];
                end
                wire [XA_W-1:0] sv_ext = {{(XA_W-IN_W){sv[IN_W-1]}}, sv};
                assign x_lane = m_staging ? (md_tap_in[gxp*TAPS+T] ? sv_ext : {XA_W{1'b0}})
                                          : (pix_in ? av_ext : {XA_W{1'b0}});
            end else begin : g_arena
                assign x_lane = (!m_staging && pix_in) ? av_ext : {XA_W{1'b0}};
            end
            assign x_lanes[(gxp*P_IN+gx)*XA_W +: XA_W] = x_lane;
            always @(posedge clk) begin
                x_act[(gxp*NW*P_IN+gx)*XA_W +: XA_W] <= x_lane;
            end
        end
    end
endgenerate

// column groups 1 .. NW - 1: the same word as group 0, or for a conv split G = 2^lg ways
// (conv_split) word k = j >> (LNW - lg) of the wide read (words a .. a + NW - 1 of the pixel;
// a split conv's phase is 0: copy p reads pixel bank p)
genvar gg, gy;
generate
    for (gxp = 0; gxp < PP; gxp = gxp + 1) begin : g_copy_groups
        wire pix_in = (PP > 1) ? md_tap_in[gxp*TAPS] : md_flags[1];
        wire unused_pix_in = &{1'b0, pix_in};   // (NW = 1: no other column group)
        for (gg = 1; gg < NW; gg = gg + 1) begin : g_group
            localparam [LNWW-1:0] J = gg;
            wire [LGW-1:0]  sh = LNW[LGW-1:0] - m_split_lg;
            wire [LNWW-1:0] k = J >> sh;
            for (gy = 0; gy < P_IN; gy = gy + 1) begin : g_lane
                reg [ACT_W-1:0] wv;
                integer kw;
                always @* begin
                    wv = arena_rd_wide[(gxp*NW*P_IN+gy)*ACT_W +: ACT_W];
                    for (kw = 1; kw < NW; kw = kw + 1) begin
                        if (k == kw[LNWW-1:0]) begin
                            wv = arena_rd_wide[((gxp*NW+kw)*P_IN+gy)*ACT_W +: ACT_W];
                        end
                    end
                end
                wire [XA_W-1:0] wv_ext = {{(XA_W-ACT_W){m_in_signed & wv[ACT_W-1]}}, wv};
                wire [XA_W-1:0] x_word = pix_in ? wv_ext : {XA_W{1'b0}};
                always @(posedge clk) begin
                    x_act[((gxp*NW+gg)*P_IN+gy)*XA_W +: XA_W] <=
                        (k == {LNWW{1'b0}}) ? x_lanes[(gxp*P_IN+gy)*XA_W +: XA_W] : x_word;
                end
            end
        end
    end
endgenerate

always @(posedge clk) begin
    a4_valid <= md_valid;
    a4_first <= md_flags[3];
    a4_last <= md_flags[2];
    a4_half <= md_flags[0];
    a4_data <= md_words;
    if (rst) begin
        a4_valid <= 1'b0;
    end
end

/*
 * Bias: sign-extended and shifted into the accumulator's scale, in two registered steps
 * (multiples of 8, then the rest)
 */
reg [P_OUT*ACC_W-1:0] x_bias;
wire [6:0] m_bias_shift = `FG_M(F_BIAS_SHIFT, 7);
genvar gb;
generate
    for (gb = 0; gb < P_OUT; gb = gb + 1) begin : g_bias
        wire [B_W-1:0] b = bmem_data[gb*B_W +: B_W];
        reg [ACC_W-1:0] coarse;
        always @(posedge clk) begin
            coarse <= {{(ACC_W-B_W){b[B_W-1]}}, b} << {m_bias_shift[6:3], 3'b000};
            x_bias[gb*ACC_W +: ACC_W] <= coarse << m_bias_shift[2:0];
        end
    end
endgenerate

/*
 * Datapath units
 */
wire [PP-1:0]             pe_out_valid;
wire [PP*P_OUT*ACC_W-1:0] pe_out_acc;
wire [PP-1:0]             ks_valid_p;
wire [PP*P_OUT*ACC_W-1:0] ks_acc;
wire                      ks_valid = ks_valid_p[0];

genvar gc;
generate
    for (gc = 0; gc < PP; gc = gc + 1) begin : g_array
        // the weight word: straight from the ROM's registers, or with several array copies a
        // register per copy (the ROM is read a cycle earlier, so it still meets x_act)
        wire [P_OUT*P_IN*W_W-1:0] wgt;
        if (PP > 1) begin : g_wgt_reg
            reg [P_OUT*P_IN*W_W-1:0] wgt_r;
            always @(posedge clk) begin
                wgt_r <= wmem_data;
            end
            assign wgt = wgt_r;
        end else begin : g_wgt_wire
            assign wgt = wmem_data;
        end

        fg_pe_array #(.P_IN(P_IN), .P_OUT(P_OUT), .A_W(XA_W), .W_W(W_W), .ACC_W(ACC_W),
                      .PACK(PACK), .NG(NW))
        pe_inst (
            .clk(clk), .rst(rst),
            .in_valid(a4_valid && run_conv), .in_first(a4_first), .in_last(a4_last),
            .in_act(x_act[gc*NW*P_IN*XA_W +: NW*P_IN*XA_W]), .in_wgt(wgt), .in_bias(x_bias),
            .out_valid(pe_out_valid[gc]), .out_acc(pe_out_acc[gc*P_OUT*ACC_W +: P_OUT*ACC_W])
        );

        // a split conv's G partial sums of each channel added (a pass-through for the others)
        fg_ksum #(.P_OUT(P_OUT), .NG(NW), .ACC_W(ACC_W), .LGW(LGW)) ksum_inst (
            .clk(clk), .rst(rst), .cfg_lg(m_split_lg),
            .in_valid(pe_out_valid[gc]), .in_acc(pe_out_acc[gc*P_OUT*ACC_W +: P_OUT*ACC_W]),
            .out_valid(ks_valid_p[gc]), .out_acc(ks_acc[gc*P_OUT*ACC_W +: P_OUT*ACC_W])
        );
    end
endgenerate

// the average pool: one word a beat (slot 0: its pixel's bank)
wire                  av_out_valid;
wire [P_IN*ACC_W-1:0] av_out;

fg_avgpool #(.LANES(P_IN), .A_W(ACT_W), .SUM_W(SUM_W), .M_W(M_W), .ACC_W(ACC_W)) avg_inst (
    .clk(clk), .rst(rst), .cfg_in_signed(m_in_signed), .cfg_mult(`FG_M(F_AVG_MULT, M_W)),
    .in_valid(a4_valid && run_vec && m_avg), .in_first(a4_first), .in_last(a4_last),
    .in_data(a4_data[WORD_W-1:0]), .out_valid(av_out_valid), .out_data(av_out)
);

// the add: a word of every pixel of a group a beat (the PP pixel banks)
reg [PP*WORD_W-1:0] add_a;         // operand a, held for the b beat
always @(posedge clk) begin
    if (a4_valid && !a4_half) begin
        add_a <= a4_data;
    end
end

wire                     ad_out_valid;
wire [PP*P_IN*ACC_W-1:0] ad_out;

fg_add #(.LANES(PP*P_IN), .A_W(ACT_W), .B_W(ACT_W), .MAX_ALIGN(MAX_ALIGN), .ACC_W(ACC_W))
add_inst (
    .clk(clk), .rst(rst),
    .cfg_a_signed(m_in_signed), .cfg_b_signed(`FG_M(F_IN2_SIGNED, 1)),
    .cfg_a_shift(`FG_M(F_ALIGN0, 5)), .cfg_b_shift(`FG_M(F_ALIGN1, 5)),
    .in_valid(a4_valid && run_vec && m_add && a4_half), .in_a(add_a), .in_b(a4_data),
    .out_valid(ad_out_valid), .out_data(ad_out)
);

// the max-pool: with pixel banks the chunk's PP pixels' words rotated into place (a register)
// and reduced over the inside ones (fg_pixmax), then the window's running max
wire                 mp_out_valid;
wire [NW*WORD_W-1:0] mp_out_data;
wire [NW*WORD_W-1:0] mx_data;
wire                 mx_inside;

generate
    if (PP > 1) begin : g_pool_reduce
        reg [PP*NW*WORD_W-1:0] qx_words;
        reg [PP-1:0]           qx_pin;
        reg                    qx_valid;
        genvar gw;
        for (gw = 0; gw < PP; gw = gw + 1) begin : g_rot
            reg [NW*WORD_W-1:0] w_sel;
            integer rb;
            always @* begin
                w_sel = arena_rd_wide[gw*NW*WORD_W +: NW*WORD_W];
                for (rb = 0; rb < PP; rb = rb + 1) begin
                    if ({{(32-PW){1'b0}}, qd_phase} == (rb - gw + PP) % PP) begin
                        w_sel = arena_rd_wide[rb*NW*WORD_W +: NW*WORD_W];
                    end
                end
            end
            always @(posedge clk) begin
                qx_words[gw*NW*WORD_W +: NW*WORD_W] <= w_sel;
            end
        end
        wire unused_inside = &{1'b0, qd_flags[2]};   // the pixels' flags count instead
        wire qd_valid_mem;   // the beat's words are here (MEM_LAT)
        fg_delay #(.WIDTH(1), .DEPTH(MEM_LAT), .RESET(1)) q_mem_dly (
            .clk(clk), .rst(rst), .in_data(q1_valid), .out_data(qd_valid_mem)
        );
        always @(posedge clk) begin
            qx_pin <= qd_pin;
            qx_valid <= qd_valid_mem;
            if (rst) begin
                qx_valid <= 1'b0;
            end
        end
        wire unused_pm_valid;
        fg_pixmax #(.PP(PP), .LANES(NW*P_IN), .A_W(ACT_W)) pixmax_inst (
            .clk(clk), .rst(rst), .cfg_signed(`FG_P(F_IN_SIGNED, 1)),
            .in_valid(qx_valid), .in_inside(qx_pin), .in_data(qx_words),
            .out_valid(unused_pm_valid), .out_inside(mx_inside), .out_data(mx_data)
        );
    end else begin : g_pool_one
        assign mx_data = arena_rd_wide;
        assign mx_inside = qd_flags[2];
        wire unused_pin = &{1'b0, qd_pin, qd_phase};
    end
endgenerate

fg_maxpool #(.LANES(NW*P_IN), .A_W(ACT_W)) maxpool_inst (
    .clk(clk), .rst(rst), .cfg_signed(`FG_P(F_IN_SIGNED, 1)),
    .in_valid(qd_valid), .in_first(qd_flags[4]), .in_last(qd_flags[3]),
    .in_inside(mx_inside), .in_carry(qd_flags[1]), .in_from_carry(qd_flags[0]),
    .in_data(mx_data),
    .out_valid(mp_out_valid), .out_data(mp_out_data)
);

/*
 * Descriptors, delayed to meet their results at R0: add MEM_LAT + 3 cycles (to the operand
 * register MEM_LAT + 1, fg_add 2), avgpool 2 more (fg_avgpool 4), conv LV + KSUM_LAT more
 * (array 4 + LV, then fg_ksum)
 */
wire [DESC_W-1:0] desc_add, desc_avg, desc_conv;

fg_delay #(.WIDTH(DESC_W), .DEPTH(MEM_LAT + 3), .RESET(0)) desc_add_dly (
    .clk(clk), .rst(rst), .in_data(a1_desc), .out_data(desc_add)
);
fg_delay #(.WIDTH(DESC_W), .DEPTH(2), .RESET(0)) desc_avg_dly (
    .clk(clk), .rst(rst), .in_data(desc_add), .out_data(desc_avg)
);
fg_delay #(.WIDTH(DESC_W), .DEPTH(LV + KSUM_LAT), .RESET(0)) desc_conv_dly (
    .clk(clk), .rst(rst), .in_data(desc_avg), .out_data(desc_conv)
);

/*
 * R0: the result registered (conv P_OUT lanes, or an element-wise word of P_IN lanes), pixel j
 * of a group at [j * RQL * ACC_W +: RQL * ACC_W] (an average pool's one pixel at 0)
 */
reg                     r0_valid, r0_conv;
reg [PP*RQL*ACC_W-1:0]  r0_acc;
reg [DESC_W-1:0]        r0_desc;

integer r0j;
always @(posedge clk) begin
    r0_valid <= run_conv ? ks_valid : (m_avg ? av_out_valid : ad_out_valid);
    r0_conv <= run_conv;
    r0_acc <= {(PP*RQL*ACC_W){1'b0}};
    if (run_conv) begin
        for (r0j = 0; r0j < PP; r0j = r0j + 1) begin
            r0_acc[r0j*RQL*ACC_W +: P_OUT*ACC_W] <= ks_acc[r0j*P_OUT*ACC_W +: P_OUT*ACC_W];
        end
        r0_desc <= desc_conv;
    end else if (m_avg) begin
        r0_acc[P_IN*ACC_W-1:0] <= av_out;
        r0_desc <= desc_avg;
    end else begin
        for (r0j = 0; r0j < PP; r0j = r0j + 1) begin
            r0_acc[r0j*RQL*ACC_W +: P_IN*ACC_W] <= ad_out[r0j*P_IN*ACC_W +: P_IN*ACC_W];
        end
        r0_desc <= desc_add;
    end
    if (rst) begin
        r0_valid <= 1'b0;
    end
end

/*
 * Requantize (ReLU on the exact sum, round_shift, clip or saturate/wrap): LAT_REQUANT cycles
 */
wire                     rq_valid;
wire [PP*RQL*ACT_W-1:0]  rq_data;

// the clip's bounds: ACT_W + 1 signed bits (an unsigned ACT_W-bit max fits), from fields of
// FW bits (the table writer refuses bounds that do not fit them)
localparam CLIP_W = (ACT_W + 1 > FW) ? FW : ACT_W + 1;
wire [ACT_W:0] m_clip_lo, m_clip_hi;
generate
    if (CLIP_W == ACT_W + 1) begin : g_clip_bounds
        assign m_clip_lo = `FG_M(F_CLIP_LO, CLIP_W);
        assign m_clip_hi = `FG_M(F_CLIP_HI, CLIP_W);
    end else begin : g_clip_bounds_ext
        wire [CLIP_W-1:0] lo = `FG_M(F_CLIP_LO, CLIP_W);
        wire [CLIP_W-1:0] hi = `FG_M(F_CLIP_HI, CLIP_W);
        assign m_clip_lo = {{(ACT_W+1-CLIP_W){lo[CLIP_W-1]}}, lo};
        assign m_clip_hi = {{(ACT_W+1-CLIP_W){hi[CLIP_W-1]}}, hi};
    end
endgenerate

fg_requant #(.LANES(PP*RQL), .ACC_W(ACC_W), .OUT_W(ACT_W), .MAX_LSHIFT(MAX_LSHIFT)) rq_inst (
    .clk(clk), .rst(rst),
    .cfg_shift(`FG_M(F_SHIFT, 7)), .cfg_rnd(`FG_M(F_ROUNDING, 2)), .cfg_sat(`FG_M(F_SAT, 1)),
    .cfg_out_signed(`FG_M(F_OUT_SIGNED, 1)), .cfg_out_width(`FG_M(F_OUT_WIDTH, 7)),
    .cfg_relu(`FG_M(F_RELU, 1)), .cfg_clip(`FG_M(F_CLIP, 1)),
    .cfg_clip_lo(m_clip_lo), .cfg_clip_hi(m_clip_hi),
    .in_valid(r0_valid), .in_acc(r0_acc),
    .out_valid(rq_valid), .out_data(rq_data)
);

wire [DESC_W-1:0] w_desc;
wire              w_conv;
fg_delay #(.WIDTH(DESC_W + 1), .DEPTH(LAT_REQUANT), .RESET(0)) desc_rq_dly (
    .clk(clk), .rst(rst), .in_data({r0_desc, r0_conv}), .out_data({w_desc, w_conv})
);

/*
 * The arena's write port
 */
wire unused_wb_busy;

fg_writeback #(
    .P_IN(P_IN), .P_OUT(P_OUT), .ACT_W(ACT_W), .AW(AW), .CW(CW), .PF_DEPTH(PF_DEPTH), .PP(PP)
) wb_inst (
    .clk(clk), .rst(rst),
    .res_valid(rq_valid), .res_conv(w_conv), .res_data(rq_data),
    .res_addr(w_desc[DESC_W-1 -: AW]), .res_st_left(w_desc[GW +: CW+1]),
    .res_group(w_desc[GW-1:0]),
    .pool_valid(mp_out_valid), .pool_data(mp_out_data), .pool_addr(qr_waddr),
    .pool_left(qr_left), .pool_pix(qr_opix),
    .pool_pop(pool_pop), .busy(unused_wb_busy),
    .wr_en(arena_wr_en), .wr_mask(arena_wr_mask), .wr_addr(arena_wr_addr),
    .wr_data(arena_wr_data)
);

/*
 * Logits out
 */
fg_logits_out #(
    .P_IN(P_IN), .ACT_W(ACT_W), .OUT_W(OUT_W), .OUT_SIGNED(OUT_SIGNED), .AW(AW),
    .OUT_BASE(OUT_BASE), .OUT_COUNT(OUT_COUNT), .VB(OUT_VB), .TDATA_W(TDATA_W),
    .RD_LAT(MEM_LAT)
) logits_inst (
    .clk(clk), .rst(rst), .start(lo_start), .done(lo_done),
    .rd_en(lo_rd_en), .rd_addr(lo_rd_addr), .rd_data(arena_rd_data[WORD_W-1:0]),
    .out_stream_TDATA(out_stream_TDATA), .out_stream_TKEEP(out_stream_TKEEP),
    .out_stream_TVALID(out_stream_TVALID),
    .out_stream_TREADY(out_stream_TREADY), .out_stream_TLAST(out_stream_TLAST)
);

// fields and bits the engine does not use (bank fields are wide on purpose: FW bits each)
wire unused_banks = &{1'b0, bank_m, bank_p, lt_op, unused_wb_busy, vc_last,
                      p0_word, arena_wr_addr, vc_addr, pl_raddr, lo_rd_addr, md_bank0,
                      x_lanes, m_split_lg,   // (these two: used when NW > 1)
                      pe_out_valid, ks_valid_p, q1_inside, pl_kleft, m_x_last, m_sj};

`undef FG_M
`undef FG_P

endmodule

`resetall
