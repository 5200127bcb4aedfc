"""A rendered report opened in headless Chromium: every figure shows, nothing goes online.

Uses Debian's chromium through Playwright, launched as the PDFs are (``executable_path``;
``make test`` installs it). A missing browser is a failure, not a skip: the
contract promises reports that open offline in a browser, and this is the
test that checks it.

Each page's full-page screenshot is kept for a person to look at, in
``.artifacts/browser/`` at the repository root (git-ignored; replaced on
every run), e.g. ``.artifacts/browser/index.html.png``.

Every report kind is also checked with axe-core (from the npm registry,
``make browser`` puts it in ``.cache/``) against WCAG 2.1 A and AA: the
contract promises reports that meet WCAG 2.1 AA.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixture import rendered_year  # noqa: F401  (session fixture)

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[1] / ".artifacts" / "browser"
PAGES = ["index.html", "enhet/A.html", "ledare/M1.html"]
#: one report of each kind: förvaltning, område, school, manager
KINDS = ["index.html", "omrade/S.html", "enhet/A.html", "ledare/M1.html"]
AXE = Path(__file__).resolve().parents[1] / ".cache" / "npm" / "node_modules" / "axe-core"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser():
    """The browser the PDFs are printed with (analysis.render.pdf.chromium): Debian's chromium,
    headless, offline; a missing one fails here with the message `make report` would give."""
    from analysis.render.pdf import chromium

    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("name", PAGES)
def test_report_opens_offline_with_every_figure(browser, rendered_year, name):  # noqa: F811
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: requests.append(request.url))

    url = (rendered_year.out_dir / name).as_uri()
    page.goto(url, wait_until="load")
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])"
    )
    shot = SCREENSHOTS / (name.replace("/", "_") + ".png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    height = page.evaluate("document.body.scrollHeight")
    page.close()

    assert errors == []
    leaving = [u for u in requests if not u.startswith(("file://", "data:"))]
    assert leaving == [], f"requests that leave the file system: {leaving}"
    assert requests[0] == url
    if name == "ledare/M1.html":
        # the response rate of 2022 and 2023, AMI and the priority matrix are images;
        # the leadership bars are table cells
        # each alt text names its chart, then states its numbers (tests/test_chart_alt.py)
        assert [alt.split(". ")[0] for alt, *_ in images] == [
            "Svarsfrekvens per år",
            "AMI totalt och delindex",
            "Prioriteringsmatris",
        ]
    else:
        assert len(images) >= 8
    broken = [alt for alt, complete, width, h in images if not (complete and width > 0 and h > 0)]
    assert broken == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert height > 800


@pytest.mark.parametrize("name", KINDS)
def test_each_report_kind_meets_wcag_21_aa_by_axe(browser, rendered_year, name):  # noqa: F811
    script = AXE / "axe.min.js"
    if not script.is_file():
        pytest.fail(f"{script} is missing: `make browser` fetches axe-core from the npm registry")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto((rendered_year.out_dir / name).as_uri(), wait_until="load")
    page.add_script_tag(path=str(script))
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => [v.id, v.help, v.nodes.map(n => n.html)]);
        }""",
        WCAG_21_AA,
    )
    page.close()
    assert violations == [], violations
