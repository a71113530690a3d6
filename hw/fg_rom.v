/*

fpgagen: read-only memory (weights, biases, the layer table) from a $readmemh file

Read: rd_addr presented in cycle t (with rd_en) shows in rd_data in cycle t + 2 through the
memory's output register (OUT_REG = 1, the default: DOB_REG on a Xilinx block RAM), in t + 3
through one more register right behind it (OUT_REG = 2, see fg_sdp_ram), or in t + 1 with
OUT_REG = 0. rd_data keeps the last word while rd_en = 0. INIT_FILE is required
(one hex word per line, as the compiler writes it). ROM_STYLE goes into the rom_style
attribute ("block", "distributed", "auto"; "logic" for Yosys; UltraRAM cannot be
initialized).

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
    // registers after the array's read register: 0 (latency 1), 1 (the memory's own output
    // register: latency 2) or 2 (that and one more, right behind it: latency 3)
    parameter OUT_REG = 1,
    // rom_style: "block", "distributed" or "auto" (Vivado); "logic" (Yosys: LUTs, it has
    // no LUT ROM mapping for "distributed")
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
    if (OUT_REG < 0 || OUT_REG > 2) begin
        $error("Error: OUT_REG must be 0, 1 or 2 (instance %m)");
        $finish;
    end
    // string parameters compare at their own widths: the padding is intended
    /* verilator lint_off WIDTHEXPAND */
    if (ROM_STYLE != "block" &&
        ROM_STYLE != "distributed" &&
        ROM_STYLE != "logic" &&
        ROM_STYLE != "auto") begin
        $error("Error: ROM_STYLE must be one of block, distributed, logic, auto (instance %m)");
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
    if (OUT_REG == 0) begin : g_no_out_reg
        assign rd_data = rd_data_reg;
    end else begin : g_out_reg
        // the output register(s): nothing between them, so the first one packs into the
        // memory (Xilinx DOB_REG) and the second sits right behind it
        reg [WIDTH*OUT_REG-1:0] rd_pipe;
        if (OUT_REG == 1) begin : g_one
            always @(posedge clk) begin
                rd_pipe <= rd_data_reg;
            end
        end else begin : g_two
            always @(posedge clk) begin
                rd_pipe <= {rd_pipe[WIDTH*(OUT_REG-1)-1:0], rd_data_reg};
            end
        end
        assign rd_data = rd_pipe[WIDTH*OUT_REG-1 -: WIDTH];
    end
endgenerate

endmodule

`resetall
