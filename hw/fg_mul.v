/*

fpgagen: registered signed multiplier, the shape of one DSP slice

    p = a * b     (signed A_W x signed B_W, exact, A_W + B_W bits)

Three register stages, as a DSP48 (or an ECP5 MULT18X18D) has them: the operands are
registered at the input (AREG/BREG), the product once after the multiplier (MREG) and once
more at the output (PREG). Nothing else sits between the registers, so synthesis packs all
three into the DSP slice and the multiplier never limits the clock. Vivado and Yosys
`synth_xilinx` pack them from this plain description; Yosys's ECP5 flow cannot, so the ECP5
place-and-route reads `hw/ecp5/fg_mul.v`, which instantiates MULT18X18D with the same three
registers (same ports, same latency).

Latency 3 cycles: operands presented in cycle t give their product in cycle t + 3. No valid
or enable: the caller carries valid alongside (a DSP's registers have no reset here).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_mul #
(
    // operand widths (signed), 2..32 and 2..32
    parameter A_W = 9,
    parameter B_W = 8
)
(
    input  wire                    clk,
    input  wire [A_W-1:0]          a,
    input  wire [B_W-1:0]          b,
    output wire [A_W+B_W-1:0]      p
);

initial begin
    if (A_W < 2 || A_W > 32 || B_W < 2 || B_W > 32) begin
        $error("Error: A_W and B_W must be 2..32 (instance %m)");
        $finish;
    end
end

reg signed [A_W-1:0]     a_reg;
reg signed [B_W-1:0]     b_reg;
reg signed [A_W+B_W-1:0] m_reg;
reg signed [A_W+B_W-1:0] p_reg;

always @(posedge clk) begin
    a_reg <= a;
    b_reg <= b;
    m_reg <= a_reg * b_reg;
    p_reg <= m_reg;
end

assign p = p_reg;

endmodule

`resetall
