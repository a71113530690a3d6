"""Design-space exploration: `explore` sweeps models x boards x precisions x engines."""
