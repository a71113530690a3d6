"""fpgagen: compile small CNNs to bit-exact fixed-point HLS C++ and Verilog for on-chip FPGAs."""

__version__ = "0.1.0"
