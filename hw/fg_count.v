/*

fpgagen: loop counter with a registered "at last" flag

    clear:  value = 0
    inc:    value = value + 1, or 0 after the last value (value == last)
    at_last = (value == last), held in a register and updated from the next value

The loop nests of the address generators are chains of these: level n + 1 increments when
level n increments at its last value, so the carry of a whole nest is an AND of registered
flags, never a chain of comparators; at_last_inc / at_last_clear give the flag's next value,
so the nest can register those ANDs too. `last` is a per-layer constant (held while counting);
the constants the flags are computed against are registered from it, so after `last`
changes it must be stable for a cycle, and the first operation must be a clear (the flags of
the old count are not recomputed). A second flag, value == last - 1, makes the next
at_last a register too: no comparator sits between the counter and the nest's carries.

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
    output wire          at_last,        // value == last
    // what at_last will be after an inc / after a clear (from registers only), so a nest can
    // keep its carries (ANDs of several levels' flags) in registers of its own
    output wire          at_last_inc,
    output wire          at_last_clear
);

initial begin
    if (W < 1) begin
        $error("Error: W must be >= 1 (instance %m)");
        $finish;
    end
end

reg [W-1:0] value_reg;
reg         at_last_reg;     // value == last
reg         near_last;       // value == last - 1: the flag after the next inc
reg [W-1:0] last_m2;
reg         last_zero, last_one;

// per-layer constants, registered from the held `last`
always @(posedge clk) begin
    last_m2 <= last - {{(W-1){1'b0}}, 1'b1} - {{(W-1){1'b0}}, 1'b1};
    last_zero <= last == {W{1'b0}};
    last_one <= last == {{(W-1){1'b0}}, 1'b1};
end

always @(posedge clk) begin
    // clear / inc are the clock enable; the next value and flags come from registers (the
    // one compare, value == last - 2, only feeds near_last)
    if (clear) begin
        value_reg <= {W{1'b0}};
        at_last_reg <= last_zero;
        near_last <= last_one;
    end else if (inc) begin
        if (at_last_reg) begin
            value_reg <= {W{1'b0}};
            at_last_reg <= last_zero;
            near_last <= last_one;
        end else begin
            value_reg <= value_reg + {{(W-1){1'b0}}, 1'b1};
            at_last_reg <= near_last;
            near_last <= value_reg == last_m2;
        end
    end
end

assign value = value_reg;
assign at_last = at_last_reg;
assign at_last_inc = at_last_reg ? last_zero : near_last;
assign at_last_clear = last_zero;

endmodule

`resetall
