"""The one error the render stage raises for a report or workbook it cannot produce."""

from __future__ import annotations


class RenderError(RuntimeError):
    """A report could not be rendered (the message names the report and the failing cell)."""
