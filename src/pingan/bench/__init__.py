"""Benchmarks behind `pingan bench`."""
