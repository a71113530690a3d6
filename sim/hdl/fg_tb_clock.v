/*

fpgagen testbench: free-running clock generated in HDL (needs Verilator --timing)

A clock toggled by the simulator itself costs no Python call per cycle: ~2x faster than
cocotb's Clock on whole-network runs. Not synthesizable (testbench only).

*/

// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_tb_clock #
(
    // half period in ns (2 = 250 MHz); only the cycle count matters to the tests
    parameter HALF_PERIOD_NS = 2
)
(
    output reg clk
);

initial begin
    clk = 1'b0;
    forever #(HALF_PERIOD_NS) clk = ~clk;
end

endmodule

`resetall
