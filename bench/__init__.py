"""Benchmarks: `python -m bench` (speed and size, bench/README.md) and `python -m bench.quality`."""
