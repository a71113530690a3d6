/*

fpgagen: AXI4-Stream input of densely packed values, out as one pixel (C values) per cycle

The image arrives as the driver packs it (fpgagen/driver/fpgagen_driver.py, docs/design.md §4):
values of VB bytes (A_W bits used, the rest padding) back to back in TDATA, V = TDATA_W / (8*VB)
per beat, so a pixel may straddle two beats. `start` opens a frame of exactly N_BEATS beats
(TREADY is low outside a frame, so the next image waits in the DMA, not in here) and drops
whatever a previous frame left. A value buffer of C + V - 1 slots takes a beat whenever it has
room for V more after this cycle's pixel leaves, so the buffer never deadlocks and a pixel
leaves every cycle m_ready is high once C values are in (the beat rate is V / C pixels per
cycle; one pixel per cycle is what the staging memory writes). Values beyond the frame's last
pixel (the padding of the last beat) are never offered.

Each slot's next value is the slot C above it (a pixel left), or a lane of the accepted beat,
chosen by comparing the small fill count with constants: no adder in the data path.

between: no beat of a frame has been taken since the last frame's last pixel left (or since
reset, or a restart): the stream is at a frame boundary, so another user of in_stream (the
weight loader, fg_wload) may take beats while this module's TVALID is held low. A register.

frame_error (sticky until the next start): a beat's TLAST or TKEEP differs from what the
frame's geometry says: TLAST on the last beat only, TKEEP all ones but on the last beat, where
it must keep the LAST_BYTES payload bytes (its padding bytes may be kept too: a DMA that sends
the whole, beat-aligned buffer is fine). The frame length is fixed by the design, so such a beat is still
taken; the error tells the host that its DMA sent something else.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_axis_unpack #
(
    // value width (bits used of each value) and bytes per value in the stream (1, 2, 4, 8)
    parameter A_W = 8,
    parameter VB = 1,
    // values per pixel (the word offered on m_data)
    parameter C = 3,
    // AXI4-Stream TDATA width (a multiple of 8 * VB)
    parameter TDATA_W = 32,
    // beats per frame and pixels per frame
    parameter N_BEATS = 4,
    parameter N_PIXELS = 5,
    // valid bytes of the last beat (1..TDATA_W/8)
    parameter LAST_BYTES = TDATA_W / 8
)
(
    input  wire                  clk,
    input  wire                  rst,

    input  wire                  start,       // a frame of N_BEATS beats begins
    output reg                   frame_error,
    output wire                  between,     // no beat of a frame taken yet

    /*
     * AXI4-Stream input
     */
    input  wire [TDATA_W-1:0]    in_stream_TDATA,
    input  wire [TDATA_W/8-1:0]  in_stream_TKEEP,
    input  wire                  in_stream_TLAST,
    input  wire                  in_stream_TVALID,
    output wire                  in_stream_TREADY,

    /*
     * Pixels out
     */
    output wire                  m_valid,
    input  wire                  m_ready,
    output wire [C*A_W-1:0]      m_data
);

localparam V = TDATA_W / (8 * VB);          // values per beat
localparam CAP = C + V - 1;                  // buffer slots
localparam CNT_W = $clog2(CAP + 1);
localparam NB_W = $clog2(N_BEATS + 1) + 1;      // holds N_BEATS and 2
localparam NP_W = $clog2(N_PIXELS + 1) + 1;
localparam [NB_W-1:0] NB_TWO = 2;
localparam [NP_W-1:0] NP_TWO = 2;
localparam KEEP_W = TDATA_W / 8;

initial begin
    if (A_W < 1 || A_W > 8 * VB || (VB != 1 && VB != 2 && VB != 4 && VB != 8)) begin
        $error("Error: need A_W <= 8 * VB and VB one of 1, 2, 4, 8 (instance %m)");
        $finish;
    end
    if (TDATA_W % (8 * VB) != 0 || V < 1 || C < 1 || N_BEATS < 1 || N_PIXELS < 1) begin
        $error("Error: TDATA_W must be a multiple of 8 * VB; C, N_BEATS, N_PIXELS >= 1 (instance %m)");
        $finish;
    end
    if (LAST_BYTES < 1 || LAST_BYTES > KEEP_W) begin
        $error("Error: LAST_BYTES must be 1..TDATA_W/8 (instance %m)");
        $finish;
    end
end

