"""Benchmarks for the course project: chat fan-out and connection churn.

Run `python -m workbook.bench --help` from the repository root (or `make bench`). Each
measurement starts fresh server processes, drives them from a separate client process
(`workbook.bench.clients`) and writes a table to stdout plus results.json and plots to
build/bench/<timestamp>/.
"""

# Served by workbook.bench.bare_asgi (never by course_project), read by workbook.bench.connections.
STATS_PATH = "/bench/stats/"
