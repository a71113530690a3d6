/*

fpgagen: AXI4-Lite control slave with the Vitis HLS register map (s_axi_control)

A processor starts the core and learns of its end exactly as it does with a Vitis HLS core
(`s_axilite port=return`), so the same driver runs either:

    0x00 AP_CTRL   bit 0 ap_start (write 1 to start; cleared when the core takes it, unless
                   auto_restart), bit 1 ap_done (clear on read), bit 2 ap_idle, bit 3 ap_ready
                   (clear on read), bit 7 auto_restart (read/write)
    0x04 GIE       bit 0 global interrupt enable
    0x08 IER       bit 0 ap_done, bit 1 ap_ready
    0x0C ISR       bit 0 ap_done, bit 1 ap_ready: set by the event when enabled in IER, a
                   written 1 toggles the bit
    0x10 CYCLES    (fpgagen) clock cycles of the last run, ap_start taken to ap_done
    0x14 STATUS    (fpgagen) bit 0 input frame error of the last run (fg_axis_unpack),
                   bit 1 weights loaded (WEIGHTS bit 1), bit 2 start refused: an ap_start
                   written while the weights were not loaded or a load was pending or
                   running (cleared by the next start that is taken)
    0x18 BUILD_ID  (fpgagen) the build's identity (fpgagen.machine.context build_id), constant
    0x1C WEIGHTS   (fpgagen) write bit 0 = 1: load weights from in_stream (fg_wload: the load
                   begins once the engine is idle and the image input between frames); read:
                   bit 0 busy (a load pending or running), bit 1 loaded (the weight and bias
                   memories hold a whole weight set), bit 2 the last load failed (TLAST not on
                   its last beat, or a TKEEP hole)
    0x20 WEIGHTS_CRC (fpgagen) CRC-32 (zlib.crc32) of the bytes the current or last load took
    other          read 0

A start refused is not passed on: ap_start stays low, the core stays idle and no ap_done
comes; STATUS bit 2 says why. A load asked for while auto_restart runs ends the restarts: the
start bit clears at the next ap_ready (auto_restart itself stays as written).

interrupt = GIE & (ISR[0] | ISR[1]), registered. The core side is ap_ctrl_hs: ap_start is held
until ap_ready. One write and one read are served at a time (AWREADY / ARREADY in the idle
state, as the Vitis slave does); responses are OKAY; reads are registered.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_axil_ctrl #
(
    parameter ADDR_W = 6,
    parameter [31:0] BUILD_ID = 32'h0
)
(
    input  wire              clk,
    input  wire              rst,

    /*
     * AXI4-Lite slave
     */
    input  wire [ADDR_W-1:0] s_axi_AWADDR,
    input  wire              s_axi_AWVALID,
    output wire              s_axi_AWREADY,
    input  wire [31:0]       s_axi_WDATA,
    input  wire [3:0]        s_axi_WSTRB,
    input  wire              s_axi_WVALID,
    output wire              s_axi_WREADY,
    output wire [1:0]        s_axi_BRESP,
    output wire              s_axi_BVALID,
    input  wire              s_axi_BREADY,
    input  wire [ADDR_W-1:0] s_axi_ARADDR,
    input  wire              s_axi_ARVALID,
    output wire              s_axi_ARREADY,
    output wire [31:0]       s_axi_RDATA,
    output wire [1:0]        s_axi_RRESP,
    output wire              s_axi_RVALID,
    input  wire              s_axi_RREADY,
    /* verilator lint_off SYMRSVDWORD */
    output reg               interrupt,      // the Vitis HLS name, a C++ word to Verilator
    /* verilator lint_on SYMRSVDWORD */

    /*
     * The core (ap_ctrl_hs) and its status
     */
    output wire              ap_start,
    input  wire              ap_done,
    input  wire              ap_idle,
    input  wire              ap_ready,
    input  wire              frame_error,

    /*
     * The weight loader (fg_wload)
     */
    output reg               wl_req,         // WEIGHTS bit 0 written 1 (a pulse)
    input  wire              wl_busy,        // a load pending or running
    input  wire              wl_valid,       // the weights are loaded
    input  wire              wl_error,       // the last load failed
    input  wire [31:0]       wl_crc
);

initial begin
    if (ADDR_W < 6 || ADDR_W > 16) begin
        $error("Error: ADDR_W must be 6..16 (instance %m)");
        $finish;
    end
end

localparam [ADDR_W-1:0] A_CTRL = 6'h00, A_GIE = 6'h04, A_IER = 6'h08, A_ISR = 6'h0C,
                        A_CYCLES = 6'h10, A_STATUS = 6'h14, A_ID = 6'h18,
                        A_WEIGHTS = 6'h1C, A_WCRC = 6'h20;

// write channel: address, then data, then response
localparam W_IDLE = 2'd0, W_DATA = 2'd1, W_RESP = 2'd2;
reg [1:0]        wstate;
reg [ADDR_W-1:0] waddr;
wire aw_hs = s_axi_AWVALID && wstate == W_IDLE;
wire w_hs = s_axi_WVALID && wstate == W_DATA;
wire wr0 = w_hs && s_axi_WSTRB[0];        // every register's bits are in byte 0

