/*

fpgagen: max-pool address generator - the loop nest of one max-pool layer, one beat per cycle

Walks, innermost first, kx, ky (the window's taps), ox, cb (input word group), oy, and gives
for every beat:

    row_addr + col_addr   the arena word to read (the caller adds the two in its address
                          stage): row_addr = the tap row's first word (rows wrap in the ring
                          of a fused conv), col_addr = ix * in_stride + cb * CB_STEP
    iy, ix                the tap's coordinates, for the edge test (Caffe ceil mode and
                          padding: taps outside the input do not count)
    carry / from_carry    column reuse (S < K <= 2S): windows after the first of a row start
                          at kx0 = K - S (their first K - S columns were carried by the max
                          unit); carry marks the columns the next window shares (kx >= S)
    waddr                 the result's arena word
    left                  the group's words inside the tensor, blocks - cb * CB_STEP (signed)

Pixel banks (PP > 1, a pixel-parallel engine: pixel x of a row in bank x mod PP at group x div
PP): a beat reads PP consecutive pixels of one window row from the PP banks (the caller reads
bank b at the group of the chunk's first pixel, or the next group when b is below its phase),
so kx counts the window's column chunks of PP pixels (cfg_kx_last), with kleft = K - kx * PP
the chunk's taps (pixel j of the chunk is a tap while j < kleft); no column is carried
(cfg_reuse 0). The window's phase (its first column mod PP) starts at cfg_ph0 each row and
steps by cfg_pix_step (S mod PP) with compare-and-wrap; the column address steps by cfg_col_step
((S div PP) groups), a group more when the phase wraps. The result pixel ox is bank opix =
ox mod PP, its word address stepping by out_stride when opix wraps.

A beat reads CB_STEP consecutive words (the engine's wide read of its NW arena banks: all
channel blocks of a pixel at once, up to NW), so cb counts groups of CB_STEP words; words of
the last group past the pixel's blocks are not stored (`left`).
    first / last          the window's first and last beat

Timing discipline as in fg_conv_agu: registers stepped by per-layer constants computed by
the compiler, a ring of rows wrapped by compare-and-subtract on the row counter (no `%`), the
nest's carries ANDed from registered flags. Rows [0, row_limit) may be issued; `paused`,
`done`, `row_issued` and the handshake as in fg_conv_agu.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_pool_agu #
(
    // address width (arena words; arithmetic is modulo 2^AW), >= 2
    parameter AW = 16,
    // loop counter width, 2..30
    parameter CW = 16,
    // words a beat reads (the arena's banks), a power of two
    parameter CB_STEP = 1,
    // pixel banks of the arena (pixels a beat reads), 1..16
    parameter PP = 1
)
(
    input  wire               clk,
    input  wire               rst,

    /*
     * Layer configuration (held while the layer runs)
     */
    input  wire [CW-1:0]      cfg_cb_last,     // word groups per pixel - 1
    input  wire [CW-1:0]      cfg_blocks,      // words per pixel of the output
    input  wire [CW-1:0]      cfg_k_last,      // kernel size - 1
    input  wire [CW-1:0]      cfg_kx_last,     // column chunks - 1 (PP > 1)
    input  wire [(PP > 1 ? $clog2(PP) : 1)-1:0] cfg_ph0,      // phase of column -pad (PP > 1)
    input  wire [(PP > 1 ? $clog2(PP) : 1)-1:0] cfg_pix_step, // S mod PP (PP > 1)
    input  wire [CW-1:0]      cfg_ox_last,
    input  wire [CW-1:0]      cfg_oy_last,
    input  wire [CW-1:0]      cfg_stride,
    input  wire [CW-1:0]      cfg_pad,
    input  wire               cfg_reuse,       // S < K <= 2S: carry shared columns
    input  wire [CW-1:0]      cfg_kx0,         // first column of later windows (K - S, or 0)
    input  wire [CW-1:0]      cfg_ix_kx0,      // S + kx0
    input  wire [AW-1:0]      cfg_in_base,     // ring row 0
    input  wire [AW-1:0]      cfg_row0,        // first word of tap row -pad
    input  wire [CW-1:0]      cfg_irow0,       // ring slot of row -pad (0 without a ring)
    input  wire [CW-1:0]      cfg_ring,        // ring rows R (all ones: no ring)
    input  wire [CW-1:0]      cfg_ring_last,   // R - 1 (all ones: no ring)
    input  wire [AW-1:0]      cfg_row_step,    // words per input row
    input  wire [AW-1:0]      cfg_s_row_step,  // S rows
    input  wire [AW-1:0]      cfg_wrap_row_step, // S rows - R rows (wrapping the ring)
    input  wire [AW-1:0]      cfg_col0,        // -pad * in_stride
    input  wire [AW-1:0]      cfg_kx_step,     // in_stride
    input  wire [AW-1:0]      cfg_col_step,    // S * in_stride
    input  wire [AW-1:0]      cfg_col_kx0,     // (S + kx0) * in_stride
    input  wire [AW-1:0]      cfg_out_base,
    input  wire [AW-1:0]      cfg_out_stride,
    input  wire [AW-1:0]      cfg_out_row_step,

    /*
     * Control
     */
    input  wire               start,
    input  wire [CW-1:0]      row_limit,
    input  wire               ready,
    output wire               done,
    output wire               paused,
    output wire               row_issued,
    output wire               window_issued,   // pulse, a cycle after a window's last beat

    /*
     * The beat (registers)
     */
    output wire               beat_valid,
    output wire               beat_first,
    output wire               beat_last,
    output wire               beat_carry,
    output wire               beat_from_carry,
    output wire [AW-1:0]      beat_row_addr,
    output wire [AW-1:0]      beat_col_addr,
    output wire [CW:0]        beat_iy,         // signed
    output wire [CW:0]        beat_ix,         // signed
    output wire [AW-1:0]      beat_waddr,
    output wire [CW:0]        beat_left,       // signed
    output wire [(PP > 1 ? $clog2(PP) : 1)-1:0] beat_phase, // the chunk's first pixel mod PP
    output wire [(PP > 1 ? $clog2(PP) : 1)-1:0] beat_opix,  // the result's pixel bank
    output wire [CW:0]        beat_kleft       // signed: taps of the chunk (PP > 1)
);

