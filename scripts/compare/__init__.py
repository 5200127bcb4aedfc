"""Helpers of scripts/compare_renders.py: comparing published sets, running revisions."""
