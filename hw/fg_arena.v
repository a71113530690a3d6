/*

fpgagen: the activation arena as BANKS interleaved memories, one write port each

The engine's arena word holds P_IN lanes; a conv result of P_OUT > P_IN lanes is NW = P_OUT /
P_IN consecutive words. With one memory it would take NW write cycles (one write port): a
16x128 engine would be write-bound. Here word a lives in bank a mod BANKS at bank address
a / BANKS (BANKS = NW, a power of two), so any BANKS consecutive words fall in different banks
and are written in one cycle; fg_writeback turns a result into one write per bank (bank
addresses and rotated data, all registers). Each bank is the Plan's columns (fg_col_ram), so
what the tools build is what the Plan counted (BANKS identical parts of the arena).

Read: bank b reads its own address rd_addr[b]; rd_sel names the bank of word 0. rd_data is
word 0 (the bank rd_sel), rd_wide the BANKS words in order, word k from bank (rd_sel + k) mod
BANKS: a single word at word address a is read with every bank at a / BANKS and rd_sel =
a mod BANKS; the BANKS consecutive words a .. a + BANKS - 1 (a max-pool's beat: all channel
blocks of a pixel at once) with bank b at (a + BANKS - 1 - b) / BANKS. The caller computes
the addresses (in its address register stage). rd_sel travels beside the read through the same
registers (held while rd_en = 0 like the read register, then OUT_REG stages) and rotates the
words behind the memories' output registers: latency 1 + OUT_REG as fg_sdp_ram, a BANKS:1
multiplexer per word after the last register. BANKS = 1 is a plain fg_col_ram.

Write: bank b is written at wr_addr[b] with wr_data[b] when wr_en[b]; wr_mask selects the lane
groups (P_OUT < P_IN, where BANKS = 1).

Pixel banks (PP > 1, a pixel-parallel engine): PP such arenas side by side, pixel bank p built
of banks p * BANKS .. p * BANKS + BANKS - 1 (g_bank[p * BANKS + b]); every port above is PP
wide, part p for pixel bank p (its own bank addresses, rd_sel, rd_data and rd_wide), wr_mask
shared. The pixel banks hold the pixels x mod PP of every row (hw/fg_engine.v).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_arena #
(
    // word width in bits, a multiple of LANES
    parameter WIDTH = 64,
    // write-enable lanes (lane groups) per word
    parameter LANES = 1,
    // banks, a power of two >= 1
    parameter BANKS = 1,
    // words per bank, >= 2
    parameter BANK_DEPTH = 1024,
    // bank address width, >= $clog2(BANK_DEPTH)
    parameter BA_W = $clog2(BANK_DEPTH),
    // registers after each bank's read register: 0, 1 or 2
    parameter OUT_REG = 2,
    // the Plan's columns of one bank (fg_col_ram)
    parameter N_COLS = 1,
    parameter [16*N_COLS-1:0] COL_W = 0,
    parameter [N_COLS-1:0] COL_ULTRA = 0,
    parameter RAM_STYLE = "block",
    // pixel banks, 1..16
    parameter PP = 1
)
(
    input  wire                    clk,

    input  wire [PP*BANKS-1:0]       wr_en,
    input  wire [LANES-1:0]          wr_mask,
    input  wire [PP*BANKS*BA_W-1:0]  wr_addr,
    input  wire [PP*BANKS*WIDTH-1:0] wr_data,

    input  wire                      rd_en,
    input  wire [PP*BANKS*BA_W-1:0]  rd_addr,
    input  wire [PP*((BANKS > 1) ? $clog2(BANKS) : 1)-1:0] rd_sel,
    output wire [PP*WIDTH-1:0]       rd_data,
    output wire [PP*BANKS*WIDTH-1:0] rd_wide
);

localparam LB = (BANKS > 1) ? $clog2(BANKS) : 0;
localparam LBW = (BANKS > 1) ? LB : 1;

initial begin
    if (BANKS < 1 || (BANKS & (BANKS - 1)) != 0 || PP < 1 || PP > 16) begin
        $error("Error: BANKS must be a power of two, PP 1..16 (instance %m)");
        $finish;
    end
end

wire [PP*BANKS*WIDTH-1:0] bank_rd_data;

genvar b, p;
generate
    for (b = 0; b < PP * BANKS; b = b + 1) begin : g_bank
        fg_col_ram #(
            .WIDTH(WIDTH), .LANES(LANES), .DEPTH(BANK_DEPTH), .ADDR_W(BA_W), .OUT_REG(OUT_REG),
            .N_COLS(N_COLS), .COL_W(COL_W), .COL_ULTRA(COL_ULTRA), .RAM_STYLE(RAM_STYLE)
        ) bank_inst (
            .clk(clk),
            .wr_en(wr_en[b]), .wr_mask(wr_mask), .wr_addr(wr_addr[b*BA_W +: BA_W]),
            .wr_data(wr_data[b*WIDTH +: WIDTH]),
            .rd_en(rd_en), .rd_addr(rd_addr[b*BA_W +: BA_W]),
            .rd_data(bank_rd_data[b*WIDTH +: WIDTH])
        );
    end

    for (p = 0; p < PP; p = p + 1) begin : g_pix
        wire [BANKS*WIDTH-1:0] pix_rd = bank_rd_data[p*BANKS*WIDTH +: BANKS*WIDTH];
        wire [BANKS*WIDTH-1:0] pix_wide;
        if (BANKS > 1) begin : g_select
            // the bank of word 0 of each read in flight: [0] beside the read register,
            // [OUT_REG] beside the last output register
            reg [LB-1:0] sel [0:OUT_REG];
            wire [WIDTH-1:0] bank_word [0:BANKS-1];
            integer i;
            genvar w;
            always @(posedge clk) begin
                if (rd_en) begin
                    sel[0] <= rd_sel[p*LBW +: LBW];
                end
                for (i = 1; i <= OUT_REG; i = i + 1) begin
                    sel[i] <= sel[i-1];
                end
            end
            for (w = 0; w < BANKS; w = w + 1) begin : g_word
                assign bank_word[w] = pix_rd[w*WIDTH +: WIDTH];
                wire [LB-1:0] from = sel[OUT_REG] + w[LB-1:0];
                assign pix_wide[w*WIDTH +: WIDTH] = bank_word[from];
            end
        end else begin : g_one
            assign pix_wide = pix_rd;
            wire unused_sel = &{1'b0, rd_sel[p*LBW +: LBW]};
        end
        assign rd_wide[p*BANKS*WIDTH +: BANKS*WIDTH] = pix_wide;
        assign rd_data[p*WIDTH +: WIDTH] = pix_wide[WIDTH-1:0];
    end
endgenerate

endmodule

`resetall
