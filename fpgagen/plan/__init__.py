"""The Plan: boards, the engine, on-chip memories, the cycle model and the fit verdict, decided
once."""
