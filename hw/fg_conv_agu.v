/*

fpgagen: conv address generator - the loop nest of one conv layer, one beat per cycle

Walks, innermost first, cb (input word of the pixel), kx (kernel column, or a group of TAPS
columns when the conv reads the packed staging memory), ky, og (output group of P_OUT
channels), ox, oy, and gives for every beat:

    addr      the word to read: arena word address, or (staging) the pixel index of the
              group's first tap; padding taps get an address too (the caller zeroes them)
    phase     with PP pixel banks (a pixel-parallel engine, PP > 1): the tap's pixel x mod
              PP; addr is then the group address of x div PP (the arena's pixel banks hold
              pixel x of a row in bank x mod PP, hw/fg_engine.v)
    iy, ix    the tap's input coordinates (ix of the group's first tap), for the padding test
    kleft     kernel columns left from the group's first tap (K - kx0), for the packed taps
    waddr     weight word (one per beat, from w_base, restarting at every output pixel)
    baddr     bias word (b_base + og)
    oaddr     the first arena word this beat's dot product writes, st_left the words still
              inside the tensor (out_blocks - word), group the lane group when P_OUT < P_IN
    first / last   the dot product's first and last beat

Timing discipline: every address is a register updated by adding a per-layer step (no
multiply, divide or modulo anywhere): the per-layer steps (`cfg_*_step`, the origin) are
computed by the compiler (fpgagen/machine/engine_table.py) and decoded once per layer. Each level of the
nest keeps the address of its own origin, so the next value of any register is one adder from
registers plus a multiplexer; the nest's carries are ANDs of registered at-last flags
(fg_count). The output ring of a fused conv wraps by comparing the row counter, not by `%`.

Pixel groups (PP > 1): ox counts groups of PP output pixels; a kernel column step moves the
tap one pixel (cfg_kx_pix): the phase counts up and wraps at PP, and the address steps by
cfg_kx_step only when it wraps (mixed radix, compare-and-wrap, no modulo); every other level
restarts the phase at cfg_ph0 (the phase of tap -pad). Without cfg_kx_pix (a split conv's
word groups, the staging memory's pixel index) a column step adds cfg_kx_step and the phase
stays cfg_ph0. With PP = 1 the phase is always 0 and wraps at every step.

Rows: rows [0, row_limit) may be issued; the generator pauses at the start of row row_limit
and resumes when row_limit grows (fused conv -> pool pairs hand out rows one by one); `done`
rises after the last row. `start` restarts the nest at row 0.

Handshake: a beat is presented while beat_valid; it is taken (and the next one computed) in a
cycle with ready = 1. All beat outputs are registers. A beat is offered every cycle: a
result's NW words are written in one cycle (the arena is NW banks, hw/fg_arena.v), so short
dot products need no spacing.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_conv_agu #
(
    // address width (arena words or staging pixels; arithmetic is modulo 2^AW), >= 2
    parameter AW = 16,
    // loop counter width, 2..30
    parameter CW = 16,
    // weight and bias address widths
    parameter WA_W = 12,
    parameter BA_W = 8,
    // arena words per output group (P_OUT / P_IN when P_OUT >= P_IN, else 1)
    parameter NW = 1,
    // lane groups per arena word (P_IN / P_OUT when P_OUT < P_IN, else 1), a power of two
    parameter G = 1,
    // pixel banks of the arena (output pixels a beat), 1..16
    parameter PP = 1
)
(
    input  wire               clk,
    input  wire               rst,

    /*
     * Layer configuration (held while the layer runs)
     */
    input  wire [CW-1:0]      cfg_cb_last,     // input words per pixel - 1
    input  wire [CW-1:0]      cfg_kx_last,     // kernel column groups - 1
    input  wire [CW-1:0]      cfg_ky_last,     // kernel rows - 1
    input  wire [CW-1:0]      cfg_og_last,     // output groups - 1
    input  wire [CW-1:0]      cfg_ox_last,     // output width - 1
    input  wire [CW-1:0]      cfg_oy_last,     // output height - 1
    input  wire [AW-1:0]      cfg_origin,      // address of tap (-pad, -pad), word 0
    input  wire [AW-1:0]      cfg_kx_step,     // address step per kernel column group
    input  wire [AW-1:0]      cfg_ky_step,     // ... per kernel row (one input row)
    input  wire [AW-1:0]      cfg_ox_step,     // ... per output column (stride columns)
    input  wire [AW-1:0]      cfg_oy_step,     // ... per output row (stride rows)
    input  wire [CW-1:0]      cfg_ix_step,     // input columns per kernel column group
    input  wire [CW-1:0]      cfg_ix_ox_step,  // input columns per output column (group)
    input  wire [(PP > 1 ? $clog2(PP) : 1)-1:0] cfg_ph0, // phase of tap -pad (PP > 1)
    input  wire               cfg_kx_pix,      // a kernel column step is one pixel (PP > 1)
    input  wire [CW-1:0]      cfg_stride,
    input  wire [CW-1:0]      cfg_pad,
    input  wire [CW-1:0]      cfg_kernel,
    input  wire [WA_W-1:0]    cfg_w_base,
    input  wire [BA_W-1:0]    cfg_b_base,
    input  wire [AW-1:0]      cfg_out_base,
    input  wire [AW-1:0]      cfg_out_stride,  // words between output pixels
    input  wire [AW-1:0]      cfg_out_row_step,// words between output rows
    input  wire [CW-1:0]      cfg_out_ring_last, // ring rows - 1 (all ones: no ring)
    input  wire [CW-1:0]      cfg_out_blocks,  // words per output pixel

    /*
     * Control
     */
    input  wire               start,           // restart the nest at row 0
    input  wire [CW-1:0]      row_limit,       // rows that may be issued
    input  wire               ready,           // the beat is taken
    output wire               done,            // every row issued (until the next start)
    output wire               paused,          // waiting at the start of row row_limit
    output wire               row_issued,      // pulse: the last beat of a row was taken

    /*
     * The beat (registers)
     */
    output wire               beat_valid,
    output wire               beat_first,
    output wire               beat_last,
    output wire [AW-1:0]      beat_addr,
    output wire [(PP > 1 ? $clog2(PP) : 1)-1:0] beat_phase,
    output wire [CW:0]        beat_iy,         // signed
    output wire [CW:0]        beat_ix,         // signed
    output wire [CW:0]        beat_kleft,      // signed
    output wire [WA_W-1:0]    beat_waddr,
    output wire [BA_W-1:0]    beat_baddr,
    output wire [AW-1:0]      beat_oaddr,
    output wire [CW:0]        beat_st_left,    // signed
    output wire [(G > 1 ? $clog2(G) : 1)-1:0] beat_group
);

