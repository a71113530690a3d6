// fg_fields.vh: the layer table's row format (fields, op codes)
//
// GENERATED - do not edit. Rendered by fpgagen.rtl.headers from fpgagen/plan/engine_fields.py
// (RTL_FIELDS, FIELD_BITS) and fpgagen/machine/layertable.py (OP_CODES).
// Regenerate: python -m fpgagen.rtl.headers  (tests/test_hw_headers.py fails while this differs)
// Included inside a module body: Verilog 2005 localparams.

localparam FW = 32;   // bits per field (one table ROM word)
localparam NF_USED = 63;   // fields per row the engine decodes
localparam NF_PIX_USED = 65;   // ... with pixel banks (PP > 1)

localparam F_OP = 0;
localparam F_IN_STAGING = 1;
localparam F_IN_SIGNED = 2;
localparam F_IN2_SIGNED = 3;
localparam F_OUT_SIGNED = 4;
localparam F_RELU = 5;
localparam F_FUSE_POOL = 6;
localparam F_SHIFT = 7;
localparam F_ROUNDING = 8;
localparam F_SAT = 9;
localparam F_OUT_WIDTH = 10;
localparam F_BIAS_SHIFT = 11;
localparam F_ALIGN0 = 12;
localparam F_ALIGN1 = 13;
localparam F_AVG_MULT = 14;
localparam F_IN_H = 15;
localparam F_IN_W = 16;
localparam F_CB_LAST = 17;
localparam F_KX_LAST = 18;
localparam F_K_LAST = 19;
localparam F_OG_LAST = 20;
localparam F_OX_LAST = 21;
localparam F_OY_LAST = 22;
localparam F_ORIGIN = 23;
localparam F_KX_STEP = 24;
localparam F_KY_STEP = 25;
localparam F_OX_STEP = 26;
localparam F_OY_STEP = 27;
localparam F_IX_STEP = 28;
localparam F_STRIDE = 29;
localparam F_PAD = 30;
localparam F_KERNEL = 31;
localparam F_W_BASE = 32;
localparam F_B_BASE = 33;
localparam F_OUT_BASE = 34;
localparam F_OUT_STRIDE = 35;
localparam F_OUT_ROW_STEP = 36;
localparam F_OUT_RING_LAST = 37;
localparam F_OUT_BLOCKS = 38;
localparam F_IN_BASE = 39;
localparam F_IN_STRIDE = 40;
localparam F_IN2_BASE = 41;
localparam F_IN2_STRIDE = 42;
localparam F_P_LAST = 43;
localparam F_REUSE = 44;
localparam F_KX0 = 45;
localparam F_IX_KX0 = 46;
localparam F_ROW0 = 47;
localparam F_IROW0 = 48;
localparam F_RING = 49;
localparam F_RING_LAST = 50;
localparam F_ROW_STEP = 51;
localparam F_S_ROW_STEP = 52;
localparam F_WRAP_ROW_STEP = 53;
localparam F_COL0 = 54;
localparam F_COL_STEP = 55;
localparam F_COL_KX0 = 56;
localparam F_NEED0 = 57;
localparam F_GATE_OFF = 58;
localparam F_SPLIT_LG = 59;
localparam F_CLIP = 60;
localparam F_CLIP_LO = 61;
localparam F_CLIP_HI = 62;
localparam F_PH0 = 63;
localparam F_PIX_STEP = 64;

localparam OP_CONV = 0;
localparam OP_MAXPOOL = 1;
localparam OP_AVGPOOL = 2;
localparam OP_ADD = 3;