always @(posedge clk) begin
    case (wstate)
        W_IDLE: if (s_axi_AWVALID) wstate <= W_DATA;
        W_DATA: if (s_axi_WVALID) wstate <= W_RESP;
        W_RESP: if (s_axi_BREADY) wstate <= W_IDLE;
        default: wstate <= W_IDLE;
    endcase
    if (aw_hs) begin
        waddr <= {s_axi_AWADDR[ADDR_W-1:2], 2'b00};
    end
    if (rst) begin
        wstate <= W_IDLE;
    end
end

// read channel: address, then registered data
reg              rvalid;
reg [31:0]       rdata;
wire ar_hs = s_axi_ARVALID && !rvalid;
wire [ADDR_W-1:0] raddr = {s_axi_ARADDR[ADDR_W-1:2], 2'b00};

// the registers
reg        int_start, int_done, int_idle, int_ready, int_auto;
reg        int_gie;
reg [1:0]  int_ier, int_isr;
reg [31:0] run_cnt, int_cycles;
reg        int_error;
reg        int_refused;
// a start is taken only with the weights loaded and no load pending or running
wire       start_ok = wl_valid && !wl_busy;
wire       start_wr = wr0 && waddr == A_CTRL && s_axi_WDATA[0];

always @(posedge clk) begin
    // AP_CTRL
    int_idle <= ap_idle;
    if (start_wr && start_ok) begin
        int_start <= 1'b1;
    end else if (ap_ready && (!int_auto || !start_ok)) begin
        int_start <= 1'b0;
    end
    if (start_wr) begin
        int_refused <= !start_ok;
    end
    // WEIGHTS: a load request
    wl_req <= wr0 && waddr == A_WEIGHTS && s_axi_WDATA[0];
    if (wr0 && waddr == A_CTRL) begin
        int_auto <= s_axi_WDATA[7];
    end
    if (ap_done) begin
        int_done <= 1'b1;
    end else if (ar_hs && raddr == A_CTRL) begin
        int_done <= 1'b0;
    end
    if (ap_ready) begin
        int_ready <= 1'b1;
    end else if (ar_hs && raddr == A_CTRL) begin
        int_ready <= 1'b0;
    end
    // interrupts
    if (wr0 && waddr == A_GIE) begin
        int_gie <= s_axi_WDATA[0];
    end
    if (wr0 && waddr == A_IER) begin
        int_ier <= s_axi_WDATA[1:0];
    end
    if (int_ier[0] && ap_done) begin
        int_isr[0] <= 1'b1;
    end else if (wr0 && waddr == A_ISR) begin
        int_isr[0] <= int_isr[0] ^ s_axi_WDATA[0];
    end
    if (int_ier[1] && ap_ready) begin
        int_isr[1] <= 1'b1;
    end else if (wr0 && waddr == A_ISR) begin
        int_isr[1] <= int_isr[1] ^ s_axi_WDATA[1];
    end
    interrupt <= int_gie && (int_isr[0] || int_isr[1]);
    // the last run's cycles and frame error
    run_cnt <= ap_idle ? 32'd0 : run_cnt + 32'd1;
    if (ap_done) begin
        int_cycles <= run_cnt + 32'd1;
        int_error <= frame_error;
    end
    if (rst) begin
        int_start <= 1'b0;
        int_done <= 1'b0;
        int_idle <= 1'b1;
        int_ready <= 1'b0;
        int_auto <= 1'b0;
        int_gie <= 1'b0;
        int_ier <= 2'b00;
        int_isr <= 2'b00;
        interrupt <= 1'b0;
        run_cnt <= 32'd0;
        int_cycles <= 32'd0;
        int_error <= 1'b0;
        int_refused <= 1'b0;
        wl_req <= 1'b0;
    end
end

always @(posedge clk) begin
    if (ar_hs) begin
        rvalid <= 1'b1;
        case (raddr)
            A_CTRL:   rdata <= {24'd0, int_auto, 3'd0, int_ready, int_idle, int_done, int_start};
            A_GIE:    rdata <= {31'd0, int_gie};
            A_IER:    rdata <= {30'd0, int_ier};
            A_ISR:    rdata <= {30'd0, int_isr};
            A_CYCLES: rdata <= int_cycles;
            A_STATUS: rdata <= {29'd0, int_refused, wl_valid, int_error};
            A_ID:     rdata <= BUILD_ID;
            A_WEIGHTS: rdata <= {29'd0, wl_error, wl_valid, wl_busy};
            A_WCRC:   rdata <= wl_crc;
            default:  rdata <= 32'd0;
        endcase
    end else if (s_axi_RREADY) begin
        rvalid <= 1'b0;
    end
    if (rst) begin
        rvalid <= 1'b0;
    end
end

assign s_axi_AWREADY = wstate == W_IDLE;
assign s_axi_WREADY = wstate == W_DATA;
assign s_axi_BVALID = wstate == W_RESP;
assign s_axi_BRESP = 2'b00;
assign s_axi_ARREADY = !rvalid;
assign s_axi_RVALID = rvalid;
assign s_axi_RDATA = rdata;
assign s_axi_RRESP = 2'b00;
assign ap_start = int_start;

// the upper write-data bytes hold no register bits
wire unused_w = &{1'b0, s_axi_WDATA[31:8], s_axi_WDATA[6:2], s_axi_WSTRB[3:1],
                  s_axi_AWADDR[1:0], s_axi_ARADDR[1:0]};

endmodule

`resetall
