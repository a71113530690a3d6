/*

fpgagen: fixed delay line (a shift register of DEPTH stages)

out_data is in_data of DEPTH cycles before (DEPTH = 0: a wire). With RESET = 1 the stages
clear to zero on rst (for valid bits); with RESET = 0 rst is ignored and the stages have no
reset, so Vivado maps long lines onto SRL shift registers (LUTs) instead of flip-flops.

*/

// Language: Verilog 2005

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fg_delay #
(
    // bits per stage, >= 1
    parameter WIDTH = 1,
    // stages, >= 0
    parameter DEPTH = 1,
    // 1: rst clears every stage; 0: no reset (data only)
    parameter RESET = 0
)
(
    input  wire              clk,
    input  wire              rst,
    input  wire [WIDTH-1:0]  in_data,
    output wire [WIDTH-1:0]  out_data
);

initial begin
    if (WIDTH < 1 || DEPTH < 0) begin
        $error("Error: WIDTH must be >= 1 and DEPTH >= 0 (instance %m)");
        $finish;
    end
end

generate
    if (DEPTH == 0) begin : g_wire
        assign out_data = in_data;
        wire unused_clk = &{1'b0, clk, rst};
    end else begin : g_line
        reg [WIDTH*DEPTH-1:0] line;
        if (DEPTH == 1) begin : g_one
            always @(posedge clk) begin
                line <= in_data;
                if (RESET != 0 && rst) begin
                    line <= {(WIDTH*DEPTH){1'b0}};
                end
            end
        end else begin : g_many
            always @(posedge clk) begin
                line <= {line[WIDTH*(DEPTH-1)-1:0], in_data};
                if (RESET != 0 && rst) begin
                    line <= {(WIDTH*DEPTH){1'b0}};
                end
            end
        end
        assign out_data = line[WIDTH*DEPTH-1 -: WIDTH];
        if (RESET == 0) begin : g_norst
            wire unused_rst = &{1'b0, rst};
        end
    end
endgenerate

endmodule

`resetall
