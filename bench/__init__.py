"""Benchmarks for story-archive: they print figures, they assert nothing."""