localparam GW = (G > 1) ? $clog2(G) : 1;
localparam PW = (PP > 1) ? $clog2(PP) : 1;

initial begin
    if (AW < 2 || CW < 2 || CW > 30 || NW < 1 || G < 1 || (G & (G - 1)) != 0 || PP < 1
        || PP > 16) begin
        $error("Error: bad AW/CW/NW/G (instance %m)");
        $finish;
    end
    if (NW > 1 && G > 1) begin
        $error("Error: NW and G cannot both exceed 1 (instance %m)");
        $finish;
    end
end

/*
 * State
 */
reg active, pause, done_reg, row_issued_reg;
reg w_ky, w_og, w_ox, w_oy;     // the nest's carries (below)
// valid as one register (go = active and not paused), so a beat's advance is a single gate
// and the nest's carries two more
reg go;
wire valid = go;
wire adv = valid && ready;

wire [CW-1:0] cb, kx, ky, og, ox, oy;
wire cb_at, kx_at, ky_at, og_at, ox_at, oy_at;

// the nest's carries: level n steps when every level inside it is at its last value. w_kx
// is cb's flag; w_ky .. w_oy (ANDs of several levels' flags) are registers of their own,
// computed from the levels' next flags. They select the registers' next values and `adv` is
// the clock enable, so the taken-beat decision never sits in front of a multiplexer and no
// event is more than one gate from registers.
wire w_kx = cb_at;
wire e_kx = adv && w_kx;
wire e_ky = adv && w_ky;
wire e_og = adv && w_og;
wire e_ox = adv && w_ox;
wire e_oy = adv && w_oy;
wire cb_at_inc, kx_at_inc, ky_at_inc, og_at_inc, ox_at_inc, oy_at_inc;
wire cb_at_clr, kx_at_clr, ky_at_clr, og_at_clr, ox_at_clr, oy_at_clr;

