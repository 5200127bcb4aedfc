"""Publish a year's whole set of reports as one swap: readers see the old set or the new one.

``reports/<Y>/`` is replaced as a unit. The render stage writes every file of
the new set into a staging directory beside it, ``reports/.<Y>.staging`` (same
parent, so same filesystem, and hidden), writes ``SHA256SUMS`` last, and only
then swaps the staging directory in. So a report of a unit that left the
input (or is no longer reported) disappears with the old set, and a run that
fails anywhere before the swap removes its staging directory and leaves the
published set as it was, byte for byte.

The swap:

* On Linux, ``renameat2(..., RENAME_EXCHANGE)`` (called through ctypes; glibc
  2.28 or later) exchanges the two directory entries in one atomic step: at
  every instant ``reports/<Y>`` is a complete set. The previous set, now at
  the staging name, is then deleted.
* Where that call is unavailable (another OS or libc, or a filesystem that
  refuses it: ENOSYS, EINVAL, ENOTSUP), two renames: ``reports/<Y>`` to
  ``reports/.<Y>.old``, then the staging directory to ``reports/<Y>``, then
  the old set is deleted. Between the two renames ``reports/<Y>`` is briefly
  absent (never half-filled).
* A year published for the first time is a single ``rename``.

Recovery (:func:`recover`, run before every publication): a process killed
mid-way can leave ``.<Y>.staging`` (an unfinished set, or after an exchange
the previous one) or ``.<Y>.old``. Staging directories are always discarded;
a crashed run is never half-trusted. ``.<Y>.old`` is put back as ``reports/<Y>``
when ``reports/<Y>`` is missing (the crash fell between the two renames: the
previous publication is restored, as if the failed run had not happened),
and deleted when ``reports/<Y>`` exists (the crash fell after the swap).
Deleting the previous set is the one step after the swap: if it fails, the
new set is already published, the error still propagates (the stage fails
and DVC reruns it), and the leftover goes at the next recovery.

``SHA256SUMS`` (``sha256sum -c SHA256SUMS`` in ``reports/<Y>`` checks it)
lists every other file of the set; its presence marks a directory as a
publication, which a subset render (``render_year(only=...)``) refuses to
write into. Two runs of the same year at the same time are not guarded
against here: ``dvc repro`` holds the repository's lock.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: lists every file of a published set with its SHA-256; written last
MANIFEST = "SHA256SUMS"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
#: errno values meaning "this system or filesystem cannot exchange": fall back
_NO_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def staging_dir(target: Path) -> Path:
    """Where the next set of ``target`` is assembled: a hidden sibling."""
    return target.parent / f".{target.name}.staging"


def old_dir(target: Path) -> Path:
    """Where the fallback swap parks the previous set between its two renames."""
    return target.parent / f".{target.name}.old"


def _renameat2() -> object | None:
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # no such symbol (old glibc, musl, macOS): fall back
        return None


def exchange(first: Path, second: Path) -> bool:
    """Atomically swap two existing directory entries; False if this system cannot.

    Any other failure raises OSError and leaves both entries where they were.
    """
    call = _renameat2()
    if call is None:
        return False
    result = call(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def recover(target: Path) -> None:
    """Undo what a crashed publication of ``target`` left behind (see the module docstring)."""
    old, staging = old_dir(target), staging_dir(target)
    if old.exists():
        if target.exists():
            shutil.rmtree(old)
        else:
            os.rename(old, target)
    if staging.exists():
        shutil.rmtree(staging)


def swap_in(staging: Path, target: Path, *, use_exchange: bool = True) -> None:
    """Make ``staging`` the new ``target``; the previous ``target`` is deleted afterwards."""
    if not target.exists():
        os.rename(staging, target)
        return
    if use_exchange and exchange(staging, target):
        shutil.rmtree(staging)  # the previous set, now under the staging name
        return
    old = old_dir(target)
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old)


def manifest_text(directory: Path) -> str:
    """``sha256sum`` lines for every file under ``directory`` but the manifest, sorted by path."""
    lines = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative == MANIFEST:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {relative}\n")
    return "".join(lines)


def is_publication(directory: Path) -> bool:
    """True if ``directory`` holds a published set (its manifest is there)."""
    return (directory / MANIFEST).is_file()


@contextmanager
def publication(
    target: str | Path, *, use_exchange: bool = True, manifest: bool = True
) -> Iterator[Path]:
    """Yield an empty staging directory; on success publish it whole as ``target``.

    On any exception inside the block (or while swapping) the staging
    directory is removed, ``target`` is left as it was, and the exception
    propagates. ``use_exchange=False`` forces the two-rename fallback (tests);
    ``manifest=False`` writes no ``SHA256SUMS`` (a stage's own output directory,
    not a published set).
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    staging = staging_dir(target)
    staging.mkdir()
    try:
        yield staging
        if manifest:
            (staging / MANIFEST).write_text(manifest_text(staging), encoding="utf-8")
        swap_in(staging, target, use_exchange=use_exchange)
    except BaseException:
        if staging.exists():
            shutil.rmtree(staging)
        raise
