/*

fpgagen: credits of a queue - items issued and not yet retired, as registered flags

The max-pool issuer may have at most DEPTH windows between its last beat and the arena write
(fg_writeback's queue holds DEPTH). It counts them: `issue` when a window has been issued (the
generator's registered pulse, a cycle after the window's last beat), `retire` when one is
written (the queue's pop); both in one cycle leave the count as it is. The flags are
registered from the next count, so the issuer and the sequencer decide from registers:

    zero    no window in flight (the layer's results are all written)
    high    DEPTH - 1 or more in flight: the issuer stops. It stops at DEPTH - 1, not DEPTH,
            because a window counts a cycle after its last beat and the issuer may take one
            more window's last beat meanwhile: at most DEPTH are ever in flight

The caller never retires more than it issued, nor issues past DEPTH. Latency: the flags see an
issue or a retire of cycle t in cycle t + 1.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_credit #
(
    // the most items in flight (the queue's depth), 2..255
    parameter DEPTH = 4
)
(
    input  wire  clk,
    input  wire  rst,

    input  wire  issue,     // an item entered (one a cycle)
    input  wire  retire,    // an item left (one a cycle)
    output wire  zero,      // none in flight (registered)
    output wire  high       // DEPTH - 1 or more in flight (registered)
);

localparam W = $clog2(DEPTH + 1);

initial begin
    if (DEPTH < 2 || DEPTH > 255) begin
        $error("Error: DEPTH must be 2..255 (instance %m)");
        $finish;
    end
end

localparam [31:0] HIGH32 = DEPTH - 1;
localparam [W-1:0] HIGH = HIGH32[W-1:0];

reg  [W-1:0] count;
reg          zero_reg, high_reg;
// one +-1 of the count, then the compares (a few bits: hw/README.md, Known exceptions)
wire [W-1:0] count_n = (issue && !retire) ? count + {{(W-1){1'b0}}, 1'b1} :
                       (retire && !issue) ? count - {{(W-1){1'b0}}, 1'b1} : count;

always @(posedge clk) begin
    count <= count_n;
    zero_reg <= count_n == {W{1'b0}};
    high_reg <= count_n >= HIGH;
    if (rst) begin
        count <= {W{1'b0}};
        zero_reg <= 1'b1;
        high_reg <= 1'b0;
    end
end

assign zero = zero_reg;
assign high = high_reg;

endmodule

`resetall
