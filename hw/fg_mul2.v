/*

fpgagen: two registered signed products of one shared operand in one multiplier (WP486)

    p_lo = a * b_lo,  p_hi = a * b_hi     (signed A_W x signed B_W each, A_W + B_W bits)

Two output lanes of the MAC array share the activation a; one DSP multiplies it by the packed
weight k = b_hi * 2^S + b_lo and the product

    P = a * k + 2^(S-1) = p_hi * 2^S + (p_lo + 2^(S-1))

holds both products side by side (Xilinx WP486). The rounding constant 2^(S-1) is the
correction term: with p_lo in [-2^(S-1), 2^(S-1)) the low field p_lo + 2^(S-1) lies in
[0, 2^S), so it never borrows from the high field. Then

    p_hi = P[S +: A_W+B_W]                     (no correction adder after the DSP)
    p_lo = P[S-1:0] with its top bit inverted   (minus 2^(S-1)), sign-extended

Exactness (checked exhaustively for small widths by sim/fg_mul2/test_fg_mul2.py):
  - S >= A_W + B_W: every operand triple.
  - S =  A_W + B_W - 1: every triple except a = -2^(A_W-1) with b_lo = -2^(B_W-1), whose
    product 2^(A_W+B_W-2) needs A_W + B_W signed bits. fg_engine's activations are ACT_W or
    IN_W-bit values widened by one bit, so a never is -2^(A_W-1) there; this S saves a bit
    of the packed operand (it fits a DSP48E1 at w8a8).
The packed operand k is S + B_W + 1 bits: one multiplier of a DSP takes it when it is
<= 25 bits (DSP48E1, 7-series) or <= 27 (DSP48E2, UltraScale+) and A_W <= 18 (fpgagen/
engine.py `pack_fits` decides, hw/fg_pe_array.v PACK uses it).

Registers as fg_mul (latency 3, one DSP): k is formed in front of the A register (a B_W + 1
bit add in fabric, off the DSP's paths), then A/B registers, the M register, and the P
register after the DSP's post-adder, which adds the constant (C port or rounding constant).
Operands presented in cycle t give their products in cycle t + 3. No valid, no reset.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_mul2 #
(
    // shared operand width (signed), 2..18
    parameter A_W = 9,
    // width of each of the two other operands (signed), 2..18
    parameter B_W = 8,
    // field shift of the packed operand, >= A_W + B_W - 1 (see header for exactness)
    parameter S = A_W + B_W - 1
)
(
    input  wire                    clk,
    input  wire [A_W-1:0]          a,
    input  wire [B_W-1:0]          b_lo,
    input  wire [B_W-1:0]          b_hi,
    output wire [A_W+B_W-1:0]      p_lo,
    output wire [A_W+B_W-1:0]      p_hi
);

// product width, packed operand width, full product width
localparam PW = A_W + B_W;
localparam KW = S + B_W + 1;
localparam MW = A_W + KW;

initial begin
    if (A_W < 2 || A_W > 18 || B_W < 2 || B_W > 18) begin
        $error("Error: A_W and B_W must be 2..18 (instance %m)");
        $finish;
    end
    if (S < PW - 1) begin
        $error("Error: S must be >= A_W + B_W - 1 (instance %m)");
        $finish;
    end
end

// the packed operand b_hi * 2^S + b_lo (exact in KW bits)
wire [KW-1:0] k_hi = {b_hi[B_W-1], b_hi, {S{1'b0}}};
wire [KW-1:0] k_lo = {{(KW-B_W){b_lo[B_W-1]}}, b_lo};
localparam [MW-1:0] HALF = {{(MW-S){1'b0}}, 1'b1, {(S-1){1'b0}}};

reg signed [A_W-1:0] a_reg;
reg signed [KW-1:0]  k_reg;
reg signed [MW-1:0]  m_reg;
reg        [MW-1:0]  p_reg;

always @(posedge clk) begin
    a_reg <= a;
    k_reg <= k_hi + k_lo;
    m_reg <= a_reg * k_reg;
    p_reg <= m_reg + HALF;
end

assign p_hi = p_reg[S +: PW];

generate
    if (S == PW - 1) begin : g_sext
        assign p_lo = {{2{~p_reg[S-1]}}, p_reg[S-2:0]};
    end else if (S == PW) begin : g_exact
        assign p_lo = {~p_reg[S-1], p_reg[S-2:0]};
    end else begin : g_wide
        // the field is wider than the product: its upper bits are sign copies
        assign p_lo = p_reg[PW-1:0];
        wire unused_field = &{1'b0, p_reg[S-1:PW]};
    end
endgenerate

wire unused_top = &{1'b0, p_reg[MW-1:S+PW]};

endmodule

`resetall
