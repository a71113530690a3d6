/*

fpgagen: CRC-32 (IEEE 802.3, the CRC of zlib.crc32 and of Ethernet) of a byte stream, BYTES
bytes per cycle

The reflected CRC: polynomial 0xEDB88320, the state starts at 0xFFFFFFFF and the result is
the state inverted. A beat's bytes are taken byte 0 (bits 7:0) first, each byte bit 0 first,
which is TDATA bit 0, 1, 2, ... in order: so `crc` equals Python's zlib.crc32 of the bytes of
every beat taken since `init`, in stream order (an AXI4-Stream beat's byte i is TDATA bits
8i+7..8i).

    init      (sync) the state back to 0xFFFFFFFF: crc reads 0 (the CRC of no bytes)
    in_valid  in_data is taken this cycle (all BYTES bytes)
    crc       the CRC of the bytes taken so far, the cycle after the last one (registered state;
              the output is its inversion)

One cycle per beat: the next state is a fixed XOR network of the state and the beat's bits,
one register level. The update is linear over GF(2), so at elaboration a constant function
runs the bit-serial CRC on every unit vector (each state bit alone, each data bit alone) and
gives, for every next-state bit, the mask of state and data bits it is the XOR of; the logic is
one reduction XOR per bit over those masked bits, a balanced tree (a chain of the bit-serial
steps' conditional XORs would be 8 * BYTES levels deep unless the tools rebalance it). Each
state bit is the XOR of at most 32 + 8 * BYTES inputs: three LUT6 levels for 8 bytes, three
or four LUT4 levels for 4.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_crc32 #
(
    // bytes per beat (the TDATA width in bytes), 1..16
    parameter BYTES = 4
)
(
    input  wire                 clk,
    input  wire                 rst,

    input  wire                 init,
    input  wire                 in_valid,
    input  wire [8*BYTES-1:0]   in_data,
    output wire [31:0]          crc
);

initial begin
    if (BYTES < 1 || BYTES > 16) begin
        $error("Error: BYTES must be 1..16 (instance %m)");
        $finish;
    end
end

localparam [31:0] POLY = 32'hEDB88320;

localparam DW = 8 * BYTES;

// the bit-serial update, bit 0 of the data first (run at elaboration only)
function [31:0] crc_serial;
    input [31:0]   c;
    input [DW-1:0] d;
    integer i;
    reg [31:0] s;
    begin
        s = c;
        for (i = 0; i < DW; i = i + 1) begin
            s = (s[0] ^ d[i]) ? ((s >> 1) ^ POLY) : (s >> 1);
        end
        crc_serial = s;
    end
endfunction

// the next state of a unit vector: state bit k alone (k < 32), else data bit k - 32 alone; as
// 32 + DW columns of 32 bits
function [32*(32+DW)-1:0] unit_columns;
    input integer unused;
    integer k;
    reg [DW-1:0] one_d;
    begin
        unit_columns = {(32*(32+DW)){1'b0}};
        for (k = 0; k < 32 + DW; k = k + 1) begin
            one_d = {DW{1'b0}};
            if (k >= 32) begin
                one_d[k - 32] = 1'b1;
            end
            unit_columns[32*k +: 32] = crc_serial(k < 32 ? (32'd1 << k) : 32'd0, one_d);
        end
    end
endfunction

localparam [32*(32+DW)-1:0] COLS = unit_columns(0);

reg  [31:0]   state;
wire [31:0]   state_next;
wire [31+DW:0] operand = {in_data, state};   // state bits 0..31, then data bits

genvar gj, gk;
generate
    for (gj = 0; gj < 32; gj = gj + 1) begin : g_bit
        // the operand bits next-state bit gj is the XOR of: row gj of the columns
        wire [31+DW:0] mask;
        for (gk = 0; gk < 32 + DW; gk = gk + 1) begin : g_mask
            assign mask[gk] = COLS[32*gk + gj];
        end
        assign state_next[gj] = ^(operand & mask);
    end
endgenerate

always @(posedge clk) begin
    if (in_valid) begin
        state <= state_next;
    end
    if (init || rst) begin
        state <= 32'hFFFFFFFF;
    end
end

assign crc = ~state;

endmodule

`resetall
