/*

fpgagen: LANES-lane global average pool, the part before requantization (docs/design.md §2)

    sum = sum of the N beats of a window (first ... last), exact in SUM_W bits
    out = sum * M            (M = round(2^S / N) from the Plan; exact, ACC_W bits)

The engine requantizes `out` (round_shift by S, saturate) in its shared requantizer, as it
does conv sums, so this unit holds no rounding logic of its own. The multiplication is one
registered fg_mul per lane (a DSP with its A/B, M and P registers): nothing multiplies in a
single cycle. M (cfg_mult) is sampled with the window's last beat; cfg_in_signed with every
beat. Lane l at [l*A_W +: A_W] in, [l*ACC_W +: ACC_W] out.

Windows run back to back at II = 1 (a window may be a single beat). Latency 4 cycles: a
window whose last beat is presented in cycle t appears in cycle t + 4. No backpressure.

The sum needs SUM_W >= A_W + ceil(log2(N_max)) + 1 bits (the +1 covers unsigned inputs held
in a signed sum) and the product ACC_W >= SUM_W + M_W + 1 for exactness; the compiler sizes
both from the Plan (a narrower ACC_W keeps the low bits).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_avgpool #
(
    // parallel lanes, >= 1
    parameter LANES = 8,
    // input width, 1..32
    parameter A_W = 8,
    // signed sum width, > A_W (see header), <= 32
    parameter SUM_W = 24,
    // width of the unsigned multiplier M, 1..31
    parameter M_W = 16,
    // output (product) width, >= 2
    parameter ACC_W = 40
)
(
    input  wire                   clk,
    input  wire                   rst,

    /*
     * Configuration
     */
    input  wire                   cfg_in_signed,   // inputs signed (1) or unsigned (0), per beat
    input  wire [M_W-1:0]         cfg_mult,        // M, unsigned, sampled with the last beat

    /*
     * Input beat
     */
    input  wire                   in_valid,
    input  wire                   in_first,
    input  wire                   in_last,
    input  wire [LANES*A_W-1:0]   in_data,

    /*
     * Output: sum * M, 4 cycles after the last beat
     */
    output wire                   out_valid,
    output wire [LANES*ACC_W-1:0] out_data
);

// exact product width: SUM_W signed x (M_W+1)-bit signed (M zero-extended)
localparam PW = SUM_W + M_W + 1;

// check configuration
initial begin
    if (LANES < 1 || A_W < 1 || A_W > 32 || M_W < 1 || M_W > 31) begin
        $error("Error: LANES >= 1, A_W 1..32, M_W 1..31 required (instance %m)");
        $finish;
    end
    if (SUM_W <= A_W || SUM_W > 32 || ACC_W < 2) begin
        $error("Error: need A_W < SUM_W <= 32 and ACC_W >= 2 (instance %m)");
        $finish;
    end
end

/*
 * Stage 0: running sums; the finished sum (and M) move to sum_out on the last beat
 */
reg [LANES*SUM_W-1:0] acc, sum_out;
reg [M_W-1:0]         mult;
reg                   sum_valid;

/*
 * Stages 1-3: sum * M on one registered multiplier per lane
 */
reg [2:0] mul_valid;

genvar gl;
generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
        wire [A_W-1:0] x = in_data[gl*A_W +: A_W];
        wire [SUM_W-1:0] x_ext = {{(SUM_W-A_W){cfg_in_signed & x[A_W-1]}}, x};
        wire [SUM_W-1:0] acc_next = (in_first ? {SUM_W{1'b0}} : acc[gl*SUM_W +: SUM_W]) + x_ext;
        always @(posedge clk) begin
            if (in_valid) begin
                acc[gl*SUM_W +: SUM_W] <= acc_next;
                if (in_last) begin
                    sum_out[gl*SUM_W +: SUM_W] <= acc_next;
                end
            end
        end

        wire [PW-1:0] prod;
        fg_mul #(.A_W(SUM_W), .B_W(M_W + 1)) mul_inst (
            .clk(clk),
            .a(sum_out[gl*SUM_W +: SUM_W]),
            .b({1'b0, mult}),
            .p(prod)
        );
        if (ACC_W > PW) begin : g_wide
            assign out_data[gl*ACC_W +: ACC_W] = {{(ACC_W-PW){prod[PW-1]}}, prod};
        end else begin : g_narrow
            assign out_data[gl*ACC_W +: ACC_W] = prod[ACC_W-1:0];
            if (ACC_W < PW) begin : g_drop
                wire unused_high = &{1'b0, prod[PW-1:ACC_W]};
            end
        end
    end
endgenerate

always @(posedge clk) begin
    sum_valid <= in_valid && in_last;
    if (in_valid && in_last) begin
        mult <= cfg_mult;
    end
    mul_valid <= {mul_valid[1:0], sum_valid};
    if (rst) begin
        sum_valid <= 1'b0;
        mul_valid <= 3'b000;
    end
end

assign out_valid = mul_valid[2];

endmodule

`resetall
