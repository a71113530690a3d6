/*

fpgagen: AXI4-Stream input, one value per beat, packed into LANES-value words

Values arrive one per beat on in_stream (Vitis HLS style port names; TDATA is the value
padded to whole bytes, the padding bits are ignored). cfg_count values (1..LANES) fill
lanes 0..cfg_count-1 of a word; the remaining lanes are zero (channel padding of the HWC
activation layout, e.g. 3 input channels in a P_IN = 16 word). A finished word is offered
on m_valid/m_ready. Sustains one value per cycle; a full word waits for m_ready while
in_stream_TREADY is low. `clear` restarts at lane 0 and drops a partial word.
Latency: the word appears the cycle after its last value is accepted.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_axis_in #
(
    // value width in bits, 1..64
    parameter A_W = 8,
    // values per word, >= 1
    parameter LANES = 8,
    // AXI-Stream TDATA width: the value padded to whole bytes
    parameter TDATA_W = ((A_W + 7) / 8) * 8,
    // width of cfg_count
    parameter CNT_W = $clog2(LANES + 1)
)
(
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Control
     */
    input  wire                  clear,       // restart packing at lane 0
    input  wire [CNT_W-1:0]      cfg_count,   // values per word, 1..LANES (0 = LANES)

    /*
     * AXI4-Stream input (one value per beat)
     */
    input  wire [TDATA_W-1:0]    in_stream_TDATA,
    input  wire                  in_stream_TVALID,
    output wire                  in_stream_TREADY,

    /*
     * Word output
     */
    output wire                  m_valid,
    input  wire                  m_ready,
    output wire [LANES*A_W-1:0]  m_data
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

reg [LANES*A_W-1:0] data;
reg [LANES*A_W-1:0] data_next;
reg                 valid;
reg [CNT_W-1:0]     idx;

wire [CNT_W-1:0] count = (cfg_count == {CNT_W{1'b0}})
                         ? LANES[CNT_W-1:0] : cfg_count;
wire [CNT_W-1:0] idx_last = count - {{(CNT_W-1){1'b0}}, 1'b1};
wire ready = !valid || m_ready;
wire accept = in_stream_TVALID && ready;
wire [A_W-1:0] value = in_stream_TDATA[A_W-1:0];

integer l;
always @* begin
    for (l = 0; l < LANES; l = l + 1) begin
        if (idx == l[CNT_W-1:0]) begin
            data_next[l*A_W +: A_W] = value;
        end else if (idx == {CNT_W{1'b0}}) begin
            data_next[l*A_W +: A_W] = {A_W{1'b0}};
        end else begin
            data_next[l*A_W +: A_W] = data[l*A_W +: A_W];
        end
    end
end

always @(posedge clk) begin
    if (valid && m_ready) begin
        valid <= 1'b0;
    end
    if (accept) begin
        data <= data_next;
        if (idx == idx_last) begin
            idx <= {CNT_W{1'b0}};
            valid <= 1'b1;
        end else begin
            idx <= idx + {{(CNT_W-1){1'b0}}, 1'b1};
        end
    end
    if (rst || clear) begin
        idx <= {CNT_W{1'b0}};
        valid <= 1'b0;
    end
end

assign in_stream_TREADY = ready;
assign m_valid = valid;
assign m_data = data;

// TDATA padding bits beyond the value are ignored
wire unused_pad = &{1'b0, in_stream_TDATA};

endmodule

`resetall
