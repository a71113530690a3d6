/*

fpgagen: read-only memory (weights, biases, the layer table) from a $readmemh file

Read: rd_addr presented in cycle t (with rd_en) shows in rd_data in cycle t + 2 through the
memory's output register (OUT_REG = 1, the default: DOB_REG on a Xilinx block RAM), or in
t + 1 with OUT_REG = 0. rd_data keeps the last word while rd_en = 0. INIT_FILE is required
(one hex word per line, as the compiler writes it). ROM_STYLE goes into the rom_style
attribute ("block", "distributed" or "auto"; UltraRAM cannot be initialized).

*/

// Language: Verilog 2005

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
    // 1: read through the memory's output register (latency 2); 0: latency 1
    parameter OUT_REG = 1,
    // Vivado rom_style: "block", "distributed" or "auto"
    parameter ROM_STYLE = "block",
    // $readmemh file with the contents (required)
    parameter INIT_FILE = ""
)
(
    input  wire              clk,

    /*
     * Read port (latency 1 + OUT_REG)
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
    if (OUT_REG != 0 && OUT_REG != 1) begin
        $error("Error: OUT_REG must be 0 or 1 (instance %m)");
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
    if (INIT_FILE == "") begin
        $error("Error: fg_rom needs INIT_FILE (instance %m)");
        $finish;
    end
    /* verilator lint_on WIDTHEXPAND */
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

generate
    if (OUT_REG != 0) begin : g_out_reg
        reg [WIDTH-1:0] rd_out_reg;
        always @(posedge clk) begin
            rd_out_reg <= rd_data_reg;
        end
        assign rd_data = rd_out_reg;
    end else begin : g_no_out_reg
        assign rd_data = rd_data_reg;
    end
endgenerate

endmodule

`resetall
