"""Compare two published report sets file by file (pure functions: no pipeline, no git).

What "the same" means, per kind of file:

* ``*.csv`` (figures.csv, drivers.csv): the bytes; a difference names the first
  differing lines.
* ``*.xlsx``: the sheet names in order and every cell's value as openpyxl reads
  it (formulas as their text), rows trimmed of trailing empty cells - not the
  zip's bytes, which depend on the library that wrote the workbook.
* ``*.html``: the visible text - every text node outside ``<script>`` and
  ``<style>``, plus the values of the ``alt``, ``aria-label``, ``title`` and
  ``href`` attributes, whitespace collapsed, a space at every tag that is not
  inline formatting - and the images in document order: ``<img src>`` data:
  URIs decoded and compared as bytes, or, when the bytes differ (matplotlib
  PNG metadata), as RGBA pixels; other ``src`` values as text; inline
  ``<svg>`` as its tags, attributes and text.
* ``*.pdf`` (the förvaltning's and the områden's reports, printed from the
  HTML beside them): the page count and each page's text as pypdf extracts
  it, whitespace collapsed - not the bytes, which hold the footer's commit in
  compressed text; the images are those of the HTML, compared there.
* ``*.pptx`` (the decks): every slide's words in order (titles, text boxes,
  table cells, speaker notes), whitespace collapsed, and the pictures in order,
  compared as images are on a page - not the zip's bytes, which hold the
  footer's commit.
* ``SHA256SUMS``: the list of files it names, not the hashes (they differ
  whenever a report differs only by the commit).
* anything else: the bytes.

Masked before comparing, and nothing else: the git commit that the
provenance footer names - in an HTML page's (or a PDF's) visible text the 40 hex
digits after ``Kodversion (git commit): ``, in a workbook the 40 hex digits of the
cell right of a first cell ``Git commit`` (the README sheet). The footer's
"ej incheckade ändringar" (uncommitted changes) is compared as it is.

On request (``mask_packages=True``, ``compare_renders.py --mask-packages``)
also the footer's list of package versions (``Paketversioner: …`` up to
``Parametrar``): for a comparison across a deliberate change of dependencies,
such as the workbook's new writer, whose name the footer then adds.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from itertools import zip_longest
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import numpy as np
import openpyxl
import pypdf
from PIL import Image as PILImage

MASK = "<commit>"
COMMIT_IN_TEXT = re.compile(r"(Kodversion \(git commit\): )[0-9a-f]{40}\b")
COMMIT_LABEL = "Git commit"
PACKAGES_IN_TEXT = re.compile(r"(Paketversioner: ).*?( Parametrar\b)")
PACKAGES_MASK = "<packages>"
HEX40 = re.compile(r"[0-9a-f]{40}")
TEXT_ATTRIBUTES = ("alt", "aria-label", "title", "href")
#: tags that do not separate words when rendered (``<b>79</b>%`` reads "79%")
# fmt: off
INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
})
# fmt: on
SKIPPED_TAGS = frozenset({"script", "style"})
SHOWN = 3  # differing lines, cells or images named per file


@dataclass(frozen=True)
class FileResult:
    """One path of the union of both sets: identical, different, missing or extra."""

    path: str
    status: str  # "identical" | "different" | "missing" (base only) | "extra" (head only)
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Image:
    media: str  # the data: URI's media type, "image/svg+xml" for inline SVG, "url" otherwise
    data: bytes


@dataclass(frozen=True)
class Page:
    text: str
    images: tuple[Image, ...]


# --------------------------------------------------------------------------- masking


def mask_commit(text: str) -> str:
    """The text with the footer's commit hash replaced by ``<commit>``."""
    return COMMIT_IN_TEXT.sub(rf"\g<1>{MASK}", text)


def mask_packages(text: str) -> str:
    """The text with the footer's package versions replaced by ``<packages>``."""
    return PACKAGES_IN_TEXT.sub(rf"\g<1>{PACKAGES_MASK}\g<2>", text)