fg_count #(.W(CW)) cb_cnt (.clk(clk), .clear(start), .inc(adv), .last(cfg_cb_last),
                           .value(cb), .at_last(cb_at), .at_last_inc(cb_at_inc),
                           .at_last_clear(cb_at_clr));
fg_count #(.W(CW)) kx_cnt (.clk(clk), .clear(start), .inc(e_kx), .last(cfg_kx_last),
                           .value(kx), .at_last(kx_at), .at_last_inc(kx_at_inc),
                           .at_last_clear(kx_at_clr));
fg_count #(.W(CW)) ky_cnt (.clk(clk), .clear(start), .inc(e_ky), .last(cfg_ky_last),
                           .value(ky), .at_last(ky_at), .at_last_inc(ky_at_inc),
                           .at_last_clear(ky_at_clr));
fg_count #(.W(CW)) og_cnt (.clk(clk), .clear(start), .inc(e_og), .last(cfg_og_last),
                           .value(og), .at_last(og_at), .at_last_inc(og_at_inc),
                           .at_last_clear(og_at_clr));
fg_count #(.W(CW)) ox_cnt (.clk(clk), .clear(start), .inc(e_ox), .last(cfg_ox_last),
                           .value(ox), .at_last(ox_at), .at_last_inc(ox_at_inc),
                           .at_last_clear(ox_at_clr));
fg_count #(.W(CW)) oy_cnt (.clk(clk), .clear(start), .inc(e_oy), .last(cfg_oy_last),
                           .value(oy), .at_last(oy_at), .at_last_inc(oy_at_inc),
                           .at_last_clear(oy_at_clr));

// the levels' flags after a taken beat (cb steps every beat, the others with their carry)
wire cb_at_n = cb_at_inc;
wire kx_at_n = w_kx ? kx_at_inc : kx_at;
wire ky_at_n = w_ky ? ky_at_inc : ky_at;
wire og_at_n = w_og ? og_at_inc : og_at;
wire ox_at_n = w_ox ? ox_at_inc : ox_at;

always @(posedge clk) begin
    if (start) begin
        w_ky <= cb_at_clr && kx_at_clr;
        w_og <= cb_at_clr && kx_at_clr && ky_at_clr;
        w_ox <= cb_at_clr && kx_at_clr && ky_at_clr && og_at_clr;
        w_oy <= cb_at_clr && kx_at_clr && ky_at_clr && og_at_clr && ox_at_clr;
    end else if (adv) begin
        w_ky <= cb_at_n && kx_at_n;
        w_og <= cb_at_n && kx_at_n && ky_at_n;
        w_ox <= cb_at_n && kx_at_n && ky_at_n && og_at_n;
        w_oy <= cb_at_n && kx_at_n && ky_at_n && og_at_n && ox_at_n;
    end
end

// rows issued + 1, to see the limit coming one row ahead
reg [CW-1:0] oy_p1;

