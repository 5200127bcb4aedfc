"""Atomic file writes: a reader (or a failed run) never sees half a file.

Everything the pipeline publishes is written to a temporary file in the
target's directory and then renamed over it. ``tempfile.mkstemp`` creates
files readable by their owner only; published reports must be readable like
any other file the user creates, so the final file gets the usual
umask-governed mode.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_bytes_atomic(data: bytes, path: str | Path) -> None:
    """Write ``data`` to ``path`` via a temporary sibling and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(text: str, path: str | Path) -> None:
    """UTF-8 text with ``\\n`` line ends, written atomically."""
    write_bytes_atomic(text.encode("utf-8"), path)


def write_json_atomic(payload: object, path: str | Path) -> None:
    """Sorted, indented JSON (byte-stable, never half-written)."""
    text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    write_text_atomic(text, path)


def write_parquet_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    """A DataFrame as parquet (no index), written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
