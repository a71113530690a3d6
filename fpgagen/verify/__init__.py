"""Proof against the golden model: test vectors, C-simulation, RTL simulation."""
