"""Issue 19's "done when", literally: a new user on a fresh clone runs `bastion serve`, signs in
with the printed password and completes the journey in the browser, with nothing set up by the test.

The test starts `bastion serve` itself with an empty `BASTION_HOME` (no database URL, no user),
reads the one-time password from what the server prints, and then only clicks and types: sign in
as `admin`; the first page's form creates the analyst account and signs in as it; a new scenario
from the reference; a baseline run; in the suppliers form a negative capacity is refused next to its
field and nothing is saved; the fuze maker cut to 600 a month saved with a message; a run watched
to its end; targets short with the reason naming the fuze maker; the comparison with the baseline
run; the workbook and the report downloaded. Every page passes conftest's Checker (axe-core, the
marking on screen and printed, nothing wider than 1024 px, no console error).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import Checker, needs_browser, new_page, serving

pytestmark = needs_browser

FUZES = 'input[data-path="suppliers.fuze-works-de.supplies.fuze-assy.capacity_per_month"]'
PATHS = 20  # a modest run of the reference: a few seconds of simulation, the plan takes the rest


class Fresh:
    def __init__(self, base: str, printed: str) -> None:
        self.base = base
        self.printed = printed


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Fresh]:
    """`bastion serve` on an empty BASTION_HOME, as on a fresh clone; what it printed until it listened."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASTION_")}
    env["BASTION_HOME"] = str(home)
    log = tmp_path / "serve.log"
    with serving(env, log, cwd=tmp_path) as base:
        yield Fresh(base, log.read_text(errors="replace"))


def _run(page: Any, checker: Checker, name: str) -> str:
    page.get_by_label("Simulated futures (paths)").fill(str(PATHS))
    page.get_by_role("button", name="Start the run").click()
    page.wait_for_url("**/runs/*")
    if page.locator("#progress").count():  # the progress by stage, until the page turns into the report
        assert page.locator("#run-status").inner_text() in ("queued", "running", "done")
        checker.check(page, f"{name}-progress")
    page.locator("#answers").wait_for(timeout=240_000)
    checker.check(page, name)
    return str(page.url.rsplit("/", 1)[1])


def test_a_new_user_completes_the_journey_from_a_fresh_start(fresh: Fresh, browser: Any, checker: Checker) -> None:
    from openpyxl import load_workbook

    found = re.search(r"One-time password \(shown only now\): (\S+)", fresh.printed)
    assert found is not None, fresh.printed
    assert f"Sign in at {fresh.base}/ as admin" in fresh.printed  # where to go and as whom, printed beside it
    page = new_page(browser, checker)
    page.goto(fresh.base + "/")
    page.wait_for_url("**/login")
    checker.check(page, "sign-in", "UNCLASSIFIED")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(found.group(1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/scenarios")
    checker.check(page, "first-start", "UNCLASSIFIED")

    # The first page says what to do: create the analyst account that plans.
    page.get_by_label("Your user name").fill("planner")
    page.get_by_label("Your nation (ISO 3166-1 alpha-3, e.g. LVA)").fill("LVA")
    page.get_by_label("Your clearance").select_option("RESTRICTED")
    page.get_by_label("Password (8 or more characters)").fill("a long passphrase")
    page.get_by_label("The password again").fill("a long passphrase")
    page.get_by_role("button", name="Create my analyst account and sign in").click()
    page.wait_for_url("**/scenarios?welcome=1")
    assert page.locator("#who-name").inner_text() == "planner"
    assert page.locator("#who-nation").inner_text() == "LVA"
    checker.check(page, "welcome", "UNCLASSIFIED")

    page.locator("#start-hint").get_by_role("link", name="New scenario").click()
    page.get_by_label("The reference scenario", exact=False).check()
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/scenarios/*")
    scenario_url = page.url
    marking = "UNCLASSIFIED // LVA ONLY"
    checker.check(page, "reference", marking)
    assert page.locator("#scenario-name").inner_text() == "Baltic anti-tank mine plant (illustrative)"
    baseline = _run(page, checker, "run-baseline")
    assert "✓ Yes" in page.locator("#answer-will").inner_text()

    page.goto(scenario_url)
    page.get_by_role("link", name="Edit suppliers and supplies").click()
    assert page.locator(FUZES).input_value() == "1300"
    page.locator(FUZES).fill("-5")
    page.get_by_label("What changed and why", exact=False).fill("a negative capacity")
    page.get_by_role("button", name="Save as revision 2").click()
    field = page.locator(".field", has=page.locator(FUZES))
    assert "must be >= 0, found -5" in field.locator(".field-error").inner_text()
    assert page.locator(FUZES).input_value() == "-5"
    checker.check(page, "edit-error", marking)
    page.locator(FUZES).fill("600")
    page.get_by_label("What changed and why", exact=False).fill("fuze maker cut to 600 a month")
    page.get_by_role("button", name="Save as revision 2").click()
    page.wait_for_url("**saved=2")
    revisions = page.locator("#revisions").inner_text()
    assert "fuze maker cut to 600 a month" in revisions and "a negative capacity" not in revisions

    changed = _run(page, checker, "run-short")
    assert "✗ No:" in page.locator("#answer-will").inner_text()
    assert "Fuze assembly maker (DE)" in page.locator("#answer-why").inner_text()
    assert "now 600 a month" in page.locator("#answer-fix").inner_text()

    page.get_by_label("Compare with another run of this scenario").select_option(baseline)
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/runs/compare?*")
    checker.check(page, "compare", marking)
    assert page.locator("#outputs tr.changed").count() >= 1
    assert "capacity_per_month: 600" in page.locator("#changes").inner_text()

    page.goto(f"{fresh.base}/runs/{changed}")
    with page.expect_download() as xlsx:
        page.get_by_role("link", name="Download the workbook (XLSX)").click()
    assert len(load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes())).sheetnames) > 1
    with page.expect_download() as html:
        page.get_by_role("link", name="Download the report (HTML)").click()
    report = Path(html.value.path()).read_text("utf-8")
    assert marking in report and "Fuze assembly maker (DE)" in report
    assert checker.errors == []
    page.context.close()
