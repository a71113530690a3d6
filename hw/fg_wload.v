/*

fpgagen: the weight loader - weights.bin from in_stream into the weight and bias memories

A build's weights.bin (fpgagen/machine/weightload.py) is the weight memory's W_DEPTH words,
then the bias memory's B_DEPTH words, each word its lanes packed little-end first (as
fpgagen/machine/memimage.py packs them) and padded with zero bits to whole beats: WB =
ceil(W_WIDTH / TDATA_W) beats per weight word, BB = ceil(B_WIDTH / TDATA_W) per bias word,
N = W_DEPTH * WB + B_DEPTH * BB beats, TLAST on the last, every TKEEP all ones.

    req      a load is asked for (fg_axil_ctrl: WEIGHTS bit 0 written 1; a pulse): pending
    quiet    the load may begin (registered by the caller): the engine computes nothing and
             the image input is between frames and held there by `hold` (so it takes no beat
             in this cycle either). Pending, the loader waits for it; then it takes the stream
             (s_TREADY high) until TLAST
    valid    the memories hold a whole weight set: VALID_INIT after configuration (1 when the
             bitstream initializes them), 0 from a load's start, 1 after a load of exactly N
             beats with TLAST on the N-th and TKEEP all ones, else 0 with `error` set (until
             the next load's start). Beats after the N-th are taken up to TLAST and dropped.
             `rst` leaves it as it is (its initial value is the bitstream's): the memories keep
             their contents through a reset, so a reset in the middle of a load leaves it 0
             and one after a good load 1
    busy     a load pending or running (its last beat still in the input register included):
             WEIGHTS bit 0; `valid` and `error` are final once it drops
    hold     pending, loading or not valid, one register: the engine must not start an image,
             the image input takes no beat once between frames
    crc      CRC-32 (zlib.crc32) of every byte of every beat taken since the load began
             (fg_crc32): the host compares it with the file's

A beat taken from the port lands in an input register (`r_*`) first; everything else (the
shift register, the counters, the CRC) works on that register, a cycle later, so the loader
puts one flip-flop per TDATA bit on the port and nothing else.

The beats enter a shift register of SR_N = max(WB, BB) beats at the top, so a word's first
beat (its bits 0 .. TDATA_W - 1) ends up lowest: after a weight word's WB beats the word is the
register's bits [SR_W - WB * TDATA_W +: W_WIDTH], a bias word's likewise, and the memory's write
port takes that slice in the next cycle (write enable and address registered, the data the
register itself: no multiplexer in front of a write pin). The cost: SR_W = SR_N * TDATA_W
flip-flops with a clock enable and no logic in front (8,192 on the ZC706's 16x64 engine, 256
on a 4x8), the input register (TDATA_W + 3), the counters below, and fg_crc32's XOR network.

Counters: `bw` the beat within the word, `addr` the word within its memory, `phase` weights /
biases / past the end; `bw_last`, `addr_last` registered one beat ahead (a compare with a
constant each), so every decision is on registered flags.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_wload #
(
    // AXI4-Stream TDATA width (a multiple of 8)
    parameter TDATA_W = 32,
    // the weight memory: word width, words, address width
    parameter W_WIDTH = 256,
    parameter W_DEPTH = 8,
    parameter WA_W = 3,
    // the bias memory
    parameter B_WIDTH = 64,
    parameter B_DEPTH = 2,
    parameter BA_W = 1,
    // 1: the memories hold a weight set at reset (the bitstream initializes them)
    parameter VALID_INIT = 0
)
(
    input  wire                  clk,
    input  wire                  rst,

    input  wire                  req,
    input  wire                  quiet,
    output reg                   pending,
    output reg                   active,
    output wire                  valid,
    output reg                   error,
    output wire                  busy,
    output wire                  hold,
    output wire [31:0]           crc,

    /*
     * The stream (taken while active)
     */
    input  wire [TDATA_W-1:0]    s_TDATA,
    input  wire [TDATA_W/8-1:0]  s_TKEEP,
    input  wire                  s_TLAST,
    input  wire                  s_TVALID,
    output wire                  s_TREADY,

    /*
     * Write ports of the weight and bias memories
     */
    output reg                   w_wr_en,
    output reg  [WA_W-1:0]       w_wr_addr,
    output wire [W_WIDTH-1:0]    w_wr_data,
    output reg                   b_wr_en,
    output reg  [BA_W-1:0]       b_wr_addr,
    output wire [B_WIDTH-1:0]    b_wr_data
);

