/*

fpgagen: the input staging memory's image slots - a loader that fills one slot while the
engine computes on the other

The staging memory holds SLOTS images: 2 (the next image loads while one computes) or 1 (the
Plan's choice when two do not fit the part: the next image then loads once the image's
staging readers are done). Slot s starts at word s * SB_DEPTH of every bank, SB_DEPTH =
ceil(PIXELS / TAPS): an added base, not an address bit (padding a slot to a power of two would
cost block RAMs).

Loader (the write side):
    ld_open     a frame opens: no frame is open and the loader's slot (wr_slot) is free; the
                caller arms the stream unpacker (fg_axis_unpack `start`) with it. A register:
                the condition is formed from the next values of busy, wr_slot and slot_full,
                so ld_open is high in exactly the cycles the condition holds, and the unpacker,
                where it enables every slot of the value buffer, sees it with no logic ahead
                (not even the reset's: ld_open is low in reset and in the cycle after it)
    ld_busy     a frame is open: the unpacker's pixels are taken (its `m_ready`)
    wr_en[b]    pixel p of the frame (px_valid while ld_busy) goes to bank p mod TAPS ...
    wr_addr     ... at word slot base + p / TAPS (a register stepped by 1 every TAPS pixels)
  At the frame's last pixel the slot is full, with the frame error `px_error` (final by then:
  the frame's last beat was taken before its last pixel left), and the next frame goes to the
  other slot.

Reader (the engine):
    rd_ready    the oldest full slot (rd_slot) holds a whole image, or its last pixel is written
                in this cycle (the engine reads the image's first pixels many cycles later)
    rd_error    that image's frame error (the slot's, or px_error while its last pixel lands)
    rd_base     its first word, a register the caller adds into every staging read address
    rd_done     (a pulse) the image's last staging reader is done: its slot is free, the
                reader moves to the next slot

A slot fills at its last pixel and empties at rd_done, never both in one cycle: the reader
frees only a full slot, the loader writes only a free one. Every output is a register or
one gate level of registers and px_valid / px_error.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_stage_slots #
(
    // pixels of one image (words of a slot, over all banks), >= 1
    parameter PIXELS = 64,
    // staging banks, pixel p in bank p mod TAPS (a power of two)
    parameter TAPS = 1,
    // image slots, 1 or 2
    parameter SLOTS = 2,
    // bank address width: 2^SA_W >= SLOTS * ceil(PIXELS / TAPS)
    parameter SA_W = 7
)
(
    input  wire              clk,
    input  wire              rst,

    /*
     * Loader: pixels of the stream unpacker into the loader's slot
     */
    output wire              ld_open,
    output wire              ld_busy,
    input  wire              px_valid,
    input  wire              px_error,
    output wire [TAPS-1:0]   wr_en,
    output wire [SA_W-1:0]   wr_addr,

    /*
     * Reader: the engine's image
     */
    output wire              rd_ready,
    output wire              rd_error,
    output wire [SA_W-1:0]   rd_base,
    input  wire              rd_done
);

localparam SB_DEPTH = (PIXELS + TAPS - 1) / TAPS;   // words per bank and slot
localparam LT = (TAPS > 1) ? $clog2(TAPS) : 0;
localparam LTW = (LT > 0) ? LT : 1;
localparam SP_WL = $clog2(PIXELS + 1);              // the loader's pixel counter

initial begin
    if (PIXELS < 1 || TAPS < 1 || (1 << LT) != TAPS) begin
        $error("Error: PIXELS must be >= 1 and TAPS a power of two (instance %m)");
        $finish;
    end
    if (SLOTS != 1 && SLOTS != 2) begin
        $error("Error: SLOTS must be 1 or 2 (instance %m)");
        $finish;
    end
    if (SA_W < 1 || SA_W > 30 || (1 << SA_W) < SLOTS * SB_DEPTH) begin
        $error("Error: SA_W must address SLOTS * ceil(PIXELS / TAPS) words (instance %m)");
        $finish;
    end
end

