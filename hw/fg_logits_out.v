/*

fpgagen: streams the network's output tensor (the logits) from the arena onto out_stream

On `start`, reads the N_WORDS = ceil(OUT_COUNT / P_IN) arena words from OUT_BASE on (one read in
flight: it waits the arena's read latency RD_LAT), hands each to fg_axis_out (OUT_W bits of
each lane, sign- or zero-extended to VB bytes, packed densely into beats, TLAST on the last)
and pulses `done` once the last beat is accepted. The arena's read port is this unit's while
it runs (rd_en high).

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_logits_out #
(
    // arena lanes and lane width
    parameter P_IN = 4,
    parameter ACT_W = 8,
    // logit width (<= ACT_W) and signedness
    parameter OUT_W = 8,
    parameter OUT_SIGNED = 0,
    // arena address width, first word and number of logits
    parameter AW = 16,
    parameter OUT_BASE = 0,
    parameter OUT_COUNT = 8,
    // bytes per logit in the stream (1, 2, 4, 8) and the AXI4-Stream TDATA width
    parameter VB = 1,
    parameter TDATA_W = 32,
    // the arena's read latency (cycles from rd_addr to rd_data), 1..4
    parameter RD_LAT = 2
)
(
    input  wire                  clk,
    input  wire                  rst,

    input  wire                  start,
    output wire                  done,

    /*
     * Arena read port (latency RD_LAT)
     */
    output wire                  rd_en,
    output wire [AW-1:0]         rd_addr,
    input  wire [P_IN*ACT_W-1:0] rd_data,

    /*
     * AXI4-Stream output
     */
    output wire [TDATA_W-1:0]    out_stream_TDATA,
    output wire [TDATA_W/8-1:0]  out_stream_TKEEP,
    output wire                  out_stream_TVALID,
    input  wire                  out_stream_TREADY,
    output wire                  out_stream_TLAST
);

localparam N_WORDS = (OUT_COUNT + P_IN - 1) / P_IN;
localparam NW_W = $clog2(N_WORDS + 1);
localparam OCNT_W = $clog2(P_IN + 1);
localparam integer LAST_COUNT_I = OUT_COUNT % P_IN;
localparam [OCNT_W-1:0] LAST_COUNT = LAST_COUNT_I[OCNT_W-1:0];

initial begin
    if (OUT_W > ACT_W || OUT_COUNT < 1 || P_IN < 1 || RD_LAT < 1 || RD_LAT > 4) begin
        $error("Error: need OUT_W <= ACT_W, OUT_COUNT >= 1, RD_LAT 1..4 (instance %m)");
        $finish;
    end
end

localparam S_IDLE = 3'd0, S_READ = 3'd1, S_WAIT = 3'd2, S_SEND = 3'd3, S_LAST = 3'd4;

reg [2:0]      state;
reg [2:0]      wait_cnt;
reg [AW-1:0]   addr;
reg [NW_W-1:0] left;       // words still to send, this one included
reg            done_reg;
reg            busy;       // state != S_IDLE as a register: the arena's read-port choice
wire           last_word = left == {{(NW_W-1){1'b0}}, 1'b1};
wire           os_ready;

always @(posedge clk) begin
    done_reg <= 1'b0;
    case (state)
        S_IDLE: begin
            if (start) begin
                state <= S_READ;
                busy <= 1'b1;
                addr <= OUT_BASE[AW-1:0];
                left <= N_WORDS[NW_W-1:0];
            end
        end
        S_READ: begin                 // rd_addr presented
            state <= S_WAIT;
            wait_cnt <= RD_LAT[2:0] - 3'd1;
        end
        S_WAIT: begin                 // rd_data valid once the count runs out (then held)
            wait_cnt <= wait_cnt - 3'd1;
            if (wait_cnt == 3'd1) begin
                state <= S_SEND;
            end
        end
        S_SEND: begin
            if (os_ready) begin
                if (last_word) begin
                    state <= S_LAST;
                end else begin
                    addr <= addr + {{(AW-1){1'b0}}, 1'b1};
                    left <= left - {{(NW_W-1){1'b0}}, 1'b1};
                    state <= S_READ;
                end
            end
        end
        S_LAST: begin
            if (out_stream_TVALID && out_stream_TREADY && out_stream_TLAST) begin
                state <= S_IDLE;
                busy <= 1'b0;
                done_reg <= 1'b1;
            end
        end
        default: begin
            state <= S_IDLE;
            busy <= 1'b0;
        end
    endcase
    if (rst) begin
        state <= S_IDLE;
        busy <= 1'b0;
        done_reg <= 1'b0;
    end
end

// OUT_W bits of each lane
reg [P_IN*OUT_W-1:0] os_data;
integer l;
always @* begin
    for (l = 0; l < P_IN; l = l + 1) begin
        os_data[l*OUT_W +: OUT_W] = rd_data[l*ACT_W +: OUT_W];
    end
end

fg_axis_out #(.A_W(OUT_W), .VB(VB), .LANES(P_IN), .TDATA_W(TDATA_W)) axis_out_inst (
    .clk(clk), .rst(rst), .cfg_signed(OUT_SIGNED != 0),
    .s_valid(state == S_SEND), .s_ready(os_ready), .s_data(os_data),
    .s_count(last_word ? LAST_COUNT : {OCNT_W{1'b0}}), .s_last(last_word),
    .out_stream_TDATA(out_stream_TDATA), .out_stream_TKEEP(out_stream_TKEEP),
    .out_stream_TVALID(out_stream_TVALID), .out_stream_TREADY(out_stream_TREADY),
    .out_stream_TLAST(out_stream_TLAST)
);

assign done = done_reg;
assign rd_en = busy;       // the engine's read-address choice starts from a flip-flop
assign rd_addr = addr;

// the lanes' bits above OUT_W are not streamed (the logits are OUT_W wide)
wire unused_rd = &{1'b0, rd_data};

endmodule

`resetall
