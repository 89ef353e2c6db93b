"""Benchmarks of the bot against the fake Bot API (`make bench`; see bench/__main__.py)."""