localparam WB = (W_WIDTH + TDATA_W - 1) / TDATA_W;      // beats per weight word
localparam BB = (B_WIDTH + TDATA_W - 1) / TDATA_W;      // beats per bias word
localparam SR_N = (WB > BB) ? WB : BB;
localparam SR_W = SR_N * TDATA_W;
localparam BW_W = $clog2(SR_N + 1);
localparam AD_W = ((WA_W > BA_W) ? WA_W : BA_W) + 1;
localparam KEEP_W = TDATA_W / 8;
localparam [1:0] PH_W = 2'd0, PH_B = 2'd1, PH_END = 2'd2;
// constants the flags compare with (a word of one beat, a memory of one word: never compared)
localparam integer WB_M2I = (WB > 1) ? WB - 2 : 0;
localparam integer BB_M2I = (BB > 1) ? BB - 2 : 0;
localparam integer WD_M2I = (W_DEPTH > 1) ? W_DEPTH - 2 : 0;
localparam integer BD_M2I = (B_DEPTH > 1) ? B_DEPTH - 2 : 0;
localparam [BW_W-1:0] WB_M2 = WB_M2I[BW_W-1:0];
localparam [BW_W-1:0] BB_M2 = BB_M2I[BW_W-1:0];
localparam [AD_W-1:0] WD_M2 = WD_M2I[AD_W-1:0];
localparam [AD_W-1:0] BD_M2 = BD_M2I[AD_W-1:0];

initial begin
    if (TDATA_W < 8 || TDATA_W % 8 != 0 || TDATA_W > 128) begin
        $error("Error: TDATA_W must be a multiple of 8, 8..128 (instance %m)");
        $finish;
    end
    if (W_WIDTH < 1 || B_WIDTH < 1 || W_DEPTH < 1 || B_DEPTH < 1) begin
        $error("Error: the memories need a width and a depth >= 1 (instance %m)");
        $finish;
    end
    if ((1 << WA_W) < W_DEPTH || (1 << BA_W) < B_DEPTH) begin
        $error("Error: WA_W / BA_W too narrow for the depths (instance %m)");
        $finish;
    end
end

reg  [SR_W-1:0]  sr;
reg  [1:0]       phase;
reg  [BW_W-1:0]  bw;
reg              bw_last;       // the next beat completes a word
reg  [AD_W-1:0]  addr;
reg              addr_last;     // the word being filled is its memory's last
reg              bad_keep;      // a beat whose TKEEP was not all ones
reg              over;          // a beat after the N-th
// the input register: the beat taken in the cycle before (the loader's logic and the CRC
// hang off it, not off the port)
reg              r_valid, r_last, r_keep_bad;
reg  [TDATA_W-1:0] r_data;
// the memories hold a whole weight set; its initial value comes with the bitstream (with the
// memories' contents: a flip-flop's INIT), and no reset touches it: a reset does not change
// the memories either
reg              whole;
// pending, active, the input register or not whole, as one register (the engine's and the
// image input's gate)
reg              hold_r;
initial begin
    whole = VALID_INIT != 0;
    hold_r = VALID_INIT == 0;
end

