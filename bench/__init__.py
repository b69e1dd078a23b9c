"""Benchmarks that print figures (run as scripts: ``python bench/intents.py``)."""
