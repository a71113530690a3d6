/*

fpgagen: simple dual-port RAM (one write port, one read port, one clock), lane write enables

Read: rd_addr presented in cycle t (with rd_en) is read from the array at the end of t; with
OUT_REG = 1 (the default) the word then passes the memory's own output register (DOB_REG on
a Xilinx block RAM, the output register of a URAM) and rd_data shows it in cycle t + 2; with
OUT_REG = 2 through one more register right behind it (a block RAM's clock-to-out without
its register is 5-6 ns on an ECP5, and its register may sit far from the logic it feeds: the
second register lets the placer put the first next to the memory) in cycle t + 3; with
OUT_REG = 0 in cycle t + 1. The output registers have no enable, so rd_data keeps showing the
last word read while rd_en = 0.

A read of the address written in the same cycle is undefined in hardware (the engine never
does it: a layer's input and output never share words, and a fused pool reads only ring rows
the conv has finished). The memory carries `no_rw_check`, so synthesis adds no collision
logic between the block RAM and its output register (Yosys would otherwise emulate it with a
comparator and a multiplexer there); simulation returns the old word.

Write: lane l (bits [l*WIDTH/LANES +: WIDTH/LANES]) is written when wr_en and wr_mask[l]
(byte-write enables when the lane is 8 or 9 bits wide; LANES = 1 writes whole words).

Optional contents from INIT_FILE ($readmemh, one word per line). RAM_STYLE goes into the
ram_style attribute, so the same file infers block RAM, UltraRAM or LUT RAM.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_sdp_ram #
(
    // word width in bits, >= 1, a multiple of LANES
    parameter WIDTH = 64,
    // write-enable lanes per word, >= 1
    parameter LANES = 1,
    // number of words, >= 2
    parameter DEPTH = 1024,
    // address width, >= $clog2(DEPTH)
    parameter ADDR_W = $clog2(DEPTH),
    // registers after the array's read register: 0 (latency 1), 1 (the memory's own output
    // register: latency 2) or 2 (that and one more, right behind it: latency 3)
    parameter OUT_REG = 1,
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
    input  wire [LANES-1:0]  wr_mask,
    input  wire [ADDR_W-1:0] wr_addr,
    input  wire [WIDTH-1:0]  wr_data,

    /*
     * Read port (latency 1 + OUT_REG)
     */
    input  wire              rd_en,
    input  wire [ADDR_W-1:0] rd_addr,
    output wire [WIDTH-1:0]  rd_data
);

localparam LANE_W = WIDTH / LANES;

// check configuration
initial begin
    if (WIDTH < 1 || DEPTH < 2 || LANES < 1 || WIDTH % LANES != 0) begin
        $error("Error: need WIDTH >= 1, DEPTH >= 2, LANES >= 1 dividing WIDTH (instance %m)");
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
    if (RAM_STYLE != "block" &&
        RAM_STYLE != "ultra" &&
        RAM_STYLE != "distributed" &&
        RAM_STYLE != "auto") begin
        $error("Error: RAM_STYLE must be one of block, ultra, distributed, auto (instance %m)");
        $finish;
    end
    /* verilator lint_on WIDTHEXPAND */
end

(* ram_style = RAM_STYLE, no_rw_check *)
reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [WIDTH-1:0] rd_data_reg;

initial begin
    if (INIT_FILE != "") begin
        $readmemh(INIT_FILE, mem);
    end
end

integer l;
always @(posedge clk) begin
    for (l = 0; l < LANES; l = l + 1) begin
        if (wr_en && wr_mask[l]) begin
            mem[wr_addr][l*LANE_W +: LANE_W] <= wr_data[l*LANE_W +: LANE_W];
        end
    end
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
