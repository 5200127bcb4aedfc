"""scripts/compare_renders.py's comparisons on tiny hand-made files (no pipeline run).

The script has to prove that a restructuring changed nothing a reader sees,
so these check both ways: what must count as equal (another commit in the
footer, another workbook writer, PNG metadata) and what must not (a word, an
alt text, a pixel, a cell, a CSV byte).
"""

from __future__ import annotations

import io
import sys
from base64 import b64encode
from pathlib import Path

import openpyxl
from PIL import Image, PngImagePlugin

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from compare.published import compare_trees

COMMIT_A = "a" * 40
COMMIT_B = "0123456789abcdef0123456789abcdef01234567"


def _png(colour: tuple[int, int, int], software: str = "") -> str:
    """A 4 x 3 PNG as a data: URI, optionally with a text chunk (as matplotlib writes one)."""
    info = PngImagePlugin.PngInfo()
    if software:
        info.add_text("Software", software)
    raw = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(raw, "PNG", pnginfo=info)
    return "data:image/png;base64," + b64encode(raw.getvalue()).decode("ascii")


def _page(commit: str, word: str = "ökat", alt: str = "AMI per år", image: str = "") -> str:
    image = image or _png((10, 20, 30))
    return (
        "<!DOCTYPE html><html><head><title>Rapport</title>"
        "<style>p { color: red }</style><script>var x = 1;</script></head><body>"
        f"<h2>Svarsfrekvens</h2><p>Svarsfrekvensen har <b>{word}</b> till 87 %.</p>"
        f'<img src="{image}" alt="{alt}">'
        "<table><caption>Per enhet</caption><tr><td>1</td><td>2</td></tr></table>"
        f"<footer><p>Kodversion (git commit): <code>{commit}</code> · "
        "ej incheckade ändringar: nej</p></footer></body></html>"
    )


def _pdf(*pages: str) -> bytes:
    """A PDF with one line of Helvetica text per page (objects, xref and trailer by hand)."""
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        f"<</Type /Pages /Kids [{kids}] /Count {count}>>".encode(),
    ]
    font = 3 + 2 * count
    for i, text in enumerate(pages):
        stream = f"BT /F1 10 Tf 20 100 Td ({text}) Tj ET".encode("latin-1")
        objects.append(
            f"<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents {4 + 2 * i} 0 R "
            f"/Resources <</Font <</F1 {font} 0 R>>>>>>".encode()
        )
        objects.append(b"<</Length %d>>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>")
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def _compare(tmp_path: Path, base: dict, head: dict) -> dict[str, tuple[str, tuple[str, ...]]]:
    results = compare_trees(_write(tmp_path / "base", base), _write(tmp_path / "head", head))
    return {r.path: (r.status, r.details) for r in results}


def test_pages_differing_only_by_the_footers_commit_are_equal(tmp_path: Path) -> None:
    html = _page(COMMIT_A).replace("<p>", "<p>\n  ").replace("</td>", "</td>\n")  # other whitespace
    found = _compare(tmp_path, {"index.html": html}, {"index.html": _page(COMMIT_B)})
    assert found == {"index.html": ("identical", ())}


def test_the_package_list_is_masked_only_on_request(tmp_path: Path) -> None:
    """A new package in the footer (the workbook's writer) is a difference unless asked."""

    def footer(packages: str) -> str:
        return _page(COMMIT_A).replace(
            "</footer>", f"<p>Paketversioner: {packages}</p><h3>Parametrar</h3></footer>"
        )

    base = {"index.html": footer("numpy 2.4.6, pandas 3.1.1")}
    head = {"index.html": footer("numpy 2.4.6, pandas 3.1.1, xlsxwriter 3.3.1")}
    found = _compare(tmp_path, base, head)
    assert found["index.html"][0] == "different" and "xlsxwriter" in found["index.html"][1][0]
    masked = compare_trees(tmp_path / "base", tmp_path / "head", packages_masked=True)
    assert [(r.path, r.status) for r in masked] == [("index.html", "identical")]
    # the mask reaches only up to the parameters that follow the list
    changed = {"index.html": footer("numpy 2.4.6").replace("Rapport", "Rapporten")}
    (tmp_path / "head" / "index.html").write_text(changed["index.html"], encoding="utf-8")
    masked = compare_trees(tmp_path / "base", tmp_path / "head", packages_masked=True)
    assert masked[0].status == "different"


def test_a_changed_word_is_reported_with_its_context(tmp_path: Path) -> None:
    found = _compare(
        tmp_path, {"index.html": _page(COMMIT_A)}, {"index.html": _page(COMMIT_B, word="ökade")}
    )
    status, details = found["index.html"]
    assert status == "different"
    assert "ökat" in details[0] and "ökade" in details[0]


def test_alt_text_and_words_split_by_a_cell_count_as_visible_text(tmp_path: Path) -> None:
    joined = _page(COMMIT_A).replace("<td>1</td><td>2</td>", "<td>12</td><td></td>")
    found = _compare(
        tmp_path,
        {"a.html": _page(COMMIT_A), "b.html": _page(COMMIT_A)},
        {"a.html": _page(COMMIT_A, alt="AMI per kön"), "b.html": joined},
    )
    assert found["a.html"][0] == "different" and "kön" in found["a.html"][1][0]
    assert found["b.html"][0] == "different"