localparam [31:0] SLOT1_BASE32 = SB_DEPTH;
localparam [31:0] LD_LAST_M1_32 = PIXELS - 2;     // (PIXELS = 1: ld_last is set at the open)
localparam [31:0] LAST_BANK32 = TAPS - 1;
localparam [SA_W-1:0]  SLOT1_BASE = SLOT1_BASE32[SA_W-1:0];
localparam [SP_WL-1:0] LD_LAST_M1 = LD_LAST_M1_32[SP_WL-1:0];
localparam [LTW-1:0]   LAST_BANK = LAST_BANK32[LTW-1:0];

reg  [1:0]       slot_full, slot_error;
reg              wr_slot, rd_slot;
reg              busy;                   // a frame is open, its pixels go to wr_slot
reg  [SP_WL-1:0] ld_cnt;                 // pixels written
reg              ld_last;                // ld_cnt == PIXELS - 1
reg  [LTW-1:0]   ld_bank;                // ld_cnt mod TAPS
reg  [SA_W-1:0]  ld_addr;                // slot base + ld_cnt / TAPS
reg  [SA_W-1:0]  base;                   // rd_slot's first word
reg              open_q;                 // !busy && !slot_full[wr_slot], registered
wire             rd_full = slot_full[rd_slot];
wire             start = open_q;
wire             write = busy && px_valid;
wire             filling = write && ld_last && wr_slot == rd_slot;   // full next cycle

// the next values of busy, wr_slot and slot_full (as the block below assigns them), for open_q
reg              busy_n, wr_slot_n;
reg  [1:0]       slot_full_n;
always @* begin
    busy_n = busy;
    wr_slot_n = wr_slot;
    slot_full_n = slot_full;
    if (start) begin
        busy_n = 1'b1;
    end
    if (write && ld_last) begin
        busy_n = 1'b0;
        wr_slot_n = SLOTS > 1 && !wr_slot;
        slot_full_n[wr_slot] = 1'b1;
    end
    if (rd_done) begin
        slot_full_n[rd_slot] = 1'b0;
    end
    if (rst) begin
        busy_n = 1'b0;
        wr_slot_n = 1'b0;
        slot_full_n = 2'b00;
    end
end

always @(posedge clk) begin
    open_q <= !rst && !busy_n && !slot_full_n[wr_slot_n];
    if (start) begin
        busy <= 1'b1;
        ld_cnt <= {SP_WL{1'b0}};
        ld_last <= PIXELS == 1;
        ld_bank <= {LTW{1'b0}};
        ld_addr <= wr_slot ? SLOT1_BASE : {SA_W{1'b0}};
    end
    if (write) begin
        ld_cnt <= ld_cnt + {{(SP_WL-1){1'b0}}, 1'b1};
        ld_last <= ld_cnt == LD_LAST_M1;
        ld_bank <= ld_bank + {{(LTW-1){1'b0}}, 1'b1};
        if (LT == 0 || ld_bank == LAST_BANK) begin
            ld_addr <= ld_addr + {{(SA_W-1){1'b0}}, 1'b1};
        end
        if (ld_last) begin
            // the frame's last beat was taken before its last pixel left: the error is final
            busy <= 1'b0;
            wr_slot <= SLOTS > 1 && !wr_slot;
            slot_error[wr_slot] <= px_error;
        end
    end
    // a slot fills at its last pixel and empties when its reader is done (never the same
    // slot in one cycle: the engine reads only a full slot, the loader writes a free one)
    if (write && ld_last) begin
        slot_full[wr_slot] <= 1'b1;
    end
    if (rd_done) begin
        slot_full[rd_slot] <= 1'b0;
        rd_slot <= SLOTS > 1 && !rd_slot;
        base <= (SLOTS > 1 && !rd_slot) ? SLOT1_BASE : {SA_W{1'b0}};
    end
    if (rst) begin
        slot_full <= 2'b00;
        slot_error <= 2'b00;
        wr_slot <= 1'b0;
        rd_slot <= 1'b0;
        base <= {SA_W{1'b0}};
        busy <= 1'b0;
    end
end

genvar gb;
generate
    for (gb = 0; gb < TAPS; gb = gb + 1) begin : g_bank
        assign wr_en[gb] = write && (LT == 0 || ld_bank == gb);
    end
endgenerate

assign ld_open = start;
assign ld_busy = busy;
assign wr_addr = ld_addr;
assign rd_ready = rd_full || filling;
assign rd_error = rd_full ? slot_error[rd_slot] : px_error;
assign rd_base = base;

endmodule

`resetall
