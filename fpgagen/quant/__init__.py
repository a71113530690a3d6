"""Numbers: fixed-point types, precisions, the quantizer, the integer golden model and the float
reference."""
