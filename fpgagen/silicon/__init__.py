"""Measured silicon figures from open tools: Yosys resources, nextpnr timing."""
