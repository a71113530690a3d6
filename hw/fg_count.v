/*

fpgagen: loop counter with a registered "at last" flag

    clear:  value = 0
    inc:    value = value + 1, or 0 after the last value (value == last)
    at_last = (value == last), held in a register and updated from the next value

The loop nests of the address generators are chains of these: level n + 1 increments when
level n increments at its last value, so the carry of a whole nest is an AND of registered
flags, never a chain of comparators. `last` is a per-layer constant (held while counting);
`last - 1`, against which the flag is computed, is registered from it, so after `last`
changes it must be stable for a cycle, and the first operation must be a clear (the flag of
the old count is not recomputed).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_count #
(
    // counter width, >= 1
    parameter W = 16
)
(
    input  wire          clk,
    input  wire          clear,    // value = 0 (has priority over inc)
    input  wire          inc,      // count, wrapping to 0 after last
    input  wire [W-1:0]  last,     // the last value (count - 1), per layer
    output wire [W-1:0]  value,
    output wire          at_last   // value == last
);

initial begin
    if (W < 1) begin
        $error("Error: W must be >= 1 (instance %m)");
        $finish;
    end
end

reg [W-1:0] value_reg;
reg         at_last_reg;
reg [W-1:0] last_m1;
reg         last_zero;

always @(posedge clk) begin
    last_m1 <= last - {{(W-1){1'b0}}, 1'b1};
    last_zero <= last == {W{1'b0}};
    // clear / inc are the clock enable; the next value is chosen by the registered flag
    if (clear) begin
        value_reg <= {W{1'b0}};
        at_last_reg <= last_zero;
    end else if (inc) begin
        if (at_last_reg) begin
            value_reg <= {W{1'b0}};
            at_last_reg <= last_zero;
        end else begin
            value_reg <= value_reg + {{(W-1){1'b0}}, 1'b1};
            at_last_reg <= value_reg == last_m1;
        end
    end
end

assign value = value_reg;
assign at_last = at_last_reg;

endmodule

`resetall