localparam [KEEP_W-1:0] KEEP_ALL = {KEEP_W{1'b1}};
localparam [KEEP_W-1:0] KEEP_LAST = KEEP_ALL >> (KEEP_W - LAST_BYTES);

reg  [CAP*A_W-1:0] buf_data;
reg  [CNT_W-1:0]   cnt;            // values in the buffer
reg                in_frame;       // beats of the frame still to come
reg  [NB_W-1:0]    beats_left;     // this beat included
reg                beat_last;      // beats_left == 1
reg  [NP_W-1:0]    pix_left;       // pixels still to offer
reg                pix_last;       // pix_left == 1
reg                pix_on;         // pix_left != 0
reg                can_emit;       // cnt >= C, registered with cnt

// The counters are re-armed for the next frame as soon as a frame's last pixel leaves (and at
// reset): `fresh`. The cycle `start` is high then counts as the frame's first, a beat is taken
// in it already, so the first pixel is offered the next cycle and N pixels load in N cycles;
// only `active` sees `start` (no multiplexer on the counters). A start that finds the last
// frame unfinished (`!fresh`: an aborted transfer) re-arms in that cycle and takes nothing.
reg              fresh;
wire             restart = start && !fresh;
wire             active = (in_frame || start) && !restart;

// this cycle: a pixel leaves (emit) and a beat enters (take) when the slots allow it
wire emit = pix_on && can_emit && m_ready;
// A beat fits when the values staying are <= CAP - V; a pixel leaving frees C of them. The
// next buffer is formed for both cases, a pixel leaving (suffix _e) or not (_n), and `emit`
// (which m_ready, from the next stage, decides late in the cycle) only selects between them:
// one multiplexer level between m_ready and the buffer's registers.
localparam integer ROOM = CAP - V;
wire take_ok_n = cnt <= ROOM[CNT_W-1:0];
wire take_ok_e;
generate
    if (C >= V) begin : g_take_wide
        // a pixel leaving always makes room for a beat (cnt <= CAP)
        assign take_ok_e = 1'b1;
    end else begin : g_take_narrow
        assign take_ok_e = cnt <= ROOM[CNT_W-1:0] + C[CNT_W-1:0];
    end
endgenerate
wire take_ok = emit ? take_ok_e : take_ok_n;
wire offered = active && in_stream_TVALID;
wire take_n = offered && take_ok_n;
wire take_e = offered && take_ok_e;
wire take = emit ? take_e : take_n;

// the fill count after this cycle's pixel leaves; a beat lands at slots base..base+V-1
wire [CNT_W-1:0] base_n = cnt;
wire [CNT_W-1:0] base_e = cnt - C[CNT_W-1:0];

reg  [CAP*A_W-1:0] buf_next_n, buf_next_e;
integer j, k;
always @* begin
    for (j = 0; j < CAP; j = j + 1) begin
        buf_next_n[j*A_W +: A_W] = buf_data[j*A_W +: A_W];
        // a pixel leaving shifts every slot down by C
        if (j + C < CAP) begin
            buf_next_e[j*A_W +: A_W] = buf_data[(j+C)*A_W +: A_W];
        end else begin
            buf_next_e[j*A_W +: A_W] = buf_data[j*A_W +: A_W];
        end
        // lane k of the beat lands in slot base + k
        for (k = 0; k < V; k = k + 1) begin
            if (take_n && j >= k && {{(32-CNT_W){1'b0}}, base_n} == j - k) begin
                buf_next_n[j*A_W +: A_W] = in_stream_TDATA[k*8*VB +: A_W];
            end
            if (take_e && j >= k && {{(32-CNT_W){1'b0}}, base_e} == j - k) begin
                buf_next_e[j*A_W +: A_W] = in_stream_TDATA[k*8*VB +: A_W];
            end
        end
    end
end
wire [CAP*A_W-1:0] buf_next = emit ? buf_next_e : buf_next_n;
wire [CNT_W-1:0] cnt_next_n = base_n + (take_n ? V[CNT_W-1:0] : {CNT_W{1'b0}});
wire [CNT_W-1:0] cnt_next_e = base_e + (take_e ? V[CNT_W-1:0] : {CNT_W{1'b0}});
wire [CNT_W-1:0] cnt_next = emit ? cnt_next_e : cnt_next_n;
wire can_emit_next = emit ? cnt_next_e >= C[CNT_W-1:0] : cnt_next_n >= C[CNT_W-1:0];

localparam [KEEP_W-1:0] KEEP_MID = KEEP_ALL;
wire [KEEP_W-1:0] keep_want = beat_last ? KEEP_LAST : KEEP_MID;
wire beat_bad = in_stream_TLAST != beat_last || (in_stream_TKEEP & keep_want) != keep_want;

always @(posedge clk) begin
    buf_data <= buf_next;
    cnt <= cnt_next;
    can_emit <= can_emit_next;
    if (start) begin
        in_frame <= 1'b1;
        pix_on <= 1'b1;
        frame_error <= 1'b0;
    end
    if (take) begin
        fresh <= 1'b0;
        beats_left <= beats_left - {{(NB_W-1){1'b0}}, 1'b1};
        beat_last <= beats_left == NB_TWO;
        if (beat_last) begin
            in_frame <= 1'b0;
        end
        if (beat_bad) begin
            frame_error <= 1'b1;
        end
    end
    if (emit) begin
        pix_left <= pix_left - {{(NP_W-1){1'b0}}, 1'b1};
        pix_last <= pix_left == NP_TWO;
        if (pix_last) begin
            pix_on <= 1'b0;
        end
    end
    // re-arm: after the frame's last pixel (dropping the last beat's padding values), at reset,
    // and at a start that finds a frame unfinished
    if ((emit && pix_last) || restart || rst) begin
        fresh <= 1'b1;
        cnt <= {CNT_W{1'b0}};
        can_emit <= 1'b0;
        beats_left <= N_BEATS[NB_W-1:0];
        beat_last <= N_BEATS == 1;
        pix_left <= N_PIXELS[NP_W-1:0];
        pix_last <= N_PIXELS == 1;
    end
    if (rst) begin
        in_frame <= 1'b0;
        pix_on <= 1'b0;
        frame_error <= 1'b0;
    end
end

assign in_stream_TREADY = active && take_ok;
assign between = fresh;
assign m_valid = pix_on && can_emit;
assign m_data = buf_data[C*A_W-1:0];

// the padding bits of each value (VB bytes, A_W used) are not read
wire unused_tdata = &{1'b0, in_stream_TDATA};

endmodule

`resetall
