/*

fpgagen: a simple dual-port RAM built as the Plan's columns of block RAM or UltraRAM

The Plan counts a memory's blocks as columns side by side (fpgagen/plan/bram.py): a 128-bit
activation word of the ZC706 default is one 72-bit, one 36-bit, one 18-bit and one 2-bit
column, 105.5 BRAM36 deep enough for 30,032 words. Handed one 128-bit memory, a synthesis tool
picks its own shape (Yosys: 120 BRAM36). This module writes the Plan's columns as separate
memories (each an fg_sdp_ram, same address, same timing), so what the tools build is what the
Plan counted; a column can be UltraRAM (COL_ULTRA) while the others are block RAM.

Column c holds bits [off(c), off(c) + w(c)) of the word, off(0) = 0, w(c) = COL_W[16c +: 16];
the widths add up to WIDTH (COL_W = 0: one column of WIDTH bits). A zero width is an absent
column (so that memories with different column counts can share one parameter layout, e.g. the
staging banks). LANES write-enable lanes split the word into equal parts; a column lies in one
lane and is written when wr_en and that lane's wr_mask bit are set (the engine's lane groups:
P_OUT < P_IN writes P_OUT lanes of a word at a time). Read latency 1 + OUT_REG, as fg_sdp_ram.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_col_ram #
(
    // word width in bits, >= 1, a multiple of LANES
    parameter WIDTH = 64,
    // write-enable lanes per word, >= 1
    parameter LANES = 1,
    // number of words, >= 2
    parameter DEPTH = 1024,
    // address width, >= $clog2(DEPTH)
    parameter ADDR_W = $clog2(DEPTH),
    // registers after the array's read register (fg_sdp_ram): 0, 1 or 2
    parameter OUT_REG = 1,
    // number of columns, >= 1
    parameter N_COLS = 1,
    // column widths, 16 bits each, column 0 (the word's low bits) in the low bits; 0: one
    // column of WIDTH bits
    parameter [16*N_COLS-1:0] COL_W = 0,
    // bit c set: column c is UltraRAM ("ultra"), else RAM_STYLE
    parameter [N_COLS-1:0] COL_ULTRA = 0,
    // ram_style of the other columns: "block", "distributed" or "auto"
    parameter RAM_STYLE = "block"
)
(
    input  wire              clk,

    input  wire              wr_en,
    input  wire [LANES-1:0]  wr_mask,
    input  wire [ADDR_W-1:0] wr_addr,
    input  wire [WIDTH-1:0]  wr_data,

    input  wire              rd_en,
    input  wire [ADDR_W-1:0] rd_addr,
    output wire [WIDTH-1:0]  rd_data
);

localparam LANE_W = WIDTH / LANES;

// width of column c (COL_W = 0: column 0 is the whole word, the others are absent)
function integer col_w(input integer c);
    begin
        if (COL_W == 0) begin
            col_w = (c == 0) ? WIDTH : 0;
        end else begin
            col_w = {16'd0, COL_W[16*c +: 16]};
        end
    end
endfunction

// first bit of column c: the widths of the columns below it
function integer col_off(input integer c);
    integer i;
    begin
        col_off = 0;
        for (i = 0; i < c; i = i + 1) begin
            col_off = col_off + col_w(i);
        end
    end
endfunction

// check configuration
integer ci;
initial begin
    if (WIDTH < 1 || LANES < 1 || WIDTH % LANES != 0 || N_COLS < 1) begin
        $error("Error: need WIDTH >= 1, N_COLS >= 1, LANES >= 1 dividing WIDTH (instance %m)");
        $finish;
    end
    if (col_off(N_COLS) != WIDTH) begin
        $error("Error: the column widths must add up to WIDTH (instance %m)");
        $finish;
    end
    for (ci = 0; ci < N_COLS; ci = ci + 1) begin
        if (col_w(ci) > 0 &&
            col_off(ci) / LANE_W != (col_off(ci) + col_w(ci) - 1) / LANE_W) begin
            $error("Error: every column must lie in one lane (instance %m)");
            $finish;
        end
    end
end

genvar c;
generate
    for (c = 0; c < N_COLS; c = c + 1) begin : g_col
        localparam CW = col_w(c);
        localparam OFF = col_off(c);
        // two separate conditions, not an else-if chain: every tool names the column's
        // instance g_col[c].g_ultra.col_inst or g_col[c].g_block.col_inst (the bench reads it)
        if (CW > 0 && COL_ULTRA[c]) begin : g_ultra
            fg_sdp_ram #(
                .WIDTH(CW), .LANES(1), .DEPTH(DEPTH), .ADDR_W(ADDR_W), .OUT_REG(OUT_REG),
                .RAM_STYLE("ultra")
            ) col_inst (
                .clk(clk),
                .wr_en(wr_en && wr_mask[OFF / LANE_W]), .wr_mask(1'b1), .wr_addr(wr_addr),
                .wr_data(wr_data[OFF +: CW]),
                .rd_en(rd_en), .rd_addr(rd_addr), .rd_data(rd_data[OFF +: CW])
            );
        end
        if (CW > 0 && !COL_ULTRA[c]) begin : g_block
            fg_sdp_ram #(
                .WIDTH(CW), .LANES(1), .DEPTH(DEPTH), .ADDR_W(ADDR_W), .OUT_REG(OUT_REG),
                .RAM_STYLE(RAM_STYLE)
            ) col_inst (
                .clk(clk),
                .wr_en(wr_en && wr_mask[OFF / LANE_W]), .wr_mask(1'b1), .wr_addr(wr_addr),
                .wr_data(wr_data[OFF +: CW]),
                .rd_en(rd_en), .rd_addr(rd_addr), .rd_data(rd_data[OFF +: CW])
            );
        end
    end
endgenerate

endmodule

`resetall
