"""Where each report is written under ``reports/<Y>/`` and relative links between them."""

from __future__ import annotations

import re
from urllib.parse import quote

from analysis.core.contract import (
    MANAGER_PREFIX,
)
from analysis.report.processed import FORVALTNING, LEDARE


def safe_file_stem(identifier: str) -> str:
    """A file name for a unit or manager id; unsafe characters become ``_`` plus a hash.

    Ids are free text in the input; the hash keeps two ids that differ only in
    unsafe characters from colliding.
    """
    stem = re.sub(r"[^\w.\-]", "_", identifier)
    if stem != identifier or stem.startswith(".") or not stem:
        import hashlib

        digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:8]
        stem = f"{stem.strip('.') or 'id'}_{digest}"
    return stem


def report_path(kind: str, identifier: str) -> str:
    """Where a report lives under ``reports/<Y>/`` (a POSIX relative path)."""
    if kind == FORVALTNING:
        return "index.html"
    if kind == LEDARE and identifier.startswith(MANAGER_PREFIX):
        identifier = identifier[len(MANAGER_PREFIX) :]
    return f"{kind}/{safe_file_stem(identifier)}.html"


def relative_href(from_kind: str, to_path: str) -> str:
    """An href from a report of ``from_kind`` to ``to_path`` (both under reports/<Y>/)."""
    prefix = "" if from_kind == FORVALTNING else "../"
    return quote(prefix + to_path)