localparam PW = (PP > 1) ? $clog2(PP) : 1;

initial begin
    if (AW < 2 || CW < 2 || CW > 30 || CB_STEP < 1 || (CB_STEP & (CB_STEP - 1)) != 0
        || PP < 1 || PP > 16) begin
        $error("Error: bad AW/CW/CB_STEP (instance %m)");
        $finish;
    end
end

/*
 * State and the nest (kx is a counter of its own: later windows start at kx0)
 */
reg active, pause, done_reg, row_issued_reg;
// valid as one register (go = active and not paused), so a beat's advance is a single gate
// and the nest's carries two more; go stays low for a cycle after start and after every row
// (the row gap: the next row's ring wrap is decided from registers, `wraps`, so the row
// update is one adder and a multiplexer)
reg go;
wire valid = go;
wire adv = valid && ready;

reg [CW-1:0] kx;
reg          kx_at, kx_ge_s, ox_nz;
wire [CW-1:0] ky, ox, cb, oy;
wire ky_at, ox_at, cb_at, oy_at;

// which levels step when the beat is taken: w_ky = kx at its last, w_ox = kx and ky at
// theirs, ... - each a register of its own (the carries of the nest, computed from the
// levels' next flags), and the events. Every register below is written under `adv` (its
// clock enable), its next value selected by the w_* registers, so the taken-beat decision
// never sits in front of a multiplexer and no event is more than one gate from registers.
reg  w_ox, w_cb, w_oy;
wire w_ky = kx_at;
wire e_ky = adv && w_ky;
wire e_ox = adv && w_ox;
wire e_cb = adv && w_cb;
wire e_oy = adv && w_oy;
wire ky_at_inc, ox_at_inc, cb_at_inc, oy_at_inc;
wire ky_at_clr, ox_at_clr, cb_at_clr, oy_at_clr;

fg_count #(.W(CW)) ky_cnt (.clk(clk), .clear(start), .inc(e_ky), .last(cfg_k_last),
                           .value(ky), .at_last(ky_at), .at_last_inc(ky_at_inc),
                           .at_last_clear(ky_at_clr));
fg_count #(.W(CW)) ox_cnt (.clk(clk), .clear(start), .inc(e_ox), .last(cfg_ox_last),
                           .value(ox), .at_last(ox_at), .at_last_inc(ox_at_inc),
                           .at_last_clear(ox_at_clr));
fg_count #(.W(CW)) cb_cnt (.clk(clk), .clear(start), .inc(e_cb), .last(cfg_cb_last),
                           .value(cb), .at_last(cb_at), .at_last_inc(cb_at_inc),
                           .at_last_clear(cb_at_clr));