wire take = active && s_TVALID;
wire begin_load = pending && quiet;
// the beat completes the last bias word: the N-th
wire beat_n = phase == PH_B && bw_last && addr_last;
wire load_ok = beat_n && !over && !bad_keep && !r_keep_bad;
wire [BW_W-1:0] bw_m2 = (phase == PH_W) ? WB_M2 : BB_M2;
wire [AD_W-1:0] ad_m2 = (phase == PH_W) ? WD_M2 : BD_M2;

always @(posedge clk) begin
    if (take) begin
        r_data <= s_TDATA;
        r_last <= s_TLAST;
        r_keep_bad <= s_TKEEP != {KEEP_W{1'b1}};
    end
end

generate
    if (SR_N > 1) begin : g_shift
        always @(posedge clk) begin
            if (r_valid) begin
                sr <= {r_data, sr[SR_W-1:TDATA_W]};
            end
        end
    end else begin : g_one
        always @(posedge clk) begin
            if (r_valid) begin
                sr <= r_data;
            end
        end
    end
endgenerate

always @(posedge clk) begin
    w_wr_en <= 1'b0;
    b_wr_en <= 1'b0;
    r_valid <= take;
    if (req && !pending && !active && !r_valid) begin
        pending <= 1'b1;
        hold_r <= 1'b1;
    end
    if (begin_load) begin
        pending <= 1'b0;
        active <= 1'b1;
        whole <= 1'b0;
        error <= 1'b0;
        phase <= PH_W;
        bw <= {BW_W{1'b0}};
        bw_last <= WB == 1;
        addr <= {AD_W{1'b0}};
        addr_last <= W_DEPTH == 1;
        bad_keep <= 1'b0;
        over <= 1'b0;
    end
    if (take && s_TLAST) begin
        active <= 1'b0;             // TREADY drops after the frame's last beat
    end
    if (r_valid) begin
        if (r_keep_bad) begin
            bad_keep <= 1'b1;
        end
        if (phase == PH_END) begin
            over <= 1'b1;
        end else if (bw_last) begin
            // the word is complete in the shift register after this edge: written next cycle
            w_wr_en <= phase == PH_W;
            b_wr_en <= phase == PH_B;
            w_wr_addr <= addr[WA_W-1:0];
            b_wr_addr <= addr[BA_W-1:0];
            bw <= {BW_W{1'b0}};
            if (addr_last) begin
                phase <= (phase == PH_W) ? PH_B : PH_END;
                addr <= {AD_W{1'b0}};
                addr_last <= B_DEPTH == 1;
                bw_last <= BB == 1;
            end else begin
                addr <= addr + {{(AD_W-1){1'b0}}, 1'b1};
                addr_last <= addr == ad_m2;
                bw_last <= (phase == PH_W) ? WB == 1 : BB == 1;
            end
        end else begin
            bw <= bw + {{(BW_W-1){1'b0}}, 1'b1};
            bw_last <= bw == bw_m2;
        end
        if (r_last) begin
            whole <= load_ok;
            error <= !load_ok;
            hold_r <= !load_ok;
        end
    end
    if (rst) begin
        pending <= 1'b0;
        active <= 1'b0;
        r_valid <= 1'b0;
        error <= 1'b0;
        hold_r <= !whole;
        w_wr_en <= 1'b0;
        b_wr_en <= 1'b0;
    end
end

fg_crc32 #(.BYTES(KEEP_W)) crc_inst (
    .clk(clk), .rst(rst), .init(begin_load), .in_valid(r_valid), .in_data(r_data), .crc(crc)
);

assign s_TREADY = active;
assign valid = whole;
assign busy = pending || active || r_valid;
assign hold = hold_r;
assign w_wr_data = sr[SR_W - WB * TDATA_W +: W_WIDTH];
assign b_wr_data = sr[SR_W - BB * TDATA_W +: B_WIDTH];

// the shift register's bits below the words it holds (the padding of a short word)
wire unused_sr = &{1'b0, sr};

endmodule

`resetall
