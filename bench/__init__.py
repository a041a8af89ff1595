"""Benchmarks: each prints JSON and compares against a bound measured in the same run."""