always @(posedge clk) begin
    row_issued_reg <= e_oy;
    if (start) begin
        active <= 1'b1;
        done_reg <= 1'b0;
        oy_p1 <= {{(CW-1){1'b0}}, 1'b1};
        pause <= row_limit == {CW{1'b0}};
    end else begin
        if (e_oy) begin
            oy_p1 <= oy_p1 + {{(CW-1){1'b0}}, 1'b1};
            if (oy_at) begin
                active <= 1'b0;
                done_reg <= 1'b1;
            end
        end
        // pause at the start of row row_limit (evaluated for the row about to start)
        pause <= e_oy ? (oy_p1 == row_limit) : (oy == row_limit);
    end
    // the same decisions as active and pause, for the cycle ahead
    go <= start ? row_limit != {CW{1'b0}}
                : (e_oy ? (!oy_at && oy_p1 != row_limit) : (active && oy != row_limit));
    if (rst) begin
        active <= 1'b0;
        done_reg <= 1'b0;
        pause <= 1'b0;
        go <= 1'b0;
        row_issued_reg <= 1'b0;
    end
end

/*
 * Read address: one register per level of the nest holds the address of that level's origin
 *   a      the beat           (+1 per input word)
 *   a_tap  kernel column      (+kx_step)
 *   a_row  kernel row         (+ky_step)
 *   a_win  output pixel's window origin (+ox_step)
 *   a_wrow output row's first window    (+oy_step)
 */
reg [AW-1:0] a, a_tap, a_row, a_win, a_wrow;
wire [AW-1:0] a_wrow_n = a_wrow + cfg_oy_step;
wire [AW-1:0] a_win_n = a_win + cfg_ox_step;
wire [AW-1:0] a_row_n = a_row + cfg_ky_step;
// a pixel step of the kernel column moves to the next group only when the phase wraps
reg           ph_at;        // phase == PP - 1 (a register: the select is one gate deep)
wire [AW-1:0] a_tap_add = a_tap + cfg_kx_step;
wire          ph_wrap = PP == 1 || ph_at;
wire [AW-1:0] a_tap_n = (cfg_kx_pix && !ph_wrap) ? a_tap : a_tap_add;

always @(posedge clk) begin
    if (start) begin
        a <= cfg_origin;
        a_tap <= cfg_origin;
        a_row <= cfg_origin;
        a_win <= cfg_origin;
        a_wrow <= cfg_origin;
    end else if (adv) begin
        if (w_oy) begin
            a <= a_wrow_n;
            a_tap <= a_wrow_n;
            a_row <= a_wrow_n;
            a_win <= a_wrow_n;
            a_wrow <= a_wrow_n;
        end else if (w_ox) begin
            a <= a_win_n;
            a_tap <= a_win_n;
            a_row <= a_win_n;
            a_win <= a_win_n;
        end else if (w_og) begin
            a <= a_win;
            a_tap <= a_win;
            a_row <= a_win;
        end else if (w_ky) begin
            a <= a_row_n;
            a_tap <= a_row_n;
            a_row <= a_row_n;
        end else if (w_kx) begin
            a <= a_tap_n;
            a_tap <= a_tap_n;
        end else begin
            a <= a + {{(AW-1){1'b0}}, 1'b1};
        end
    end
end

/*
 * Phase of the tap's pixel (PP > 1): cfg_ph0 at every restart of the kernel columns, +1 per
 * pixel step, wrapping at PP; ph_at is its registered at-last flag
 */
reg  [PW-1:0] phase;
localparam integer PH_LAST = PP - 1;
wire [PW-1:0] ph_last = PH_LAST[PW-1:0];
wire [PW-1:0] ph_inc = ph_at ? {PW{1'b0}} : phase + {{(PW-1){1'b0}}, 1'b1};
wire          ph0_at = PP == 1 || cfg_ph0 == ph_last;
wire          ph_inc_at = PP == 1 || ph_inc == ph_last;

always @(posedge clk) begin
    if (start || (adv && (w_oy || w_ox || w_og || w_ky))) begin
        phase <= (PP > 1) ? cfg_ph0 : {PW{1'b0}};
        ph_at <= ph0_at;
    end else if (adv && w_kx && cfg_kx_pix && PP > 1) begin
        phase <= ph_inc;
        ph_at <= ph_inc_at;
    end
end

/*
 * Tap coordinates (signed): iy = oy * S - pad + ky, ix = ox * S - pad + kx * ix_step,
 * kleft = K - kx * ix_step
 */
reg [CW:0] iy, iy_row, ix, ix_win, kleft;
wire [CW:0] stride_e = {1'b0, cfg_stride};
wire [CW:0] pad_neg = -{1'b0, cfg_pad};
wire [CW:0] kernel_e = {1'b0, cfg_kernel};
wire [CW:0] ix_step_e = {1'b0, cfg_ix_step};
wire [CW:0] one_e = {{CW{1'b0}}, 1'b1};
wire [CW:0] iy_row_n = iy_row + stride_e;
wire [CW:0] ix_win_n = ix_win + {1'b0, cfg_ix_ox_step};

always @(posedge clk) begin
    if (start) begin
        iy <= pad_neg;
        iy_row <= pad_neg;
        ix <= pad_neg;
        ix_win <= pad_neg;
        kleft <= kernel_e;
    end else if (adv) begin
        if (w_oy) begin
            iy <= iy_row_n;
            iy_row <= iy_row_n;
            ix <= pad_neg;
            ix_win <= pad_neg;
            kleft <= kernel_e;
        end else if (w_ox) begin
            iy <= iy_row;
            ix <= ix_win_n;
            ix_win <= ix_win_n;
            kleft <= kernel_e;
        end else if (w_og) begin
            iy <= iy_row;
            ix <= ix_win;
            kleft <= kernel_e;
        end else if (w_ky) begin
            iy <= iy + one_e;
            ix <= ix_win;
            kleft <= kernel_e;
        end else if (w_kx) begin
            ix <= ix + ix_step_e;
            kleft <= kleft - ix_step_e;
        end
    end
end

/*
 * Weights (one word per beat, restarting at every output pixel) and biases (one per group)
 */
reg [WA_W-1:0] waddr;
reg [BA_W-1:0] baddr;

always @(posedge clk) begin
    if (start) begin
        waddr <= cfg_w_base;
        baddr <= cfg_b_base;
    end else if (adv) begin
        if (w_ox) begin
            waddr <= cfg_w_base;
            baddr <= cfg_b_base;
        end else begin
            waddr <= waddr + {{(WA_W-1){1'b0}}, 1'b1};
            if (w_og) begin
                baddr <= baddr + {{(BA_W-1){1'b0}}, 1'b1};
            end
        end
    end
end

/*
 * Output words: opix = the output pixel's first word (rows wrap in a ring), oaddr = the
 * group's first word, st_left = words of the pixel from oaddr on, group = the lane group
 */
reg [AW-1:0] orow, opix, oaddr;
reg [CW:0]   st_left;
reg [GW-1:0] group;
// the output row's slot in the ring: a counter whose at-last flag is a register
wire [CW-1:0] oring;
wire          oring_at;
wire [1:0]    unused_oring;
fg_count #(.W(CW)) oring_cnt (.clk(clk), .clear(start), .inc(e_oy), .last(cfg_out_ring_last),
                              .value(oring), .at_last(oring_at), .at_last_inc(unused_oring[0]),
                              .at_last_clear(unused_oring[1]));
wire [AW-1:0] orow_n = oring_at ? cfg_out_base : orow + cfg_out_row_step;
wire [AW-1:0] opix_n = opix + cfg_out_stride;
wire [CW:0]   blocks_e = {1'b0, cfg_out_blocks};
wire          group_at = group == G[GW-1:0] - {{(GW-1){1'b0}}, 1'b1};

always @(posedge clk) begin
    if (start) begin
        orow <= cfg_out_base;
        opix <= cfg_out_base;
        oaddr <= cfg_out_base;
        st_left <= blocks_e;
        group <= {GW{1'b0}};
    end else if (adv) begin
        if (w_oy) begin
            orow <= orow_n;
            opix <= orow_n;
            oaddr <= orow_n;
            st_left <= blocks_e;
            group <= {GW{1'b0}};
        end else if (w_ox) begin
            opix <= opix_n;
            oaddr <= opix_n;
            st_left <= blocks_e;
            group <= {GW{1'b0}};
        end else if (w_og) begin
            if (G > 1) begin
                group <= group + {{(GW-1){1'b0}}, 1'b1};
                if (group_at) begin
                    oaddr <= oaddr + {{(AW-1){1'b0}}, 1'b1};
                    st_left <= st_left - one_e;
                end
            end else begin
                oaddr <= oaddr + NW[AW-1:0];
                st_left <= st_left - NW[CW:0];
            end
        end
    end
end

/*
 * First beat of a dot product: after start and after every beat that ends one
 */
reg first;
always @(posedge clk) begin
    if (start) begin
        first <= 1'b1;
    end else if (adv) begin
        first <= w_og;
    end
end

assign done = done_reg;
assign paused = active && pause;
assign row_issued = row_issued_reg;
assign beat_valid = valid;
assign beat_first = first;
assign beat_last = w_og;
assign beat_addr = a;
assign beat_phase = phase;
assign beat_iy = iy;
assign beat_ix = ix;
assign beat_kleft = kleft;
assign beat_waddr = waddr;
assign beat_baddr = baddr;
assign beat_oaddr = oaddr;
assign beat_st_left = st_left;
assign beat_group = group;

// the counters' values are not needed beyond their flags (addresses are kept separately)
wire unused_counts = &{1'b0, cb, kx, ky, og, ox, oy_at_inc, oy_at_clr, oring, unused_oring};
// with PP = 1 there is no phase (the configuration's phase inputs are not used)
wire unused_phase = &{1'b0, cfg_ph0, ph_at, ph_inc, ph0_at, ph_inc_at};

endmodule

`resetall
