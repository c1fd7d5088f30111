"""Benchmarks: speed goals live here, not in the test suite."""
