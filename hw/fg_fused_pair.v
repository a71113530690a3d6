/*

fpgagen: a fused conv -> max-pool pair's row hand-out - which rows each generator may issue

A conv fused with the max-pool after it (`fuse_pool`) writes its rows into a ring of R rows
(the table's `out_ring_last`) and each pool row runs as soon as the conv rows under its window
are written. The two generators (fg_conv_agu, fg_pool_agu) issue rows [0, limit): this unit
owns both limits and raises them row by row.

    prep        (a pulse) the layer's configuration is decoded: the bookkeeping restarts, the
                limits become 0 for a pair (`prep_pair`: rows one by one), else all rows
    start       (a pulse) the pair's generators start; `start_conc` (with it) picks the phase:

    S_FZ        the conv reads the staging memory, so the arena's read port is free and both
                run at once: the conv gets row r while `fz_gate` (its ring slot was read: r +
                pad - R < S x pool rows issued, `gate_val` < `pdone_s`), the pool gets its next
                row while `fz_rows_in` (the conv rows it needs are written: `done_rows`, the
                conv's `row_issued` delayed DRAIN cycles, beyond `need`). The conv has priority
                at the write port; pool results wait in the queue. Done when both generators
                are done and every counted pool window is written (`credit_zero`).
    S_ALT_*     the conv reads the arena: one read port, so conv rows up to what the next pool
                row needs (S_ALT_CONV, then a DRAIN-cycle wait: its rows are written), then
                that pool row (S_ALT_POOL, the port moved: `port_pool`), a short wait, and so
                on (S_ALT_PLAN decides). Done after the last pool row, with `credit_zero`.

    finish      (combinational, one cycle) the pair is done: the caller drains (its state
                machine leaves its pair state in this cycle). `credit_zero` is a register and
                the pool's last window counts a cycle after `pool_done`, so that window may
                still be in flight: the caller's DRAIN wait (longer than a pool window's
                write) covers it
    port_conv / port_pool   (combinational pulses) the arena read port goes to the conv / the
                pool in the next cycle (S_ALT_PLAN's decision)
    pool_phase  an alternating pool segment runs (a register's decode)

The configuration (`cfg_*`, from the layer table's banks) is held while the pair runs; the
signed row bookkeeping is CW + 2 bits. Timing discipline (hw/README.md): every hand-out
condition is one compare, registered (`conv_more`, `pool_more`, `fz_gate`, `fz_rows_in`,
`alt_conv`); a hand-out waits a cycle for the flags to see it (`*_inc_d`), and the counters
they compare only grow otherwise, so a late flag only delays a row, never releases one early.
The generators' flags are trusted once `settle` has run out (3 cycles after a start or a
phase change).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_fused_pair #
(
    // loop counter width (the table's counts, the generators' row limits), 2..30
    parameter CW = 16,
    // cycles from a conv row's last beat taken to its last arena write (fg_engine DRAIN), >= 3
    parameter DRAIN = 24
)
(
    input  wire               clk,
    input  wire               rst,

    /*
     * Configuration: per layer, held while the pair runs
     */
    input  wire [CW-1:0]      cfg_conv_oy_last,   // the conv's output rows - 1 (bank M)
    input  wire [CW-1:0]      cfg_pool_oy_last,   // the pool's output rows - 1 (bank P)
    input  wire [CW-1:0]      cfg_stride,         // the pool's stride S
    input  wire [CW+1:0]      cfg_need0,          // signed: K - 1 - pad (pool row 0's last row)
    input  wire [CW+1:0]      cfg_gate_off,       // signed: pad - R

    /*
     * The sequencer
     */
    input  wire               prep,          // the layer is decoded (every layer)
    input  wire               prep_pair,     // with prep: the layer is a fused pair
    input  wire               start,         // the pair's generators start
    input  wire               start_conc,    // with start: the conv reads the staging memory
    output wire               finish,
    output wire               port_conv,
    output wire               port_pool,
    output wire               pool_phase,

    /*
     * The generators
     */
    output wire [CW-1:0]      conv_limit,
    output wire [CW-1:0]      pool_limit,
    input  wire               conv_done,
    input  wire               conv_paused,
    input  wire               conv_row_issued,
    input  wire               pool_done,
    input  wire               pool_paused,
    input  wire               pool_row_issued,
    input  wire               credit_zero         // every issued pool window is written
);

initial begin
    if (CW < 2 || CW > 30 || DRAIN < 3) begin
        $error("Error: need 2 <= CW <= 30 and DRAIN >= 3 (instance %m)");
        $finish;
    end
end

localparam S_IDLE = 3'd0, S_FZ = 3'd1, S_ALT_PLAN = 3'd2, S_ALT_CONV = 3'd3, S_ALT_POOL = 3'd4,
           S_ALT_WAIT = 3'd5;
// the wait after an alternating pool row: its windows are written already (credit_zero)
localparam POOL_WAIT = 3;
localparam WT_W = $clog2(DRAIN + 1);