def mask_commit_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A workbook row with the hash right of ``Git commit`` replaced by ``<commit>``."""
    if len(row) >= 2 and row[0] == COMMIT_LABEL and HEX40.fullmatch(str(row[1])):
        return (row[0], MASK, *row[2:])
    return row


# --------------------------------------------------------------------------- bytes and lines


def _shorten(line: bytes, limit: int = 160) -> str:
    text = line.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"


def compare_lines(base: Path, head: Path) -> list[str]:
    """Byte for byte; on a difference the line counts and the first differing lines."""
    old, new = base.read_bytes(), head.read_bytes()
    if old == new:
        return []
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    pairs = zip_longest(old_lines, new_lines, fillvalue=b"")
    differing = [(i, a, b) for i, (a, b) in enumerate(pairs, 1) if a != b]
    details = [f"{len(differing)} differing lines ({len(old_lines)} vs {len(new_lines)} lines)"]
    for number, a, b in differing[:SHOWN]:
        details += [f"line {number} base: {_shorten(a)}", f"line {number} head: {_shorten(b)}"]
    return details


def compare_bytes(base: Path, head: Path) -> list[str]:
    old, new = base.read_bytes(), head.read_bytes()
    return [] if old == new else [f"bytes differ ({len(old)} vs {len(new)} bytes)"]


def checksum_names(path: Path) -> list[str]:
    """The file names a ``sha256sum`` listing names (``HASH  name`` or ``HASH *name``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return sorted(line.split(maxsplit=1)[1].lstrip("*") for line in lines if line.strip())


def compare_checksums(base: Path, head: Path) -> list[str]:
    old, new = set(checksum_names(base)), set(checksum_names(head))
    if old == new:
        return []
    return [f"lists only in base: {sorted(old - new)}, only in head: {sorted(new - old)}"]


# --------------------------------------------------------------------------- workbooks


def _sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """Rows as values, trailing empty cells dropped, the commit masked."""
    for row in sheet.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        yield mask_commit_row(tuple(values))


def compare_sheet(name: str, base: Any, head: Any) -> list[str]:
    """Row by row (a missing row reads as empty): the count and the first differing rows."""
    pairs = zip_longest(_sheet_rows(base), _sheet_rows(head), fillvalue=())
    differing = [(i, a, b) for i, (a, b) in enumerate(pairs, 1) if a != b]
    if not differing:
        return []
    details = [f"sheet {name!r}: {len(differing)} differing rows"]
    for number, a, b in differing[:SHOWN]:
        details += [f"{name!r} row {number} base: {a}", f"{name!r} row {number} head: {b}"]
    return details


def compare_workbooks(base: Path, head: Path) -> list[str]:
    """Sheet names and order, then every common sheet's cell values."""
    old = openpyxl.load_workbook(base, read_only=True)
    new = openpyxl.load_workbook(head, read_only=True)
    try:
        details = []
        if old.sheetnames != new.sheetnames:
            details.append(f"sheets: base {old.sheetnames}, head {new.sheetnames}")
        for name in (n for n in old.sheetnames if n in new.sheetnames):
            details += compare_sheet(name, old[name], new[name])
        return details
    finally:
        old.close()
        new.close()


# --------------------------------------------------------------------------- HTML pages


def decode_data_uri(uri: str) -> Image:
    """``data:[media][;base64],payload`` as its media type and decoded bytes."""
    header, _, payload = uri.removeprefix("data:").partition(",")
    media = header.split(";")[0] or "text/plain"
    if header.endswith(";base64"):
        return Image(media, base64.b64decode(payload))
    return Image(media, unquote_to_bytes(payload))


class PageParser(HTMLParser):
    """Collects a page's visible text and its images in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.images: list[Image] = []
        self._skipping = 0
        self._svg_depth = 0
        self._svg: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
        if tag not in INLINE_TAGS:
            self.parts.append(" ")
        values = dict(attrs)
        self.parts += [f" [{a}: {values[a]}] " for a in TEXT_ATTRIBUTES if values.get(a)]
        if tag == "img":
            src = values.get("src") or ""
            image = decode_data_uri(src) if src.startswith("data:") else Image("url", src.encode())
            self.images.append(image)
        if tag == "svg":
            self._svg_depth += 1
        if self._svg_depth:
            self._svg.append(f"<{tag} {sorted(attrs, key=lambda a: a[0])}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self._skipping:
            self._skipping -= 1
        if tag not in INLINE_TAGS:
            self.parts.append(" ")
        if self._svg_depth:
            self._svg.append(f"</{tag}>")
            if tag == "svg":
                self._svg_depth -= 1
            if not self._svg_depth:
                self.images.append(Image("image/svg+xml", "".join(self._svg).encode()))
                self._svg = []

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self.parts.append(data)
        if self._svg_depth:
            self._svg.append(data)


def read_page(path: Path, packages_masked: bool = False) -> Page:
    """A page's visible text (whitespace collapsed, commit masked) and images."""
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    text = mask_commit(" ".join("".join(parser.parts).split()))
    return Page(mask_packages(text) if packages_masked else text, tuple(parser.images))


def _pixels(data: bytes) -> np.ndarray:
    """An image's RGBA pixels, shape (height, width, 4)."""
    with PILImage.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def image_difference(a: Image, b: Image) -> str:
    """What differs between two images, "" if nothing: bytes, else (rasters) RGBA pixels."""
    if a == b:
        return ""
    if a.media != b.media:
        return f"{a.media} vs {b.media}"
    if not a.media.startswith("image/") or a.media == "image/svg+xml":
        return f"{a.media} content differs"
    old, new = _pixels(a.data), _pixels(b.data)
    (height, width), (new_height, new_width) = old.shape[:2], new.shape[:2]
    if old.shape != new.shape:
        return f"size {width}x{height} vs {new_width}x{new_height}"
    count = int((old != new).any(axis=2).sum())
    return f"{count} of {width * height} pixels differ ({width}x{height})" if count else ""


def first_text_difference(base: str, head: str, context: int = 8) -> str:
    """Where two texts' words first differ, with a few words around it from each."""
    old, new = base.split(), head.split()
    at = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    at = min(len(old), len(new)) if at is None else at
    start = max(0, at - context)
    return (
        f"text differs at word {at + 1} ({len(old)} vs {len(new)} words):\n"
        f"      base: …{' '.join(old[start : at + context])}…\n"
        f"      head: …{' '.join(new[start : at + context])}…"
    )


def compare_pages(base: Path, head: Path, packages_masked: bool = False) -> list[str]:
    """Visible text, then the images one by one."""
    return _compare_read(read_page(base, packages_masked), read_page(head, packages_masked))


def _compare_read(old: Page, new: Page) -> list[str]:
    """Two pages (or decks) read: their text, then their images one by one."""
    details = [] if old.text == new.text else [first_text_difference(old.text, new.text)]
    if len(old.images) != len(new.images):
        details.append(f"{len(old.images)} vs {len(new.images)} images")
    pairs = zip(old.images, new.images, strict=False)
    differing = [(i, d) for i, (a, b) in enumerate(pairs, 1) if (d := image_difference(a, b))]
    details += [f"image {i} of {len(old.images)}: {d}" for i, d in differing[:SHOWN]]
    if len(differing) > SHOWN:
        details.append(f"… {len(differing) - SHOWN} more images differ")
    return details


# --------------------------------------------------------------------------- PDFs


def pdf_pages(path: Path, packages_masked: bool = False) -> list[str]:
    """Each page's text (whitespace collapsed, the commit masked)."""
    pages = []
    for page in pypdf.PdfReader(path).pages:
        text = mask_commit(" ".join(page.extract_text().split()))
        pages.append(mask_packages(text) if packages_masked else text)
    return pages


def compare_pdfs(base: Path, head: Path, packages_masked: bool = False) -> list[str]:
    """The page count, then the first page whose text differs."""
    old, new = pdf_pages(base, packages_masked), pdf_pages(head, packages_masked)
    details = [] if len(old) == len(new) else [f"{len(old)} vs {len(new)} pages"]
    for number, (a, b) in enumerate(zip(old, new, strict=False), 1):
        if a != b:
            details.append(f"page {number}: {first_text_difference(a, b)}")
            break
    return details


# --------------------------------------------------------------------------- decks


def read_deck(path: Path, packages_masked: bool = False) -> Page:
    """A deck's words, slide by slide (the commit masked), and its pictures in order."""
    from pptx import Presentation

    paragraphs, images = [], []
    for slide in Presentation(str(path)).slides:
        frames = [shape.text_frame for shape in slide.shapes if shape.has_text_frame]
        frames += [
            cell.text_frame
            for shape in slide.shapes
            if shape.has_table
            for row in shape.table.rows
            for cell in row.cells
        ]
        if slide.has_notes_slide:
            frames.append(slide.notes_slide.notes_text_frame)
        for frame in frames:
            for paragraph in frame.paragraphs:
                text = mask_commit(" ".join(paragraph.text.split()))
                if packages_masked and text.startswith("Paketversioner: "):
                    text = f"Paketversioner: {PACKAGES_MASK}"
                paragraphs.append(text)
        images += [
            Image(shape.image.content_type, shape.image.blob)
            for shape in slide.shapes
            if shape.shape_type == 13  # a picture
        ]
    return Page(" ".join(" ".join(paragraphs).split()), tuple(images))


def compare_decks(base: Path, head: Path, packages_masked: bool = False) -> list[str]:
    """The words, then the pictures one by one."""
    old, new = read_deck(base, packages_masked), read_deck(head, packages_masked)
    return _compare_read(old, new)


# --------------------------------------------------------------------------- sets


COMPARERS: dict[str, Callable[[Path, Path], list[str]]] = {
    ".csv": compare_lines,
    ".xlsx": compare_workbooks,
    ".html": compare_pages,
    ".pdf": compare_pdfs,
    ".pptx": compare_decks,
}


def comparer_for(path: Path, packages_masked: bool = False) -> Callable[[Path, Path], list[str]]:
    if path.name == "SHA256SUMS":
        return compare_checksums
    if path.suffix == ".html" and packages_masked:
        return partial(compare_pages, packages_masked=True)
    if path.suffix == ".pdf" and packages_masked:
        return partial(compare_pdfs, packages_masked=True)
    if path.suffix == ".pptx" and packages_masked:
        return partial(compare_decks, packages_masked=True)
    return COMPARERS.get(path.suffix, compare_bytes)


def published_files(root: Path) -> set[str]:
    """Every file under ``root``, as POSIX paths relative to it."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def compare_file(
    path: str, base_root: Path, head_root: Path, packages_masked: bool = False
) -> FileResult:
    details = comparer_for(base_root / path, packages_masked)(base_root / path, head_root / path)
    return FileResult(path, "different" if details else "identical", tuple(details))


def compare_trees(
    base_root: Path, head_root: Path, packages_masked: bool = False
) -> list[FileResult]:
    """Every path of either set, sorted: compared where both have it (``packages_masked``:
    the pages' package versions masked too)."""
    old, new = published_files(base_root), published_files(head_root)
    results = []
    for path in sorted(old | new):
        if path not in new:
            results.append(FileResult(path, "missing"))
        elif path not in old:
            results.append(FileResult(path, "extra"))
        else:
            results.append(compare_file(path, base_root, head_root, packages_masked))
    return results
