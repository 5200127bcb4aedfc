"""Reproducible analysis of the yearly employee survey (medarbetarenkät)."""

__version__ = "0.1.0"
