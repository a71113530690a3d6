// fg_latency.vh: the engine's pipeline latencies, in cycles
//
// GENERATED - do not edit. Rendered by fpgagen.rtl.headers from fpgagen/plan/engine_latency.py
// (RTL_LATENCY).
// Regenerate: python -m fpgagen.rtl.headers  (tests/test_hw_headers.py fails while this differs)
// Included inside a module body: Verilog 2005 localparams.

// fg_engine A1: a generator's beat registered with its memory addresses
localparam LAT_A1 = 1;
// output registers behind a memory's read register (every memory's OUT_REG, fg_layer_table
// ROM_REGS): a read takes 1 + MEM_REGS cycles
localparam LAT_MEM_REGS = 2;
// fg_engine A4: the operands registered
localparam LAT_A4 = 1;
// fg_pe_array: multiplier and accumulator stages, before its clog2(P_IN) adder levels
localparam LAT_PE = 4;
// fg_engine R0: the result registered
localparam LAT_R0 = 1;
// fg_requant
localparam LAT_REQUANT = 6;
// fg_writeback with one arena bank (a result presented -> written)
localparam LAT_WB = 1;
// fg_writeback with several arena banks (its source stage before the bank rotation)
localparam LAT_WB_BANKED = 2;
// fg_maxpool: two input registers, compare/select
localparam LAT_MAXPOOL = 3;
// DRAIN's cycles beyond the pipeline from a last beat to its write
localparam LAT_DRAIN_MARGIN = 3;