fg_count #(.W(CW)) oy_cnt (.clk(clk), .clear(start), .inc(e_oy), .last(cfg_oy_last),
                           .value(oy), .at_last(oy_at), .at_last_inc(oy_at_inc),
                           .at_last_clear(oy_at_clr));

// per-layer flags of kx (registered from the held configuration); kx counts the kernel's
// columns, or with pixel banks its column chunks
wire [CW-1:0] kx_last = (PP > 1) ? cfg_kx_last : cfg_k_last;
reg [CW-1:0] k_last_m1, s_m1;
reg          k_last_zero, kx0_at, kx0_ge_s;
always @(posedge clk) begin
    k_last_m1 <= kx_last - {{(CW-1){1'b0}}, 1'b1};
    s_m1 <= cfg_stride - {{(CW-1){1'b0}}, 1'b1};
    k_last_zero <= kx_last == {CW{1'b0}};
    kx0_at <= cfg_kx0 == kx_last;
    kx0_ge_s <= cfg_kx0 >= cfg_stride;
end

// kx's flag after the beat (the window restarts at 0 or kx0, or kx steps)
wire kx_at_n = w_cb ? k_last_zero : (w_ox ? kx0_at : (w_ky ? (ox_nz ? kx0_at : k_last_zero)
                                                            : kx == k_last_m1));
// the other levels' flags after the beat: a level steps when its carry is set
wire ky_at_n = w_ky ? ky_at_inc : ky_at;
wire ox_at_n = w_ox ? ox_at_inc : ox_at;
wire cb_at_n = w_cb ? cb_at_inc : cb_at;

always @(posedge clk) begin
    if (start) begin
        kx <= {CW{1'b0}};
        kx_at <= k_last_zero;
        kx_ge_s <= 1'b0;
        ox_nz <= 1'b0;
        w_ox <= k_last_zero && ky_at_clr;
        w_cb <= k_last_zero && ky_at_clr && ox_at_clr;
        w_oy <= k_last_zero && ky_at_clr && ox_at_clr && cb_at_clr;
    end else if (adv) begin
        kx_at <= kx_at_n;
        w_ox <= kx_at_n && ky_at_n;
        w_cb <= kx_at_n && ky_at_n && ox_at_n;
        w_oy <= kx_at_n && ky_at_n && ox_at_n && cb_at_n;
        if (w_cb) begin          // a row of windows (re)starts at ox = 0
            kx <= {CW{1'b0}};
            kx_ge_s <= 1'b0;
            ox_nz <= 1'b0;
        end else if (w_ox) begin
            kx <= cfg_kx0;
            kx_ge_s <= kx0_ge_s;
            ox_nz <= 1'b1;
        end else if (w_ky) begin
            kx <= ox_nz ? cfg_kx0 : {CW{1'b0}};
            kx_ge_s <= ox_nz && kx0_ge_s;
        end else begin
            kx <= kx + {{(CW-1){1'b0}}, 1'b1};
            kx_ge_s <= kx_ge_s || kx == s_m1;
        end
    end
end

reg [CW-1:0] oy_p1;
reg window_issued_reg;
always @(posedge clk) begin
    row_issued_reg <= e_oy;
    window_issued_reg <= e_ox;
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
        pause <= e_oy ? (oy_p1 == row_limit) : (oy == row_limit);
    end
    // a row gap follows start and every row; otherwise go while active and below the limit
    go <= !start && !e_oy && active && oy != row_limit;
    if (rst) begin
        active <= 1'b0;
        done_reg <= 1'b0;
        pause <= 1'b0;
        go <= 1'b0;
        row_issued_reg <= 1'b0;
        window_issued_reg <= 1'b0;
    end
end

/*
 * Rows: the window's first row (iy0, its ring slot irow0, its first word ra0) and the tap's
 */
reg [CW:0]   iy0, iy;
reg [CW-1:0] irow0, irow;
reg [AW-1:0] ra0, ra;
wire [CW:0]   stride_e = {1'b0, cfg_stride};
wire [CW:0]   pad_neg = -{1'b0, cfg_pad};
// the next row's slot and first word, both ways (the ring wraps or not), in parallel; whether
// it wraps (irow0 + S >= R) is registered during the row (S - R is a per-layer constant)
reg  [CW:0]   s_minus_r;
reg           wraps;
wire [CW:0]   irow0_s = {1'b0, irow0} + stride_e;            // irow0 + S
wire [CW:0]   irow0_w = {1'b0, irow0} + s_minus_r;           // irow0 + S - R
always @(posedge clk) begin
    s_minus_r <= stride_e - {1'b0, cfg_ring};
    wraps <= !irow0_w[CW];
end
wire [CW:0]   iy0_n = iy0 + stride_e;
wire [CW-1:0] irow0_n = wraps ? irow0_w[CW-1:0] : irow0_s[CW-1:0];
wire [AW-1:0] ra0_s = ra0 + cfg_s_row_step;
wire [AW-1:0] ra0_w = ra0 + cfg_wrap_row_step;
wire [AW-1:0] ra0_n = wraps ? ra0_w : ra0_s;
wire          irow_at = irow == cfg_ring_last;

always @(posedge clk) begin
    if (start) begin
        iy0 <= pad_neg;
        iy <= pad_neg;
        irow0 <= cfg_irow0;
        irow <= cfg_irow0;
        ra0 <= cfg_row0;
        ra <= cfg_row0;
    end else if (adv) begin
        if (w_oy) begin
            iy0 <= iy0_n;
            iy <= iy0_n;
            irow0 <= irow0_n;
            irow <= irow0_n;
            ra0 <= ra0_n;
            ra <= ra0_n;
        end else if (w_ox) begin  // also w_cb: back to the window's first row
            iy <= iy0;
            irow <= irow0;
            ra <= ra0;
        end else if (w_ky) begin
            iy <= iy + {{CW{1'b0}}, 1'b1};
            irow <= irow_at ? {CW{1'b0}} : irow + {{(CW-1){1'b0}}, 1'b1};
            ra <= irow_at ? cfg_in_base : ra + cfg_row_step;
        end
    end
end

/*
 * Columns: the row's first window (cw0, includes the word cb), the window's (cwin, ixwin),
 * the window's first tap (ca_start, ix_start) and the tap's (ca, ix)
 */
reg [AW-1:0] cw0, cwin, ca_start, ca;
reg [CW:0]   ixwin, ix_start, ix;
// the window's phase (pixel banks): registered with its wrap flag for the next window
reg  [PW-1:0] ph;
reg           ph_wraps;        // ph + pix_step >= PP
reg  [AW-1:0] col_step_w;      // col_step + one group (kx_step), per layer
localparam integer PPI = PP;
wire [PW:0]   ph_sum = {1'b0, ph} + {1'b0, cfg_pix_step};
wire [PW:0]   ph_sub = ph_sum - PPI[PW:0];
wire [PW-1:0] ph_n = ph_wraps ? ph_sub[PW-1:0] : ph_sum[PW-1:0];
wire [PW:0]   ph_n_sum = {1'b0, ph_n} + {1'b0, cfg_pix_step};
wire [PW:0]   ph0_sum = {1'b0, cfg_ph0} + {1'b0, cfg_pix_step};
always @(posedge clk) begin
    col_step_w <= cfg_col_step + cfg_kx_step;
end
wire [AW-1:0] cw0_n = cw0 + CB_STEP[AW-1:0];
wire [AW-1:0] cwin_n = cwin + ((PP > 1 && ph_wraps) ? col_step_w : cfg_col_step);
wire [AW-1:0] cstart_n = (PP > 1) ? cwin_n : cwin + cfg_col_kx0;
wire [CW:0]   ixwin_n = ixwin + stride_e;
wire [CW:0]   ixstart_n = ixwin + {1'b0, cfg_ix_kx0};
// a column step: the next tap, or with pixel banks the next chunk of PP pixels
localparam integer IX_STEP = PP;
wire [CW:0]   ix_step = IX_STEP[CW:0];

always @(posedge clk) begin
    if (start || (adv && (w_oy || w_cb))) begin
        ph <= (PP > 1) ? cfg_ph0 : {PW{1'b0}};
        ph_wraps <= PP > 1 && ph0_sum >= PPI[PW:0];
    end else if (adv && w_ox && PP > 1) begin
        ph <= ph_n;
        ph_wraps <= ph_n_sum >= PPI[PW:0];
    end
end

always @(posedge clk) begin
    if (start) begin
        cw0 <= cfg_col0;
        cwin <= cfg_col0;
        ca_start <= cfg_col0;
        ca <= cfg_col0;
        ixwin <= pad_neg;
        ix_start <= pad_neg;
        ix <= pad_neg;
    end else if (adv) begin
        if (w_oy) begin
            cw0 <= cfg_col0;
            cwin <= cfg_col0;
            ca_start <= cfg_col0;
            ca <= cfg_col0;
            ixwin <= pad_neg;
            ix_start <= pad_neg;
            ix <= pad_neg;
        end else if (w_cb) begin
            cw0 <= cw0_n;
            cwin <= cw0_n;
            ca_start <= cw0_n;
            ca <= cw0_n;
            ixwin <= pad_neg;
            ix_start <= pad_neg;
            ix <= pad_neg;
        end else if (w_ox) begin
            cwin <= cwin_n;
            ca_start <= cstart_n;
            ca <= cstart_n;
            ixwin <= ixwin_n;
            ix_start <= ixstart_n;
            ix <= ixstart_n;
        end else if (w_ky) begin
            ca <= ca_start;
            ix <= ix_start;
        end else begin
            ca <= ca + cfg_kx_step;
            ix <= ix + ix_step;
        end
    end
end

/*
 * Taps of the chunk (pixel banks): K - kx * PP
 */
reg [CW:0] kleft;
wire [CW:0] kernel_e = {1'b0, cfg_k_last} + {{CW{1'b0}}, 1'b1};
always @(posedge clk) begin
    if (start) begin
        kleft <= kernel_e;
    end else if (adv) begin
        if (w_ky) begin   // w_ox, w_cb, w_oy included: every window row starts at chunk 0
            kleft <= kernel_e;
        end else begin
            kleft <= kleft - ix_step;
        end
    end
end

/*
 * The result's word: out_base + (oy * out_w + ox) * out_stride + cb
 */
reg [AW-1:0] orow0, wcb0, wa;
wire [AW-1:0] orow0_n = orow0 + cfg_out_row_step;
wire [AW-1:0] wcb0_n = wcb0 + CB_STEP[AW-1:0];
// the result pixel's bank (pixel banks): ox mod PP, the word address stepping on its wrap
reg  [PW-1:0] opix;
localparam integer OPIX_LAST = PP - 1;
wire          opix_at = PP == 1 || opix == OPIX_LAST[PW-1:0];

always @(posedge clk) begin
    if (start) begin
        orow0 <= cfg_out_base;
        wcb0 <= cfg_out_base;
        wa <= cfg_out_base;
        opix <= {PW{1'b0}};
    end else if (adv) begin
        if (w_oy) begin
            orow0 <= orow0_n;
            wcb0 <= orow0_n;
            wa <= orow0_n;
            opix <= {PW{1'b0}};
        end else if (w_cb) begin
            wcb0 <= wcb0_n;
            wa <= wcb0_n;
            opix <= {PW{1'b0}};
        end else if (w_ox) begin
            if (opix_at) begin
                wa <= wa + cfg_out_stride;
                opix <= {PW{1'b0}};
            end else begin
                opix <= opix + {{(PW-1){1'b0}}, 1'b1};
            end
        end
    end
end

/*
 * Words of the group inside the tensor: blocks - cb * CB_STEP
 */
reg [CW:0] left;
always @(posedge clk) begin
    if (start) begin
        left <= {1'b0, cfg_blocks};
    end else if (adv) begin
        if (w_oy) begin
            left <= {1'b0, cfg_blocks};
        end else if (w_cb) begin
            left <= left - CB_STEP[CW:0];
        end
    end
end

reg first;
always @(posedge clk) begin
    if (start) begin
        first <= 1'b1;
    end else if (adv) begin
        first <= w_ox;
    end
end

assign done = done_reg;
assign paused = active && pause;
assign row_issued = row_issued_reg;
assign window_issued = window_issued_reg;
assign beat_valid = valid;
assign beat_first = first;
assign beat_last = w_ox;
assign beat_carry = cfg_reuse && kx_ge_s;
assign beat_from_carry = cfg_reuse && ox_nz;
assign beat_row_addr = ra;
assign beat_col_addr = ca;
assign beat_iy = iy;
assign beat_ix = ix;
assign beat_waddr = wa;
assign beat_left = left;
assign beat_phase = ph;
assign beat_opix = opix;
assign beat_kleft = kleft;

wire unused_counts = &{1'b0, ky, ox, cb, irow0_s[CW], oy_at_inc, oy_at_clr};
// with PP = 1 there are no pixel banks (the phase inputs and the chunk steps are not used)
wire unused_pix = &{1'b0, cfg_kx_last, cfg_ph0, cfg_pix_step, col_step_w, ph_sub, ph_n_sum,
                    ph0_sum};

endmodule

`resetall
