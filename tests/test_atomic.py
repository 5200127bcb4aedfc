"""Published files appear whole or not at all, and are readable like any other file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.atomic import write_bytes_atomic, write_parquet_atomic, write_text_atomic


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_written_files_follow_the_umask_not_mkstemps_0600(tmp_path: Path, umask_022) -> None:
    write_text_atomic("å,ä,ö\n", tmp_path / "a.csv")
    write_parquet_atomic(pd.DataFrame({"x": [1]}), tmp_path / "b.parquet")
    for name in ("a.csv", "b.parquet"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    assert (tmp_path / "a.csv").read_bytes() == "å,ä,ö\n".encode()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "figures.csv"
    write_bytes_atomic(b"old", target)

    class Unwritable(pd.DataFrame):
        def to_parquet(self, *args, **kwargs):  # type: ignore[override]
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_parquet_atomic(Unwritable({"x": [1]}), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["figures.csv"]
