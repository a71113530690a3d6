/*

fpgagen testbench: AXI4-Stream source that plays a $readmemh file (one TDATA word per line)

After `start` (one-cycle pulse) it sends `count` beats, TLAST on the last one, pausing
(TVALID low) in cycles where the rotating PAUSE pattern bit is 1 (0 = full speed; 4'b0001
inserts one idle cycle in four). `done` rises after the last beat is accepted. Everything
runs in HDL, so a whole image streams in without one Python call per cycle. Testbench only.

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_tb_stream_source #
(
    // TDATA width
    parameter TDATA_W = 8,
    // largest number of beats
    parameter DEPTH = 1024,
    // $readmemh file with the beats ("" = load later through VPI / $readmemh elsewhere)
    parameter INIT_FILE = "",
    // idle-insertion pattern, bit i = pause in cycle i mod PAUSE_LEN
    parameter PAUSE_LEN = 4,
    parameter [PAUSE_LEN-1:0] PAUSE = {PAUSE_LEN{1'b0}}
)
(
    input  wire               clk,
    input  wire               rst,

    input  wire               start,
    input  wire [31:0]        count,
    output reg                done,

    output wire [TDATA_W-1:0] m_axis_TDATA,
    output wire               m_axis_TVALID,
    input  wire               m_axis_TREADY,
    output wire               m_axis_TLAST
);

reg [TDATA_W-1:0] mem [0:DEPTH-1];
reg [31:0]        idx;
reg               active;
reg [PAUSE_LEN-1:0] pause_sr;

initial begin
    if (INIT_FILE != "") begin
        $readmemh(INIT_FILE, mem);
    end
end

wire pause = pause_sr[0];
wire beat = active && !pause && m_axis_TREADY;

always @(posedge clk) begin
    pause_sr <= {pause_sr[0], pause_sr[PAUSE_LEN-1:1]};
    if (start) begin
        idx <= 32'd0;
        active <= count != 32'd0;
        done <= count == 32'd0;
    end else if (beat) begin
        idx <= idx + 32'd1;
        if (idx + 32'd1 == count) begin
            active <= 1'b0;
            done <= 1'b1;
        end
    end
    if (rst) begin
        active <= 1'b0;
        done <= 1'b0;
        idx <= 32'd0;
        pause_sr <= PAUSE;
    end
end

assign m_axis_TDATA = mem[idx[$clog2(DEPTH)-1:0]];
assign m_axis_TVALID = active && !pause;
assign m_axis_TLAST = idx + 32'd1 == count;

endmodule

`resetall
