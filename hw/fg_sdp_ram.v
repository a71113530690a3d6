/*

fpgagen: simple dual-port RAM (one write port, one read port, one clock)

Registered read: rd_data shows mem[rd_addr] one cycle after a cycle with rd_en = 1 and holds
its value while rd_en = 0. A read of the address being written in the same cycle returns the
old contents (read-first). Optional contents from INIT_FILE ($readmemh, one word per line, as
written by the compiler). RAM_STYLE goes into the ram_style attribute so the same file infers
block RAM, UltraRAM or LUT RAM.

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_sdp_ram #
(
    // word width in bits, >= 1
    parameter WIDTH = 64,
    // number of words, >= 2
    parameter DEPTH = 1024,
    // address width, >= $clog2(DEPTH)
    parameter ADDR_W = $clog2(DEPTH),
    // Vivado ram_style: "block", "ultra", "distributed" or "auto"
    parameter RAM_STYLE = "block",
    // $readmemh file with the initial contents, "" for none
    parameter INIT_FILE = ""
)
(
    input  wire              clk,

    /*
     * Write port
     */
    input  wire              wr_en,
    input  wire [ADDR_W-1:0] wr_addr,
    input  wire [WIDTH-1:0]  wr_data,

    /*
     * Read port (1 cycle latency)
     */
    input  wire              rd_en,
    input  wire [ADDR_W-1:0] rd_addr,
    output wire [WIDTH-1:0]  rd_data
);

// check configuration
initial begin
    if (WIDTH < 1 || DEPTH < 2) begin
        $error("Error: WIDTH must be >= 1 and DEPTH >= 2 (instance %m)");
        $finish;
    end
    if ((1 << ADDR_W) < DEPTH) begin
        $error("Error: ADDR_W too narrow for DEPTH (instance %m)");
        $finish;
    end
    // string parameters compare at their own widths: the padding is intended
    /* verilator lint_off WIDTHEXPAND */
    if (RAM_STYLE != "block" &&
        RAM_STYLE != "ultra" &&
        RAM_STYLE != "distributed" &&
        RAM_STYLE != "auto") begin
        $error("Error: RAM_STYLE must be one of block, ultra, distributed, auto (instance %m)");
        $finish;
    end
    /* verilator lint_on WIDTHEXPAND */
end

(* ram_style = RAM_STYLE *)
reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [WIDTH-1:0] rd_data_reg;

initial begin
    if (INIT_FILE != "") begin
        $readmemh(INIT_FILE, mem);
    end
end

always @(posedge clk) begin
    if (wr_en) begin
        mem[wr_addr] <= wr_data;
    end
end

always @(posedge clk) begin
    if (rd_en) begin
        rd_data_reg <= mem[rd_addr];
    end
end

assign rd_data = rd_data_reg;

endmodule

`resetall
