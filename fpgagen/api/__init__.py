"""The Python API: `Design` (check, predict, build), `Build` (verify, synth), `evaluate` and the
result records; the commands in fpgagen/cli are thin layers over it. ``import fpgagen`` gives
the same names (fpgagen/__init__.py re-exports them on first use)."""
