/*

fpgagen testbench: the whole-network simulation pattern on a small design

HDL clock + HDL stream source -> fg_axis_in -> fg_axis_out -> HDL stream sink. Python sets
the count, pulses start and awaits `done`; the stream runs with no Python per cycle. The
generated top's testbench follows the same shape with the engine in the middle.

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_tb_loopback #
(
    parameter A_W = 8,
    parameter LANES = 16,
    parameter DEPTH = 4096,
    parameter INIT_FILE = "",
    // source idle / sink backpressure patterns (low 4 bits used, see the stream source/sink)
    parameter integer PAUSE = 0,
    parameter integer BACKPRESSURE = 0
)
(
    output wire        clk,
    input  wire        rst,
    input  wire        start,
    input  wire [31:0] count,          // values; a multiple of LANES
    output wire        done,
    output wire [31:0] sink_count,
    output wire [31:0] sink_last_index,
    output reg  [31:0] cycles,         // clock cycles since start
    input  wire        dump            // rising edge: $writememh the sink memory to sink.hex
);

localparam TDATA_W = ((A_W + 7) / 8) * 8;
localparam CNT_W = $clog2(LANES + 1);

fg_tb_clock clock_inst (.clk(clk));

wire [TDATA_W-1:0] in_TDATA;
wire in_TVALID, in_TREADY, in_TLAST;
wire src_done;

fg_tb_stream_source #(
    .TDATA_W(TDATA_W), .DEPTH(DEPTH), .INIT_FILE(INIT_FILE), .PAUSE_LEN(4), .PAUSE(PAUSE[3:0])
) source_inst (
    .clk(clk), .rst(rst), .start(start), .count(count), .done(src_done),
    .m_axis_TDATA(in_TDATA), .m_axis_TVALID(in_TVALID), .m_axis_TREADY(in_TREADY),
    .m_axis_TLAST(in_TLAST)
);

wire w_valid, w_ready;
wire [LANES*A_W-1:0] w_data;

fg_axis_in #(.A_W(A_W), .LANES(LANES)) axis_in_inst (
    .clk(clk), .rst(rst), .clear(start), .cfg_count({CNT_W{1'b0}}),
    .in_stream_TDATA(in_TDATA), .in_stream_TVALID(in_TVALID), .in_stream_TREADY(in_TREADY),
    .m_valid(w_valid), .m_ready(w_ready), .m_data(w_data)
);

// the last word is the one that completes `count` values
reg [31:0] words_out;
wire [31:0] n_words = count / LANES;
always @(posedge clk) begin
    if (start || rst) begin
        words_out <= 32'd0;
    end else if (w_valid && w_ready) begin
        words_out <= words_out + 32'd1;
    end
end

wire [TDATA_W-1:0] out_TDATA;
wire out_TVALID, out_TREADY, out_TLAST;

fg_axis_out #(.A_W(A_W), .LANES(LANES)) axis_out_inst (
    .clk(clk), .rst(rst), .cfg_signed(1'b0),
    .s_valid(w_valid), .s_ready(w_ready), .s_data(w_data), .s_count({CNT_W{1'b0}}),
    .s_last(words_out + 32'd1 == n_words),
    .out_stream_TDATA(out_TDATA), .out_stream_TVALID(out_TVALID),
    .out_stream_TREADY(out_TREADY), .out_stream_TLAST(out_TLAST)
);

fg_tb_stream_sink #(
    .TDATA_W(TDATA_W), .DEPTH(DEPTH), .BP_LEN(4), .BACKPRESSURE(BACKPRESSURE[3:0])
) sink_inst (
    .clk(clk), .rst(rst || start),
    .s_axis_TDATA(out_TDATA), .s_axis_TVALID(out_TVALID), .s_axis_TREADY(out_TREADY),
    .s_axis_TLAST(out_TLAST),
    .count(sink_count), .last_index(sink_last_index), .done(done), .dump(dump)
);

always @(posedge clk) begin
    if (start || rst) begin
        cycles <= 32'd0;
    end else if (!done) begin
        cycles <= cycles + 32'd1;
    end
end

wire unused_tb = &{1'b0, in_TLAST, src_done};

endmodule

`resetall
