/*

fpgagen: address generator of the element-wise layers - global average pool and add

    avgpool (cfg_add = 0): for cb: for p in 0..npix-1: read in_base + p*in_stride + cb;
             the window of one result word is the p loop (first p = 0, last p = npix - 1),
             written to out_base + cb
    add     (cfg_add = 1): for p: for cb: read operand a (in_base + p*in_stride + cb), then
             operand b (in2_base + p*in2_stride + cb); one result per b beat, written to
             out_base + p*out_stride + cb (the arena has one read port: II = 2)

Pixel banks (PP > 1, a pixel-parallel engine: pixel x of a row in bank x mod PP at group x div
PP, rows of ceil(W / PP) groups): the average pool walks the pixels of each row (x counts to
cfg_x_last), its `phase` (bank) counting up with compare-and-wrap and the address stepping a
group (in_stride) when it wraps, a row (cfg_row_step from the row's first group) at the row's
end; an add reads whole pixel groups (PP pixels of every bank at once), so its nest is the one
above over groups (cfg_p_last = groups - 1) and its phase is 0.

Beat outputs: addr (the word to read), waddr (the result's word), first / last (avgpool: the
window's first and last pixel; add: operand a / operand b), half (add: the b operand).

Timing discipline as in fg_conv_agu: addresses stepped by per-layer strides from registers, the
loop carries from registered at-last flags; the mode and loop limits are registered here, so
the configuration must be stable two cycles before `start`. `done` after the last beat;
handshake as in fg_conv_agu (beat_valid, ready; registered outputs).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_vec_agu #
(
    // address width (arena words; arithmetic modulo 2^AW), >= 2
    parameter AW = 16,
    // loop counter width, 2..30
    parameter CW = 16,
    // pixel banks of the arena, 1..16
    parameter PP = 1
)
(
    input  wire               clk,
    input  wire               rst,

    /*
     * Layer configuration (held while the layer runs)
     */
    input  wire               cfg_add,         // 1: add, 0: global average pool
    input  wire [CW-1:0]      cfg_cb_last,     // words per pixel - 1
    input  wire [CW-1:0]      cfg_p_last,      // pixels - 1
    input  wire [AW-1:0]      cfg_in_base,
    input  wire [AW-1:0]      cfg_in_stride,
    input  wire [AW-1:0]      cfg_in2_base,
    input  wire [AW-1:0]      cfg_in2_stride,
    input  wire [AW-1:0]      cfg_out_base,
    input  wire [AW-1:0]      cfg_out_stride,
    input  wire [CW-1:0]      cfg_x_last,      // (PP > 1) the map's width - 1
    input  wire [AW-1:0]      cfg_row_step,    // (PP > 1) words per row of groups

    /*
     * Control
     */
    input  wire               start,
    input  wire               ready,
    output wire               done,

    /*
     * The beat (registers)
     */
    output wire               beat_valid,
    output wire               beat_first,
    output wire               beat_last,
    output wire               beat_half,
    output wire [AW-1:0]      beat_addr,
    output wire [(PP > 1 ? $clog2(PP) : 1)-1:0] beat_phase,   // the pixel's bank (avgpool)
    output wire [AW-1:0]      beat_waddr
);

localparam PW = (PP > 1) ? $clog2(PP) : 1;

initial begin
    if (AW < 2 || CW < 2 || CW > 30 || PP < 1 || PP > 16) begin
        $error("Error: bad AW/CW (instance %m)");
        $finish;
    end
end

reg active, done_reg, half, first;
wire adv = active && ready;

// the mode and the two loop limits, registered here from the layer's fields (held per
// layer, decoded far away): the loop control reads only local registers
reg          add_mode;
reg [CW-1:0] i1_last, i2_last;
always @(posedge clk) begin
    add_mode <= cfg_add;
    i1_last <= cfg_add ? cfg_cb_last : cfg_p_last;
    i2_last <= cfg_add ? cfg_p_last : cfg_cb_last;
end

// inner / outer loop: avgpool p / cb, add cb / p
wire [CW-1:0] i1, i2;
wire i1_at, i2_at;
wire inc1 = add_mode ? (adv && half) : adv;
wire inc2 = inc1 && i1_at;

wire [3:0] unused_flags;
fg_count #(.W(CW)) i1_cnt (.clk(clk), .clear(start), .inc(inc1),
                           .last(i1_last), .value(i1), .at_last(i1_at),
                           .at_last_inc(unused_flags[0]), .at_last_clear(unused_flags[1]));
fg_count #(.W(CW)) i2_cnt (.clk(clk), .clear(start), .inc(inc2),
                           .last(i2_last), .value(i2), .at_last(i2_at),
                           .at_last_inc(unused_flags[2]), .at_last_clear(unused_flags[3]));

