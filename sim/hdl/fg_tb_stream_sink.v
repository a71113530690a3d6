/*

fpgagen testbench: AXI4-Stream sink that records beats into a memory

Records every beat (TDATA into mem[count]) with backpressure where the rotating BACKPRESSURE
pattern bit is 1; `count` counts the beats, `done` rises with the first TLAST beat and
`last_index` holds its position. Python reads `mem` through VPI (or calls for $writememh via
`dump` and DUMP_FILE) once at the end: no Python call per cycle. Testbench only.

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_tb_stream_sink #
(
    // TDATA width
    parameter TDATA_W = 8,
    // largest number of beats recorded (later beats are counted, not stored)
    parameter DEPTH = 1024,
    // backpressure pattern, bit i = TREADY low in cycle i mod BP_LEN
    parameter BP_LEN = 4,
    parameter [BP_LEN-1:0] BACKPRESSURE = {BP_LEN{1'b0}},
    // $writememh target for `dump`
    parameter DUMP_FILE = "sink.hex"
)
(
    input  wire               clk,
    input  wire               rst,

    input  wire [TDATA_W-1:0] s_axis_TDATA,
    input  wire               s_axis_TVALID,
    output wire               s_axis_TREADY,
    input  wire               s_axis_TLAST,

    output reg  [31:0]        count,
    output reg  [31:0]        last_index,
    output reg                done,
    input  wire               dump
);

reg [TDATA_W-1:0] mem [0:DEPTH-1];
reg [BP_LEN-1:0]  bp_sr;

wire beat = s_axis_TVALID && s_axis_TREADY;

always @(posedge clk) begin
    bp_sr <= {bp_sr[0], bp_sr[BP_LEN-1:1]};
    if (beat) begin
        if (count < DEPTH) begin
            mem[count[$clog2(DEPTH)-1:0]] <= s_axis_TDATA;
        end
        count <= count + 32'd1;
        if (s_axis_TLAST && !done) begin
            done <= 1'b1;
            last_index <= count;
        end
    end
    if (rst) begin
        count <= 32'd0;
        last_index <= 32'd0;
        done <= 1'b0;
        bp_sr <= BACKPRESSURE;
    end
end

always @(posedge dump) begin
    $writememh(DUMP_FILE, mem);
end

assign s_axis_TREADY = !bp_sr[0];

endmodule

`resetall
