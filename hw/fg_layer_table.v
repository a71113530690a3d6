/*

fpgagen: the layer table - a ROM of NF fields per row, decoded into registers once per layer

The compiler (fpgagen/machine/engine_table.py) writes one row per executed layer, FW bits per field, every
derived quantity the address generators need already computed (steps, origins, ring offsets),
so nothing is multiplied in hardware. The table is a narrow ROM (FW bits x N_ROWS * NF words,
read with its output register) walked in order: each `load` reads the next row, one field per
cycle, into one of two register banks:

    bank M (main)  every row whose op is not a max-pool (conv, average pool, add)
    bank P (pool)  max-pool rows, so a conv fused with the max-pool after it has both rows
                   decoded at once (the conv in M, then its pool in P)

Field 0 is the op; the bank is chosen when it arrives. `rewind` returns to row 0 (a new
inference). A load takes NF + 2 + ROM_REGS cycles; `busy` is high meanwhile, and `row_op` holds
the op of the row loaded last. The banks hold their rows until the next load into the same bank.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_layer_table #
(
    // rows in the table (layer-table entries), >= 1
    parameter N_ROWS = 1,
    // fields per row, >= 2
    parameter NF = 8,
    // bits per field, >= 2
    parameter FW = 32,
    // the op code of a max-pool row (goes to bank P)
    parameter OP_POOL = 1,
    // $readmemh file of the table (one field per line, row after row)
    parameter TABLE_FILE = "",
    // rom_style of the table ("distributed": LUTs in Vivado; "logic": LUTs in Yosys; "block")
    parameter TABLE_STYLE = "distributed",
    // output registers of the table ROM (fg_rom OUT_REG, 0..2)
    parameter ROM_REGS = 1
)
(
    input  wire              clk,
    input  wire              rst,

    input  wire              rewind,     // next load reads row 0
    input  wire              load,       // read the next row (ignored while busy)
    output wire              busy,
    output wire [FW-1:0]     row_op,     // op of the row loaded last

    output wire [NF*FW-1:0]  bank_m,     // field f at [f*FW +: FW]
    output wire [NF*FW-1:0]  bank_p
);

localparam DEPTH = (N_ROWS * NF > 2) ? N_ROWS * NF : 2;
localparam RA_W = $clog2(DEPTH);
localparam FI_W = $clog2(NF);

initial begin
    if (N_ROWS < 1 || NF < 2 || FW < 2) begin
        $error("Error: need N_ROWS >= 1, NF >= 2, FW >= 2 (instance %m)");
        $finish;
    end
end

reg [RA_W-1:0] raddr;
reg [FI_W-1:0] field;
reg            reading;
wire [FW-1:0]  rom_data;

fg_rom #(
    .WIDTH(FW), .DEPTH(DEPTH), .ADDR_W(RA_W), .OUT_REG(ROM_REGS), .ROM_STYLE(TABLE_STYLE),
    .INIT_FILE(TABLE_FILE)
) rom_inst (
    .clk(clk), .rd_en(1'b1), .rd_addr(raddr), .rd_data(rom_data)
);

always @(posedge clk) begin
    if (rewind) begin
        raddr <= {RA_W{1'b0}};
    end else if (reading) begin
        raddr <= raddr + {{(RA_W-1){1'b0}}, 1'b1};
    end
    if (load && !busy) begin
        reading <= 1'b1;
        field <= {FI_W{1'b0}};
    end else if (reading) begin
        field <= field + {{(FI_W-1){1'b0}}, 1'b1};
        if (field == NF[FI_W-1:0] - {{(FI_W-1){1'b0}}, 1'b1}) begin
            reading <= 1'b0;
        end
    end
    if (rst) begin
        reading <= 1'b0;
    end
end

// the field index and its valid travel with the ROM's read
wire           wr_valid;
wire [FI_W-1:0] wr_field;

fg_delay #(.WIDTH(1), .DEPTH(1 + ROM_REGS), .RESET(1)) valid_dly (
    .clk(clk), .rst(rst), .in_data(reading), .out_data(wr_valid)
);

fg_delay #(.WIDTH(FI_W), .DEPTH(1 + ROM_REGS), .RESET(0)) field_dly (
    .clk(clk), .rst(rst), .in_data(field), .out_data(wr_field)
);

reg [FW-1:0]    op;
reg             to_pool;
reg [NF*FW-1:0] m_reg, p_reg;
wire            op_is_pool = rom_data == OP_POOL[FW-1:0];

integer f;
always @(posedge clk) begin
    if (wr_valid && wr_field == {FI_W{1'b0}}) begin
        op <= rom_data;
        to_pool <= op_is_pool;
    end
    for (f = 0; f < NF; f = f + 1) begin
        if (wr_valid && wr_field == f[FI_W-1:0]) begin
            if ((f == 0) ? op_is_pool : to_pool) begin
                p_reg[f*FW +: FW] <= rom_data;
            end else begin
                m_reg[f*FW +: FW] <= rom_data;
            end
        end
    end
end

assign busy = reading || wr_valid;
assign row_op = op;
assign bank_m = m_reg;
assign bank_p = p_reg;

endmodule

`resetall