def test_images_compare_by_pixels_not_metadata(tmp_path: Path) -> None:
    same_pixels = _page(COMMIT_A, image=_png((10, 20, 30), software="matplotlib 9.9"))
    other_pixels = _page(COMMIT_A, image=_png((10, 20, 31)))
    found = _compare(
        tmp_path,
        {"same.html": _page(COMMIT_A), "other.html": _page(COMMIT_A)},
        {"same.html": same_pixels, "other.html": other_pixels},
    )
    assert found["same.html"] == ("identical", ())
    assert found["other.html"] == ("different", ("image 1 of 1: 12 of 12 pixels differ (4x3)",))


def _workbook(path: Path, commit: str, value: float, write_only: bool) -> bytes:
    """README (with the commit) and one data sheet, through either of openpyxl's writers."""
    book = openpyxl.Workbook(write_only=write_only)
    book.properties.creator = "writer one" if write_only else "writer two"
    if not write_only:
        book.remove(book.active)
    readme = book.create_sheet("README")
    for row in (["Medarbetarenkät"], [], ["Git commit", commit], ["Underkända rader", 0]):
        readme.append(row)
    data = book.create_sheet("figurer")
    for row in (["unit_id", "value", None], ["A", value, None], ["B", 79.5]):
        data.append(row)
    book.save(path)
    return path.read_bytes()


def test_workbooks_compare_by_cell_values(tmp_path: Path) -> None:
    base = _workbook(tmp_path / "a.xlsx", COMMIT_A, 81.25, write_only=True)
    same = _workbook(tmp_path / "b.xlsx", COMMIT_B, 81.25, write_only=False)
    changed = _workbook(tmp_path / "c.xlsx", COMMIT_A, 80.5, write_only=True)
    assert base != same
    found = _compare(
        tmp_path,
        {"same.xlsx": base, "changed.xlsx": base},
        {"same.xlsx": same, "changed.xlsx": changed},
    )
    assert found["same.xlsx"] == ("identical", ())
    status, details = found["changed.xlsx"]
    assert status == "different"
    assert details[0] == "sheet 'figurer': 1 differing rows"
    assert "81.25" in details[1] and "80.5" in details[2]


def test_csv_bytes_are_compared_and_the_first_differing_line_shown(tmp_path: Path) -> None:
    base = "year,unit_id,value\n2024,A,81.25\n2024,B,79.5\n"
    found = _compare(
        tmp_path,
        {"figures.csv": base, "drivers.csv": base},
        {"figures.csv": base.replace("79.5", "79.50"), "drivers.csv": base},
    )
    assert found["drivers.csv"] == ("identical", ())
    assert found["figures.csv"] == (
        "different",
        (
            "1 differing lines (4 vs 4 lines)",
            "line 3 base: 2024,B,79.5",
            "line 3 head: 2024,B,79.50",
        ),
    )


def test_missing_and_extra_files_and_checksum_lists(tmp_path: Path) -> None:
    found = _compare(
        tmp_path,
        {"SHA256SUMS": f"{'1' * 64}  index.html\n", "enhet/A.html": "x"},
        {"SHA256SUMS": f"{'2' * 64}  index.html\n", "enhet/B.html": "x"},
    )
    assert found == {
        "SHA256SUMS": ("identical", ()),
        "enhet/A.html": ("missing", ()),
        "enhet/B.html": ("extra", ()),
    }


def test_pdfs_compare_by_their_pages_text_with_the_commit_masked(tmp_path: Path) -> None:
    footer = "Kodversion (git commit): {}"
    base = {"index.pdf": _pdf("Svarsfrekvens 87 %", footer.format(COMMIT_A))}
    head = {"index.pdf": _pdf("Svarsfrekvens 87 %", footer.format(COMMIT_B))}
    assert _compare(tmp_path, base, head) == {"index.pdf": ("identical", ())}
    found = _compare(tmp_path / "word", base, {"index.pdf": _pdf("Svarsfrekvens 88 %")})
    status, details = found["index.pdf"]
    assert status == "different"
    assert details[0] == "2 vs 1 pages" and details[1].startswith("page 1: text differs at word 2")


def _deck(commit: str, number: str = "87", colour: tuple[int, int, int] = (10, 20, 30)) -> bytes:
    """A two-slide deck: a title, a table cell, a picture; the commit in the last slide."""
    from base64 import b64decode

    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = "Svarsfrekvens"
    table = slide.shapes.add_table(1, 1, Inches(1), Inches(2), Inches(2), Inches(1)).table
    table.cell(0, 0).text = f"{number} %"
    png = b64decode(_png(colour).split(",", 1)[1])
    slide.shapes.add_picture(io.BytesIO(png), Inches(4), Inches(2))
    footer = prs.slides.add_slide(prs.slide_layouts[5])
    footer.shapes.title.text = f"Kodversion (git commit): {commit} · ej incheckade ändringar: nej"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def test_decks_compare_by_their_words_and_pictures_with_the_commit_masked(tmp_path: Path) -> None:
    base = {"index.pptx": _deck(COMMIT_A)}
    assert _compare(tmp_path, base, {"index.pptx": _deck(COMMIT_B)}) == {
        "index.pptx": ("identical", ())
    }
    status, details = _compare(tmp_path / "n", base, {"index.pptx": _deck(COMMIT_A, "88")})[
        "index.pptx"
    ]
    assert status == "different" and details[0].startswith("text differs at word 2")
    status, details = _compare(
        tmp_path / "p", base, {"index.pptx": _deck(COMMIT_A, colour=(10, 20, 31))}
    )["index.pptx"]
    assert status == "different" and details[0].startswith("image 1 of 1")