reg [2:0]       state;
reg [2:0]       settle;         // a shift register: the generators' flags are current once
wire            settled = !settle[2];   // it has run out (3 cycles after a start or a phase)
reg [WT_W-1:0]  wait_cnt;
reg             wait_end;       // wait_cnt == 1 (a register: the FSM decides from registers)
reg [CW-1:0]    c_limit, p_limit;
reg [CW+1:0]    need;           // signed: the conv row the next pool row needs last
reg [CW+1:0]    gate_val;       // signed: conv_limit + pad - R (the ring slot check)
reg [CW+1:0]    pdone_s;        // signed: S x pool rows issued
reg [CW-1:0]    done_rows;      // conv rows whose writes are complete
wire [CW+1:0]   done_rows_e = {2'b00, done_rows};
wire [CW+1:0]   stride_e = {2'b00, cfg_stride};

// the row hand-out conditions, registered (each compare is a carry chain of its own)
reg             conv_more, pool_more, fz_gate, fz_rows_in, alt_conv;
reg             conv_inc_d, pool_inc_d;
always @(posedge clk) begin
    conv_more <= c_limit <= cfg_conv_oy_last;
    pool_more <= p_limit <= cfg_pool_oy_last;
    // conv row c_limit may overwrite its ring slot: every pool row reading the row it
    // replaces has been issued
    fz_gate <= $signed(gate_val) < $signed(pdone_s);
    // the next pool row's conv rows are written: done_rows > min(need, conv rows - 1)
    fz_rows_in <= $signed(done_rows_e) > $signed(need) || done_rows > cfg_conv_oy_last;
    // alternating phases: the next pool row needs conv rows not issued yet
    alt_conv <= !conv_done && $signed(need) >= $signed({2'b00, c_limit});
end
wire            conv_inc = conv_more && fz_gate && !conv_inc_d;
wire            pool_inc = pool_more && fz_rows_in && !pool_inc_d;
wire            plan = state == S_ALT_PLAN && settled;

always @(posedge clk) begin
    settle <= {settle[1:0], 1'b0};
    if (wait_cnt != {WT_W{1'b0}}) begin
        wait_cnt <= wait_cnt - {{(WT_W-1){1'b0}}, 1'b1};
    end
    wait_end <= wait_cnt == 2;
    if (prep) begin
        c_limit <= prep_pair ? {CW{1'b0}} : {CW{1'b1}};
        p_limit <= prep_pair ? {CW{1'b0}} : {CW{1'b1}};
        need <= cfg_need0;
        gate_val <= cfg_gate_off;
    end
    if (start) begin
        settle <= 3'b111;
        state <= start_conc ? S_FZ : S_ALT_PLAN;
    end
    case (state)
        S_IDLE: ;
        S_FZ: begin
            // conv rows, each as soon as the ring slot it overwrites has been read
            if (conv_inc) begin
                c_limit <= c_limit + {{(CW-1){1'b0}}, 1'b1};
                gate_val <= gate_val + {{(CW+1){1'b0}}, 1'b1};
            end
            // pool rows (own generator, arena read port), as soon as their conv rows are in
            if (pool_inc) begin
                p_limit <= p_limit + {{(CW-1){1'b0}}, 1'b1};
                need <= need + stride_e;
            end
            if (settled && conv_done && pool_done && credit_zero) begin
                state <= S_IDLE;
            end
        end
        S_ALT_PLAN: begin
            // conv rows up to what the next pool row needs, then that pool row, and so on
            // (after start, the generators' flags settle first)
            if (settled) begin
                if (alt_conv) begin
                    c_limit <= need[CW-1:0] + {{(CW-1){1'b0}}, 1'b1};
                    state <= S_ALT_CONV;
                end else begin
                    p_limit <= p_limit + {{(CW-1){1'b0}}, 1'b1};
                    need <= need + stride_e;
                    state <= S_ALT_POOL;
                end
                settle <= 3'b111;
            end
        end
        S_ALT_CONV: begin
            if (settled && (conv_paused || conv_done)) begin
                state <= S_ALT_WAIT;
                wait_cnt <= DRAIN[WT_W-1:0];
            end
        end
        S_ALT_POOL: begin
            if (settled && (pool_paused || pool_done) && credit_zero) begin
                if (pool_done) begin
                    state <= S_IDLE;
                end else begin
                    state <= S_ALT_WAIT;
                    wait_cnt <= POOL_WAIT[WT_W-1:0];
                end
            end
        end
        S_ALT_WAIT: begin
            if (wait_end) begin
                state <= S_ALT_PLAN;
            end
        end
        default: state <= S_IDLE;
    endcase
    conv_inc_d <= state == S_FZ && conv_inc;
    pool_inc_d <= state == S_FZ && pool_inc;
    if (rst) begin
        state <= S_IDLE;
        settle <= 3'b000;
        wait_cnt <= {WT_W{1'b0}};
    end
end

// conv rows written: a row counts DRAIN cycles after its last beat was issued
wire row_written;
fg_delay #(.WIDTH(1), .DEPTH(DRAIN), .RESET(1)) written_dly (
    .clk(clk), .rst(rst), .in_data(conv_row_issued), .out_data(row_written)
);

always @(posedge clk) begin
    if (row_written) begin
        done_rows <= done_rows + {{(CW-1){1'b0}}, 1'b1};
    end
    if (pool_row_issued) begin
        pdone_s <= pdone_s + stride_e;
    end
    if (prep) begin
        done_rows <= {CW{1'b0}};
        pdone_s <= {(CW+2){1'b0}};
    end
end

assign finish = (state == S_FZ && settled && conv_done && pool_done && credit_zero)
                || (state == S_ALT_POOL && settled && pool_done && credit_zero);
assign port_conv = plan && alt_conv;
assign port_pool = plan && !alt_conv;
assign pool_phase = state == S_ALT_POOL;
assign conv_limit = c_limit;
assign pool_limit = p_limit;

endmodule

`resetall
