/*

fpgagen: read-only memory (weights, biases, the layer table) from a $readmemh file

Registered read: rd_data shows mem[rd_addr] one cycle after a cycle with rd_en = 1 and holds
its value while rd_en = 0. INIT_FILE is required (one hex word per line, as written by the
compiler). ROM_STYLE goes into the rom_style attribute ("block", "distributed" or "auto").

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_rom #
(
    // word width in bits, >= 1
    parameter WIDTH = 64,
    // number of words, >= 2
    parameter DEPTH = 1024,
    // address width, >= $clog2(DEPTH)
    parameter ADDR_W = $clog2(DEPTH),
    // Vivado rom_style: "block", "distributed" or "auto"
    parameter ROM_STYLE = "block",
    // $readmemh file with the contents (required)
    parameter INIT_FILE = ""
)
(
    input  wire              clk,

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
    if (ROM_STYLE != "block" &&
        ROM_STYLE != "distributed" &&
        ROM_STYLE != "auto") begin
        $error("Error: ROM_STYLE must be one of block, distributed, auto (instance %m)");
        $finish;
    end
    /* verilator lint_on WIDTHEXPAND */
    if (INIT_FILE == "") begin
        $error("Error: fg_rom needs INIT_FILE (instance %m)");
        $finish;
    end
end

(* rom_style = ROM_STYLE *)
reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [WIDTH-1:0] rd_data_reg;

initial begin
    $readmemh(INIT_FILE, mem);
end

always @(posedge clk) begin
    if (rd_en) begin
        rd_data_reg <= mem[rd_addr];
    end
end

assign rd_data = rd_data_reg;

endmodule

`resetall
