/*

fpgagen: LANES-value words out on AXI4-Stream, values packed densely into beats

A word (s_valid/s_ready) carries s_count valid values (lanes 0..s_count-1, 1..LANES; 0 =
LANES) and s_last marking the last word of the stream. The values leave one per cycle into a
beat of V = TDATA_W / (8*VB) lanes, each value sign- (cfg_signed) or zero-extended to VB bytes,
in order, back to back across words (the driver's format, docs/design.md §4 (Hardware)); a beat is
offered when its V lanes are full or the stream's last value is in it, then TKEEP marks its
valid bytes and TLAST is set. A full beat waits in the output register while the next one
fills, so one value per cycle is sustained (a result of N values takes N cycles, ~0.1 % of an
inference for 1,000 logits; only the DMA side sees the packing).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_axis_out #
(
    // value width in bits, 1..64, and bytes per value in the stream (1, 2, 4, 8)
    parameter A_W = 8,
    parameter VB = 1,
    // values per word, >= 1
    parameter LANES = 8,
    // AXI-Stream TDATA width, a multiple of 8 * VB
    parameter TDATA_W = 32,
    // width of s_count
    parameter CNT_W = $clog2(LANES + 1)
)
(
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Configuration
     */
    input  wire                  cfg_signed,  // sign-extend (1) or zero-extend (0) into TDATA

    /*
     * Word input
     */
    input  wire                  s_valid,
    output wire                  s_ready,
    input  wire [LANES*A_W-1:0]  s_data,
    input  wire [CNT_W-1:0]      s_count,     // values in this word, 1..LANES (0 = LANES)
    input  wire                  s_last,      // last word of the stream

    /*
     * AXI4-Stream output
     */
    output wire [TDATA_W-1:0]    out_stream_TDATA,
    output wire [TDATA_W/8-1:0]  out_stream_TKEEP,
    output wire                  out_stream_TVALID,
    input  wire                  out_stream_TREADY,
    output wire                  out_stream_TLAST
);

localparam V = TDATA_W / (8 * VB);     // values per beat
localparam VW = 8 * VB;                // bits per value in TDATA
localparam POS_W = (V > 1) ? $clog2(V) : 1;
localparam KEEP_W = TDATA_W / 8;

// check configuration
initial begin
    if (A_W < 1 || A_W > VW || LANES < 1 || (VB != 1 && VB != 2 && VB != 4 && VB != 8)) begin
        $error("Error: need A_W <= 8 * VB, VB one of 1, 2, 4, 8 and LANES >= 1 (instance %m)");
        $finish;
    end
    if (TDATA_W % VW != 0 || V < 1) begin
        $error("Error: TDATA_W must be a multiple of 8 * VB (instance %m)");
        $finish;
    end
    if ((1 << CNT_W) <= LANES) begin
        $error("Error: CNT_W too narrow for LANES (instance %m)");
        $finish;
    end
end

// the word being sent, one value per cycle from lane 0
reg [LANES*A_W-1:0] data;     // shifts down one lane per value
reg [CNT_W-1:0]     cnt;      // values left in the word
reg                 cnt_one;  // cnt == 1
reg                 last_word;
reg                 busy;

// the beat being filled, and the beat on the port
reg [TDATA_W-1:0]   fill;
reg [POS_W-1:0]     pos;      // the lane the next value takes
reg                 pos_end;  // pos == V - 1
reg                 closes;   // pos_end || (last_word && cnt_one): the next value closes a beat
reg [TDATA_W-1:0]   o_data;
reg [KEEP_W-1:0]    o_keep;
reg                 o_valid;
reg                 o_last;

wire [CNT_W-1:0] one = {{(CNT_W-1){1'b0}}, 1'b1};
wire [CNT_W-1:0] count = (s_count == {CNT_W{1'b0}}) ? LANES[CNT_W-1:0] : s_count;
wire stream_last = last_word && cnt_one;          // the value at lane 0 is the very last
wire completes = closes;                          // it closes a beat (registered, see below)
wire out_free = !o_valid || out_stream_TREADY;
wire vtake = busy && (!completes || out_free);    // lane 0 moves into the beat this cycle
wire ready = !busy || (vtake && cnt_one);

wire [A_W-1:0] value = data[A_W-1:0];
wire [VW-1:0]  value_ext;
generate
    if (VW > A_W) begin : g_pad
        assign value_ext = {{(VW-A_W){cfg_signed & value[A_W-1]}}, value};
    end else begin : g_nopad
        assign value_ext = value;
        wire unused_signed = cfg_signed;
    end
endgenerate

// the filled beat with this value at lane pos, and the bytes valid up to it
reg [TDATA_W-1:0] beat_next;
reg [KEEP_W-1:0]  keep_next;
integer l;
always @* begin
    beat_next = fill;
    keep_next = {KEEP_W{1'b0}};
    for (l = 0; l < V; l = l + 1) begin
        if ({{(32-POS_W){1'b0}}, pos} == l) begin
            beat_next[l*VW +: VW] = value_ext;
        end
        if ({{(32-POS_W){1'b0}}, pos} >= l) begin
            keep_next[l*VB +: VB] = {VB{1'b1}};
        end
    end
end

// the next values of cnt_one, last_word and pos_end, so `closes` is a register of its own:
// the word handshake (ready) is then two logic levels from flip-flops
wire take_word = s_valid && ready;
wire cnt_one_n = take_word ? count == one : (vtake ? cnt == 2 : cnt_one);
wire last_word_n = take_word ? s_last : last_word;
wire pos_end_n = vtake ? (completes ? V == 1 : {{(32-POS_W){1'b0}}, pos} == V - 2) : pos_end;

always @(posedge clk) begin
    closes <= pos_end_n || (last_word_n && cnt_one_n);
    if (rst) begin
        closes <= V == 1;
    end
end

always @(posedge clk) begin
    if (o_valid && out_stream_TREADY) begin
        o_valid <= 1'b0;
    end
    if (vtake) begin
        data <= data >> A_W;
        cnt <= cnt - one;
        cnt_one <= cnt == 2;
        if (cnt_one) begin
            busy <= 1'b0;
        end
        if (completes) begin
            o_data <= beat_next;
            o_keep <= keep_next;
            o_last <= stream_last;
            o_valid <= 1'b1;
            fill <= {TDATA_W{1'b0}};
            pos <= {POS_W{1'b0}};
            pos_end <= V == 1;
        end else begin
            fill <= beat_next;
            pos <= pos + {{(POS_W-1){1'b0}}, 1'b1};
            pos_end <= {{(32-POS_W){1'b0}}, pos} == V - 2;
        end
    end
    if (s_valid && ready) begin
        data <= s_data;
        cnt <= count;
        cnt_one <= count == one;
        last_word <= s_last;
        busy <= 1'b1;
    end
    if (rst) begin
        busy <= 1'b0;
        o_valid <= 1'b0;
        fill <= {TDATA_W{1'b0}};
        pos <= {POS_W{1'b0}};
        pos_end <= V == 1;
    end
end

assign out_stream_TDATA = o_data;
assign out_stream_TKEEP = o_keep;
assign out_stream_TVALID = o_valid;
assign out_stream_TLAST = o_last;
assign s_ready = ready;

endmodule

`resetall
