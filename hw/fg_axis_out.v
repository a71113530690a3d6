/*

fpgagen: LANES-value words out on AXI4-Stream, one value per beat, TLAST on the last value

A word (s_valid/s_ready) carries s_count valid values (lanes 0..s_count-1, 1..LANES; 0 =
LANES) and s_last marking the last word of the stream; the values leave one per beat on
out_stream (Vitis HLS style names), TDATA = the value sign- (cfg_signed) or zero-extended to
whole bytes, TLAST with the last value of an s_last word. Sustains one value per cycle
(the next word is taken in the cycle the previous word's last value leaves).
Latency: the first value of a word is offered the cycle after the word is accepted.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_axis_out #
(
    // value width in bits, 1..64
    parameter A_W = 8,
    // values per word, >= 1
    parameter LANES = 8,
    // AXI-Stream TDATA width: the value padded to whole bytes
    parameter TDATA_W = ((A_W + 7) / 8) * 8,
    // width of s_count
    parameter CNT_W = $clog2(LANES + 1)
)
(
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Configuration
     */
    input  wire                  cfg_signed,  // sign-extend (1) or zero-extend (0) into TDATA

    /*
     * Word input
     */
    input  wire                  s_valid,
    output wire                  s_ready,
    input  wire [LANES*A_W-1:0]  s_data,
    input  wire [CNT_W-1:0]      s_count,     // values in this word, 1..LANES (0 = LANES)
    input  wire                  s_last,      // last word of the stream

    /*
     * AXI4-Stream output (one value per beat)
     */
    output wire [TDATA_W-1:0]    out_stream_TDATA,
    output wire                  out_stream_TVALID,
    input  wire                  out_stream_TREADY,
    output wire                  out_stream_TLAST
);

// check configuration
initial begin
    if (A_W < 1 || A_W > 64 || LANES < 1) begin
        $error("Error: A_W must be 1..64 and LANES >= 1 (instance %m)");
        $finish;
    end
    if (TDATA_W < A_W || TDATA_W % 8 != 0) begin
        $error("Error: TDATA_W must be a multiple of 8 and >= A_W (instance %m)");
        $finish;
    end
    if ((1 << CNT_W) <= LANES) begin
        $error("Error: CNT_W too narrow for LANES (instance %m)");
        $finish;
    end
end

reg [LANES*A_W-1:0] data;     // shifts down one lane per beat
reg [CNT_W-1:0]     cnt;      // values left in the word
reg                 last_word;
reg                 busy;

wire [CNT_W-1:0] one = {{(CNT_W-1){1'b0}}, 1'b1};
wire [CNT_W-1:0] count = (s_count == {CNT_W{1'b0}})
                         ? LANES[CNT_W-1:0] : s_count;
wire beat = busy && out_stream_TREADY;
wire ready = !busy || (out_stream_TREADY && cnt == one);

always @(posedge clk) begin
    if (beat) begin
        data <= data >> A_W;
        cnt <= cnt - one;
        if (cnt == one) begin
            busy <= 1'b0;
        end
    end
    if (s_valid && ready) begin
        data <= s_data;
        cnt <= count;
        last_word <= s_last;
        busy <= 1'b1;
    end
    if (rst) begin
        busy <= 1'b0;
    end
end

wire [A_W-1:0] value = data[A_W-1:0];

generate
    if (TDATA_W > A_W) begin : g_pad
        assign out_stream_TDATA = {{(TDATA_W-A_W){cfg_signed & value[A_W-1]}}, value};
    end else begin : g_nopad
        assign out_stream_TDATA = value;
        wire unused_signed = cfg_signed;
    end
endgenerate

assign out_stream_TVALID = busy;
assign out_stream_TLAST = busy && last_word && cnt == one;
assign s_ready = ready;

endmodule

`resetall
