"""Latency measurement: protocol, runtimes (LiteRT in Python, `benchmark_model`), local and SSH
devices, and the `bench` and `devices` commands."""
