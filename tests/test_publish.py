"""The swap that publishes a year (analysis.core.publish), on plain directories: no rendering.

What is checked is what a reader of ``reports/<Y>/`` sees: the old set or the
new one, never a mix, never a leftover; after a crash at any step the next run
starts from a complete set.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from analysis.core import publish


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory``: relative path -> bytes."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def write_tree(directory: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)


OLD = {"index.html": b"old", "enhet/A.html": b"A old", "enhet/GONE.html": b"gone", "x.csv": b"1"}
NEW = {"index.html": b"new", "enhet/A.html": b"A new", "x.csv": b"2"}


def publish_set(target: Path, files: dict[str, bytes], **options: bool) -> None:
    with publish.publication(target, **options) as staging:
        write_tree(staging, files)


def siblings(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir())


@pytest.mark.parametrize("use_exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_publication_replaces_the_set_whole(tmp_path: Path, use_exchange: bool) -> None:
    target = tmp_path / "reports" / "2023"
    publish_set(target, OLD, use_exchange=use_exchange)
    publish_set(target, NEW, use_exchange=use_exchange)
    published = tree(target)
    manifest = published.pop(publish.MANIFEST).decode()
    assert published == NEW  # enhet/GONE.html went with the old set
    assert siblings(target) == ["2023"]  # no staging or old directory left
    # the manifest is sha256sum's format and checks out
    assert [line.split("  ")[1] for line in manifest.splitlines()] == sorted(NEW)
    check = subprocess.run(
        ["sha256sum", "-c", publish.MANIFEST], cwd=target, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_renameat2_exchanges_two_directories_on_this_machine(tmp_path: Path) -> None:
    """The atomic path is the one that runs here (Linux, glibc >= 2.28)."""
    first, second = tmp_path / "a", tmp_path / "b"
    write_tree(first, {"f": b"1"})
    write_tree(second, {"g": b"2"})
    assert publish.exchange(first, second) is True
    assert tree(first) == {"g": b"2"} and tree(second) == {"f": b"1"}


def test_exchange_with_a_missing_entry_raises_and_moves_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path / "a", {"f": b"1"})
    with pytest.raises(FileNotFoundError):
        publish.exchange(tmp_path / "a", tmp_path / "missing")
    assert tree(tmp_path) == {"a/f": b"1"}


@pytest.mark.parametrize("use_exchange", [True, False], ids=["exchange", "two-renames"])
def test_an_error_while_writing_keeps_the_old_set_and_removes_staging(
    tmp_path: Path, use_exchange: bool
) -> None:
    target = tmp_path / "2023"
    publish_set(target, OLD)
    before = tree(target)
    with (
        pytest.raises(ZeroDivisionError),
        publish.publication(target, use_exchange=use_exchange) as staging,
    ):
        write_tree(staging, NEW)
        1 / 0  # noqa: B018
    assert tree(target) == before
    assert siblings(target) == ["2023"]


def test_an_interrupt_is_handled_like_any_error(tmp_path: Path) -> None:
    target = tmp_path / "2023"
    publish_set(target, OLD)
    before = tree(target)
    with pytest.raises(KeyboardInterrupt), publish.publication(target) as staging:
        write_tree(staging, NEW)
        raise KeyboardInterrupt
    assert tree(target) == before and siblings(target) == ["2023"]


def test_a_failed_exchange_keeps_the_old_set(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "2023"
    publish_set(target, OLD)
    before = tree(target)

    def refuse(first: Path, second: Path) -> bool:
        raise PermissionError(13, "Permission denied", str(first))

    monkeypatch.setattr(publish, "exchange", refuse)
    with pytest.raises(PermissionError):
        publish_set(target, NEW)
    assert tree(target) == before and siblings(target) == ["2023"]


def test_a_failed_second_rename_puts_the_old_set_back(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "2023"
    publish_set(target, OLD)
    before = tree(target)
    real_rename = os.rename

    def second_rename_fails(source, destination) -> None:
        if Path(source) == publish.staging_dir(target):
            raise OSError(28, "No space left on device")
        real_rename(source, destination)

    monkeypatch.setattr(publish.os, "rename", second_rename_fails)
    with pytest.raises(OSError, match="No space left"):
        publish_set(target, NEW, use_exchange=False)
    assert tree(target) == before and siblings(target) == ["2023"]


def test_a_first_publication_is_a_plain_rename(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "2024"  # the parent does not exist yet either
    publish_set(target, NEW)
    assert set(tree(target)) == {*NEW, publish.MANIFEST}
    assert publish.is_publication(target)


# ---------------------------------------------------------------- recovery after a crash


def test_recovers_a_crash_while_staging(tmp_path: Path) -> None:
    """Killed while rendering: an unfinished staging dir; the published set is intact."""
    target = tmp_path / "2023"
    publish_set(target, OLD)
    write_tree(publish.staging_dir(target), {"index.html": b"half"})
    publish_set(target, NEW)
    assert set(tree(target)) == {*NEW, publish.MANIFEST}
    assert siblings(target) == ["2023"]


def test_recovers_a_crash_between_the_two_renames(tmp_path: Path) -> None:
    """reports/Y absent, .Y.old the previous set: the previous set comes back first."""
    target = tmp_path / "2023"
    publish_set(target, OLD)
    before = tree(target)
    os.rename(target, publish.old_dir(target))
    write_tree(publish.staging_dir(target), NEW)  # a finished set the crash never swapped in
    publish.recover(target)
    assert tree(target) == before and siblings(target) == ["2023"]
    # and a publication started from that state goes through
    publish_set(target, NEW, use_exchange=False)
    assert set(tree(target)) == {*NEW, publish.MANIFEST} and siblings(target) == ["2023"]


def test_recovers_a_crash_after_the_swap(tmp_path: Path) -> None:
    """Killed while deleting the previous set: the new set stays, the rest goes."""
    target = tmp_path / "2023"
    publish_set(target, NEW)
    published = tree(target)
    write_tree(publish.old_dir(target), {"enhet/GONE.html": b"gone"})  # half-deleted old set
    write_tree(publish.staging_dir(target), OLD)  # what an exchange leaves at the staging name
    publish.recover(target)
    assert tree(target) == published and siblings(target) == ["2023"]


def test_recovery_with_nothing_to_recover_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "2023"
    publish.recover(target)
    assert not target.exists()
    publish_set(target, OLD)
    before = tree(target)
    publish.recover(target)
    assert tree(target) == before
