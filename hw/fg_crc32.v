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

One cycle per beat: the next state is a fixed XOR network of the state and the beat's bits
(the bit-serial update unrolled over 8 * BYTES bits at elaboration), one register level.
Each state bit is the XOR of at most 32 + 8 * BYTES inputs: three LUT6 levels for 8 bytes.

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

// the bit-serial update, bit 0 of the data first, unrolled: synthesis turns it into XORs
function [31:0] crc_next;
    input [31:0]        c;
    input [8*BYTES-1:0] d;
    integer i;
    reg [31:0] s;
    begin
        s = c;
        for (i = 0; i < 8 * BYTES; i = i + 1) begin
            s = (s[0] ^ d[i]) ? ((s >> 1) ^ POLY) : (s >> 1);
        end
        crc_next = s;
    end
endfunction

reg [31:0] state;

always @(posedge clk) begin
    if (in_valid) begin
        state <= crc_next(state, in_data);
    end
    if (init || rst) begin
        state <= 32'hFFFFFFFF;
    end
end

assign crc = ~state;

endmodule

`resetall
