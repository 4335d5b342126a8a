"""The report in a real browser: Debian's headless Chromium driven by Playwright.

Opens the written report.html from a file:// URL with the network cut off, and checks there
are no JavaScript errors, no request leaves the file, and every chart is drawn; saves a
screenshot under the test's tmp_path (its path is printed: run pytest with -s to see it).
Skips only where /usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from tests.report.conftest import CHART_IDS

from bastion.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"browser test needs Debian's Chromium at {CHROMIUM} "
                       "(apt-get install chromium)"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="browser test needs the playwright package (pip install -e '.[dev]')"),
]


def _open(report: Path, shot: Path, *, viewport_width: int = 1400) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    remote: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(viewport={"width": viewport_width, "height": 900}, offline=True)
            page = context.new_page()
            page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("request", lambda r: remote.append(r.url) if not r.url.startswith("file:") else None)
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.plot')).every("
                "d => d.querySelector('svg.main-svg') || d.textContent.length > 0)", timeout=20_000)
            drawn = page.evaluate(
                "() => Object.fromEntries(Array.from(document.querySelectorAll('.plot')).map(d => [d.id, "
                "!!(d.querySelector('svg.main-svg') && d.querySelector('.plot-container'))]))")
            marks = page.evaluate("() => [document.body.firstElementChild.id, "
                                  "document.getElementById('marking-bottom').innerText]")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return {"errors": errors, "remote": remote, "drawn": drawn, "marks": marks}


def test_report_opens_and_draws_every_chart(run: dict[str, Any], tables: dict[str, Any],
                                            tmp_path: Path) -> None:
    files = write_report(run, tables, tmp_path)
    shot = tmp_path / "report.png"
    seen = _open(files.html, shot)
    assert seen["errors"] == []
    assert seen["remote"] == []
    assert seen["drawn"] == dict.fromkeys(CHART_IDS, True)
    assert seen["marks"][0] == "marking-top" and seen["marks"][1].strip() == run["classification"].upper()
    assert shot.stat().st_size > 50_000
    print(f"\nreport screenshot: {shot}")


def test_report_without_engines_opens_cleanly(run: dict[str, Any], tables: dict[str, Any],
                                              tmp_path: Path) -> None:
    del run["simulate"], run["resilience"], run["schedule"]
    files = write_report(run, tables, tmp_path)
    seen = _open(files.html, tmp_path / "partial.png", viewport_width=800)
    assert seen["errors"] == [] and seen["remote"] == []
    assert seen["drawn"] and all(seen["drawn"].values())
    assert not any(k.startswith(("chart-fan", "chart-exposure", "chart-gantt")) for k in seen["drawn"])


def _print_pdf(report: Path, pdf: Path) -> None:
    """Print the page to A4 as Chromium does (charts fitted to the page by the beforeprint hook)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_context(offline=True).new_page()
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function("() => Array.from(document.querySelectorAll('.plot')).every("
                                   "d => d.querySelector('svg.main-svg'))", timeout=20_000)
            page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
            page.emulate_media(media="print")
            page.pdf(path=str(pdf), format="A4", print_background=True)
        finally:
            browser.close()


def marking_heights(pdf: Path, marking: str) -> list[tuple[float, list[float]]]:
    """Each page's height and the heights (from the page's foot, in points) where `marking` is written."""
    from pypdf import PdfReader

    out = []
    for p in PdfReader(str(pdf)).pages:
        ys: list[float] = []

        def seen(text: str, cm: list[float], tm: list[float], *_: Any, ys: list[float] = ys) -> None:
            if marking in text:
                ys.append(cm[5] + tm[5] * cm[3])

        p.extract_text(visitor_text=seen)
        out.append((float(p.mediabox.height), ys))
    return out


@pytest.mark.skipif(importlib.util.find_spec("pypdf") is None, reason="needs pypdf (pip install -e '.[dev]')")
def test_printed_report_answers_on_page_one_with_the_marking_on_every_page(
        short_run: dict[str, Any], short_tables: dict[str, Any], tmp_path: Path) -> None:
    from pypdf import PdfReader

    short_run["classification"] = "RESTRICTED - TEST MARKING"
    files = write_report(short_run, short_tables, tmp_path)
    pdf = tmp_path / "report.pdf"
    _print_pdf(files.html, pdf)
    pages = marking_heights(pdf, "RESTRICTED - TEST MARKING")
    assert len(pages) >= 4  # the report runs to several A4 pages
    for k, (height, ys) in enumerate(pages, start=1):
        assert any(y > 0.9 * height for y in ys), f"page {k}: no marking at the top ({ys})"
        assert any(y < 0.1 * height for y in ys), f"page {k}: no marking at the foot ({ys})"
    first = " ".join(unicodedata.normalize("NFKC", PdfReader(str(pdf)).pages[0].extract_text()).split())
    for question in ("Will we meet the targets?", "How sure are we?", "Why not?", "What fixes it?",
                     "What does it cost?"):
        assert question in first
    assert "No: 1 of 6 targets is short in the plan." in first
    assert "P(met)" in first and "no margin" in first
    assert "+20 units a month of capacity on line-1" in first  # what fixes it, in numbers
    assert "M EUR" in first
    print(f"\nprinted report: {pdf} ({len(pages)} pages)")
