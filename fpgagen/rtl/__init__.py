"""The Verilog core: its generator (a top over hw/) and its Vivado flow."""
