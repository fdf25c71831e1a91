"""Latency prediction: per-layer lookup tables, how they are built and checked, and the
predictions a study records beside its measurements."""
