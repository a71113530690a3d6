/*

fpgagen: LANES-lane running max (max-pool unit) with a column carry, docs/design.md §2 (Fixed point)

    first beat of a window:  m = in            (or m = carry, then max with in: in_from_carry)
    other beats:             m = max(m, in)    (per lane, signed or unsigned)
    last beat:               out_data = m, out_valid = 1 (one cycle)

Only beats with in_inside = 1 contribute: the caller may walk every tap of a window, those
that overhang the input edge (Caffe ceil mode, padding) included, and mark the outside ones.
A beat may be both first and last (1-element windows); windows run back to back at II = 1.

Column carry (so a 3x3 stride-2 pool reads 6 words per window instead of 9): beats with
in_carry = 1 (the window's columns that the next window shares) also reduce into a carry
register, which starts afresh with each window's first beat; the next window, given
in_from_carry on its first beat, starts from that carry and skips those columns. A window
or carry that saw no inside beat is empty (the result of an all-empty window is undefined).

Lane l at [l*A_W +: A_W]. Latency 3 cycles: a window whose last beat is presented in cycle t
appears in cycle t + 3. The beat is registered twice on entry (the word comes from the arena,
whose read data also feeds the MAC array and the element-wise units: the first register may sit
near the arena's block RAMs, the second next to the comparators, so neither hop carries logic
and a long route), then compared and reduced. No backpressure.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_maxpool #
(
    // parallel lanes (channels per word), >= 1
    parameter LANES = 8,
    // value width, 1..64
    parameter A_W = 8
)
(
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Configuration, sampled with each beat
     */
    input  wire                  cfg_signed,   // compare as signed (1) or unsigned (0)

    /*
     * Input beat
     */
    input  wire                  in_valid,
    input  wire                  in_first,     // first element of a window
    input  wire                  in_last,      // last element of a window: emit
    input  wire                  in_inside,    // the beat's data takes part (0: a padding tap)
    input  wire                  in_carry,     // the beat's data also goes into the carry
    input  wire                  in_from_carry, // with in_first: start from the carry
    input  wire [LANES*A_W-1:0]  in_data,

    /*
     * Output, 2 cycles after the last beat
     */
    output wire                  out_valid,
    output wire [LANES*A_W-1:0]  out_data
);

// check configuration
initial begin
    if (LANES < 1 || A_W < 1 || A_W > 64) begin
        $error("Error: LANES must be >= 1 and A_W 1..64 (instance %m)");
        $finish;
    end
end

// the beat, registered on entry (p_) and again next to the comparators (b_)
reg                 p_valid, p_first, p_last, p_inside, p_carry, p_from_carry, p_signed;
reg [LANES*A_W-1:0] p_data;
reg                 b_valid, b_first, b_last, b_inside, b_carry, b_from_carry, b_signed;
reg [LANES*A_W-1:0] b_data;
// The arena word's copy for this unit: its own initial value (never read: p_valid is 0 until
// a beat is registered) keeps synthesis from merging it with the other units' registers of
// the same word, whose one shared copy was routed across the engine.
initial p_data = {(LANES*A_W){1'b1}};

reg [LANES*A_W-1:0] m, c;          // the window's running max, the carry's
reg                 m_has, c_has;  // ... and whether they hold any inside value
reg [LANES*A_W-1:0] m_next, c_next;
reg                 m_has_next, c_has_next;
reg [LANES*A_W-1:0] out_data_reg;
reg                 out_valid_reg;

// What a beat does with its data, decided when it is registered (from its flags and from
// m_has / c_has as they will be when it is processed), so that behind each lane's compare
// there is one OR of two ANDs and the select: the running max is a recurrence (m needs m),
// and its compare's carry chain plus this logic is the unit's critical path.
//   f_force:  m takes a (the window's first inside value)
//   f_cmp_c:  m takes a if a > c (a first beat that starts from the carry)
//   f_cmp_m:  m takes a if a > m (a later beat)
//   f_cforce, f_ccmp: the same for the carry (which restarts with each window)
reg  f_force, f_cmp_c, f_cmp_m, f_cforce, f_ccmp;
wire m_has_at = rst ? 1'b0 : (b_valid ? m_has_next : m_has);
wire c_has_at = rst ? 1'b0 : (b_valid ? c_has_next : c_has);
wire fc_at = p_from_carry && c_has_at;

always @(posedge clk) begin
    p_valid <= in_valid;
    p_first <= in_first;
    p_last <= in_last;
    p_inside <= in_inside;
    p_carry <= in_carry;
    p_from_carry <= in_from_carry;
    p_signed <= cfg_signed;
    p_data <= in_data;
    b_valid <= p_valid;
    b_first <= p_first;
    b_last <= p_last;
    b_inside <= p_inside;
    b_carry <= p_carry;
    b_from_carry <= p_from_carry;
    b_signed <= p_signed;
    b_data <= p_data;
    f_force <= p_inside && (p_first ? !fc_at : !m_has_at);
    f_cmp_c <= p_inside && p_first && fc_at;
    f_cmp_m <= p_inside && !p_first && m_has_at;
    f_cforce <= p_inside && p_carry && (p_first || !c_has_at);
    f_ccmp <= p_inside && p_carry && !p_first && c_has_at;
    if (rst) begin
        p_valid <= 1'b0;
        b_valid <= 1'b0;
    end
end

reg [A_W-1:0] a, mv, cv;
reg           a_gt_m, a_gt_c, take_m, take_c;
integer l;
always @* begin
    for (l = 0; l < LANES; l = l + 1) begin
        a = b_data[l*A_W +: A_W];
        mv = m[l*A_W +: A_W];
        cv = c[l*A_W +: A_W];
        a_gt_m = {a[A_W-1] ^ b_signed, a} > {mv[A_W-1] ^ b_signed, mv};
        a_gt_c = {a[A_W-1] ^ b_signed, a} > {cv[A_W-1] ^ b_signed, cv};
        take_m = f_force || (f_cmp_c && a_gt_c) || (f_cmp_m && a_gt_m);
        take_c = f_cforce || (f_ccmp && a_gt_c);
        m_next[l*A_W +: A_W] = take_m ? a : (b_first ? cv : mv);
        c_next[l*A_W +: A_W] = take_c ? a : cv;
    end
    m_has_next = (b_first ? (b_from_carry && c_has) : m_has) || b_inside;
    c_has_next = (!b_first && c_has) || (b_inside && b_carry);
end

always @(posedge clk) begin
    out_valid_reg <= b_valid && b_last;
    if (b_valid) begin
        m <= m_next;
        m_has <= m_has_next;
        c <= c_next;
        c_has <= c_has_next;
        if (b_last) begin
            out_data_reg <= m_next;
        end
    end
    if (rst) begin
        out_valid_reg <= 1'b0;
        m_has <= 1'b0;
        c_has <= 1'b0;
    end
end

assign out_valid = out_valid_reg;
assign out_data = out_data_reg;

endmodule

`resetall
