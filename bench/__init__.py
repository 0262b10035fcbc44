"""Benchmarks for the course project: chat fan-out and connection churn.

Run `python -m bench --help` from the repository root (or `make bench`). Each measurement starts
fresh server processes, drives them from a separate client process (`bench.clients`) and writes
a table to stdout plus results.json and plots to bench/results/<timestamp>/.
"""

# Served by bench.bare_asgi (never by course_project) and read by bench.connections.
STATS_PATH = "/bench/stats/"