always @(posedge clk) begin
    if (start) begin
        active <= 1'b1;
        done_reg <= 1'b0;
        half <= 1'b0;
    end else begin
        if (adv && add_mode) begin
            half <= !half;
        end
        if (inc2 && i2_at) begin
            active <= 1'b0;
            done_reg <= 1'b1;
        end
    end
    if (rst) begin
        active <= 1'b0;
        done_reg <= 1'b0;
    end
end

always @(posedge clk) begin
    if (start) begin
        first <= 1'b1;
    end else if (adv) begin
        first <= i1_at;                  // (average pool: a window's first pixel)
    end
end

/*
 * Read addresses
 *   avgpool: cbase = in_base + cb; a = cbase + p*in_stride
 *   add:     pa/pb = the pixel's first word of a/b; aa/bb = the operand words of this cb;
 *            a = the beat's word (aa, then bb)
 */
// the average pool's pixel column (pixel banks): x, its at-last flag, the phase and the row's
// first word
wire [CW-1:0] x;
wire          x_at;
wire [1:0]    unused_x;
fg_count #(.W(CW)) x_cnt (.clk(clk), .clear(start), .inc(adv && !add_mode && PP > 1),
                          .last(cfg_x_last), .value(x), .at_last(x_at),
                          .at_last_inc(unused_x[0]), .at_last_clear(unused_x[1]));
reg [PW-1:0] phase;
reg          ph_at;
localparam integer PH_LAST = PP - 1;
wire [PW-1:0] ph_last = PH_LAST[PW-1:0];
always @(posedge clk) begin
    if (start || PP == 1) begin
        phase <= {PW{1'b0}};
        ph_at <= PP == 1;
    end else if (adv && !add_mode) begin
        if (x_at || ph_at) begin
            phase <= {PW{1'b0}};
            ph_at <= PP == 1;
        end else begin
            phase <= phase + {{(PW-1){1'b0}}, 1'b1};
            ph_at <= phase + {{(PW-1){1'b0}}, 1'b1} == ph_last;
        end
    end
end

reg [AW-1:0] a, cbase, pa, pb, aa, bb, arow;
wire [AW-1:0] arow_n = arow + cfg_row_step;
wire [AW-1:0] one = {{(AW-1){1'b0}}, 1'b1};
wire [AW-1:0] cbase_n = cbase + one;
wire [AW-1:0] pa_n = pa + cfg_in_stride;
wire [AW-1:0] pb_n = pb + cfg_in2_stride;
wire [AW-1:0] aa_n = aa + one;
wire [AW-1:0] bb_n = bb + one;

// `adv` is the clock enable; the next values are selected by registered flags only
always @(posedge clk) begin
    if (start) begin
        a <= cfg_in_base;
        cbase <= cfg_in_base;
        arow <= cfg_in_base;
        pa <= cfg_in_base;
        pb <= cfg_in2_base;
        aa <= cfg_in_base;
        bb <= cfg_in2_base;
    end else if (adv) begin
        if (add_mode) begin
            if (!half) begin
                a <= bb;                 // operand a taken: operand b next
            end else if (i1_at) begin    // the pixel's last word: the next pixel
                pa <= pa_n;
                pb <= pb_n;
                aa <= pa_n;
                bb <= pb_n;
                a <= pa_n;
            end else begin
                aa <= aa_n;
                bb <= bb_n;
                a <= aa_n;
            end
        end else if (i1_at) begin        // the window's last pixel: the next word
            cbase <= cbase_n;
            arow <= cbase_n;
            a <= cbase_n;
        end else if (PP > 1 && x_at) begin   // the row's last pixel: the next row
            arow <= arow_n;
            a <= arow_n;
        end else if (PP == 1 || ph_at) begin // the group's last pixel: the next group
            a <= a + cfg_in_stride;
        end
    end
end

/*
 * Result words: avgpool out_base + cb; add out_base + p*out_stride + cb
 */
reg [AW-1:0] wa, wp;
wire [AW-1:0] wp_n = wp + cfg_out_stride;

always @(posedge clk) begin
    if (start) begin
        wa <= cfg_out_base;
        wp <= cfg_out_base;
    end else if (adv) begin
        if (add_mode) begin
            if (half && i1_at) begin
                wp <= wp_n;
                wa <= wp_n;
            end else if (half) begin
                wa <= wa + one;
            end
        end else if (i1_at) begin
            wa <= wa + one;
        end
    end
end

assign done = done_reg;
assign beat_valid = active;
assign beat_first = add_mode ? !half : first;
assign beat_last = add_mode ? half : i1_at;
assign beat_half = half;
assign beat_addr = a;
assign beat_phase = phase;
assign beat_waddr = wa;

wire unused_counts = &{1'b0, i1, i2, unused_flags, x, unused_x};
// with PP = 1 there are no pixel banks (the row inputs are not used)
wire unused_pix = &{1'b0, cfg_x_last, arow_n, x_at};

endmodule

`resetall
