"""The report in a real browser: Debian's headless Chromium driven by Playwright.

Opens the written report.html from a file:// URL with the network cut off, and checks there
are no JavaScript errors, no request leaves the file, and every chart is drawn; saves a
screenshot under the test's tmp_path (its path is printed: run pytest with -s to see it).
Skips only where /usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

import importlib.util
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
