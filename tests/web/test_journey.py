"""The planner's journey in a real browser against a real `bastion serve` (issue 19's Tests).

Sign in; start a scenario from the small template and copy it; run the copy as the baseline;
lower the supplier's capacity in the form (first a negative value: the error shows next to the
field and nothing is saved); save with a message; run; watch the progress to the end; see the
target short with its reason; compare with the baseline run; download the XLSX and the report;
every page printed to PDF has the marking on every printed page. Every page visited passes axe-core and the
console stays free of errors (conftest's Checker); screenshots are kept under tmp_path.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tests.web.conftest import Checker, Live, needs_browser, new_page, sign_in

pytestmark = needs_browser

CAPACITY = 'input[data-path="suppliers.parts-maker.supplies.part.capacity_per_month"]'


def _run(page: Any, checker: Checker, paths: int, name: str) -> str:
    """Start a run from the scenario page and wait on its page until the report shows."""
    page.get_by_label("Simulated futures (paths)").fill(str(paths))
    page.locator("#start-run").click()
    page.wait_for_url("**/runs/*")
    if page.locator("#progress").count():
        assert page.locator("#run-status").inner_text() in ("queued", "running", "done")
        checker.check(page, f"{name}-progress")
    page.locator("#answers").wait_for(timeout=120_000)  # htmx polls the progress, then reloads the page
    checker.check(page, name)
    return str(page.url.rsplit("/", 1)[1])


def test_journey_edit_run_compare_download(live: Live, browser: Any, checker: Checker, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    page = new_page(browser, checker)
    sign_in(page, live.base, "ana", checker)
    page.keyboard.press("Tab")  # the keyboard reaches the skip link first, and its focus shows
    focused = page.evaluate("() => [document.activeElement.textContent, "
                            "getComputedStyle(document.activeElement).outlineStyle]")
    assert focused == ["Skip to the content", "solid"]
    assert page.locator("#who-name").inner_text() == "ana"
    assert page.locator("#who-nation").inner_text() == "LVA"
    assert page.locator("#who-clearance").inner_text() == "SECRET"
    checker.check(page, "scenarios-empty", "UNCLASSIFIED")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="New scenario").click()
    checker.check(page, "new")
    page.get_by_label("Small plant (template)").check()
    page.locator("#create-from").click()
    page.wait_for_url("**/scenarios/*")
    template_url = page.url
    marking = "UNCLASSIFIED // LVA ONLY"
    checker.check(page, "scenario", marking)
    assert "parts-maker" in page.locator("#summary").inner_text()  # `bastion show`'s summary

    page.locator("#copy").click()
    page.wait_for_url(lambda url: "/scenarios/" in url and url != template_url)
    copy_url = page.url
    assert page.locator("#scenario-name").inner_text() == "Small plant (template)"
    baseline = _run(page, checker, 40, "run-baseline")
    assert "No: " not in page.locator("#answer-will").inner_text()

    # A negative capacity: the loader's error next to the field, the input kept, nothing saved.
    page.goto(copy_url + "/edit/suppliers")
    checker.check(page, "edit-suppliers", marking)
    assert page.locator(CAPACITY).input_value() == "200"
    page.locator(CAPACITY).fill("-5")
    page.get_by_label("What changed and why").fill("try a negative capacity")
    page.locator("#save").click()
    field = page.locator(".field", has=page.locator(CAPACITY))
    assert "must be >= 0" in field.locator(".field-error").inner_text()
    assert page.locator(CAPACITY).input_value() == "-5"
    assert page.locator(CAPACITY).get_attribute("aria-invalid") == "true"
    checker.check(page, "edit-suppliers-error", marking)
    page.goto(copy_url)
    assert page.locator("#revisions tbody tr").count() == 1

    # The real change: the parts maker cut to 50 a month.
    page.goto(copy_url + "/edit/suppliers")
    page.locator(CAPACITY).fill("50")
    page.get_by_label("What changed and why").fill("parts maker cut to 50 a month")
    page.locator("#save").click()
    page.wait_for_url("**saved=2")
    assert page.locator("#flash").inner_text() == "Saved as revision 2."
    assert "parts maker cut to 50 a month" in page.locator("#revisions").inner_text()
    page.locator("#show-diff").click()
    checker.check(page, "diff", marking)
    assert "capacity_per_month: 50" in page.locator("#changes").inner_text()
    page.goto(copy_url)

    changed = _run(page, checker, 40, "run-short")
    will = page.locator("#answer-will").inner_text()
    assert "No:" in will and "short" in will
    why = page.locator("#answer-why").inner_text()
    assert "parts-maker" in why or "Parts maker" in why, why  # the reason names the supplier
    assert page.locator("#table-targets tr.short").count() == 1

    with page.expect_download() as xlsx:
        page.locator("#dl-xlsx").click()
    book = load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes()))
    assert len(book.sheetnames) > 1
    with page.expect_download() as html:
        page.locator("#dl-html").click()
    report = Path(html.value.path()).read_text("utf-8")
    assert marking in report and "Why not?" in report

    page.get_by_label("Compare with another run of this scenario").select_option(baseline)
    page.locator("#compare").click()
    checker.check(page, "compare", marking)
    assert f"Before: run {baseline}" in page.locator(".meta").first.inner_text()
    assert f"After: run {changed}" in page.locator(".meta").first.inner_text()
    outputs = page.locator("#outputs tr.changed").all_inner_texts()
    assert any("Army (army), Product (product) by 2027-06: units in the plan" in row for row in outputs), outputs
    assert page.locator("#outputs tr.changed mark").count() >= 1
    assert "capacity_per_month: 50" in page.locator("#changes").inner_text()

    page.goto(copy_url + "/yaml")
    checker.check(page, "yaml", marking)
    page.goto(live.base + "/scenarios")
    checker.check(page, "scenarios", marking)
    assert page.locator("#scenarios tbody tr").count() == 2
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto(copy_url)
    page.wait_for_url(lambda url: "/login?next=/scenarios/" in url)
    assert checker.errors == []
    page.context.close()
