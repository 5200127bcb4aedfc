"""The auditor's check: every published number recomputed from the input tables with
its own arithmetic (``python -m analysis.audit``)."""
