"""The HLS C++ core: its generator, latency model and the gates on its synthesis branch."""
