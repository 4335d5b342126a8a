"""Two users of different nations, the auditor and the administrator, in a real browser.

The second nation's analyst finds nothing of the first nation's unreleased scenario: not in the
list, not at its URL, not at its run's URL (the not-found page, the same as for an id that does
not exist); the auditor sees those attempts in the audit trail with the chain verified. The
administrator adds a user. Every page passes axe-core with no console error (conftest's Checker).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import Checker, Live, needs_browser, new_page, sign_in

pytestmark = needs_browser


def test_other_nation_sees_nothing_and_the_auditor_sees_the_attempts(
        live: Live, browser: Any, checker: Checker, tmp_path: Path) -> None:
    ana = new_page(browser, checker)
    sign_in(ana, live.base, "ana")
    ana.goto(live.base + "/scenarios/new")
    ana.get_by_label("Small plant (template)").check()
    ana.get_by_label("Message for revision 1").first.fill("Latvia only")
    ana.locator("#create-from").click()
    ana.wait_for_url("**/scenarios/*")
    scenario_url = ana.url
    sid = scenario_url.rsplit("/", 1)[1]
    ana.get_by_label("Simulated futures (paths)").fill("10")
    ana.locator("#start-run").click()
    ana.wait_for_url("**/runs/*")
    run_url = ana.url
    rid = run_url.rsplit("/", 1)[1]
    ana.goto(scenario_url)
    ana.get_by_text("Start a study").click()
    ana.get_by_label("Vary, one per line").fill("suppliers.parts-maker.supplies.part.capacity_per_month=50,200")
    ana.get_by_label("Paths per variant").fill("10")
    ana.locator("#start-study").click()
    ana.wait_for_url("**/studies/*")
    study_url = ana.url
    ana.locator("#variants").wait_for(timeout=120_000)  # htmx polls the progress, then reloads the page
    checker.check(ana, "study")
    assert ana.locator("#variants tbody tr").count() == 2
    ana.context.close()

    eve = new_page(browser, checker)
    sign_in(eve, live.base, "eve")
    assert eve.locator("#who-nation").inner_text() == "EST"
    assert sid not in eve.content()
    assert eve.locator("#scenarios").count() == 0 or "Small plant" not in eve.locator("#scenarios").inner_text()
    checker.check(eve, "other-nation-list", "UNCLASSIFIED")
    pages = {}
    missing = live.base + "/scenarios/0123456789abcdef"
    for name, url in (("scenario", scenario_url), ("run", run_url), ("run-progress", run_url + "/progress"),
                      ("edit", scenario_url + "/edit/suppliers"), ("study", study_url), ("missing", missing)):
        answer = eve.goto(url)
        assert answer is not None and answer.status == 404, (name, answer and answer.status)
        assert eve.locator("h1").inner_text() == "Not found"
        pages[name] = eve.locator("main").inner_text()
    assert len(set(pages.values())) == 1  # an invisible scenario reads exactly as a missing one
    checker.check(eve, "not-found")
    eve.context.close()

    aud = new_page(browser, checker)
    sign_in(aud, live.base, "aud")
    aud.get_by_role("link", name="Audit trail").click()
    assert aud.locator("#chain").inner_text().startswith("✓ The chain verifies")
    aud.get_by_label("Who").fill("eve")
    aud.get_by_label("Outcome").fill("not-found")
    aud.get_by_role("button", name="Filter").click()
    rows = aud.locator("#audit tbody tr").all_inner_texts()
    assert any(f"scenario:{sid}" in row for row in rows), rows
    assert any(f"run:{rid}" in row for row in rows), rows
    checker.check(aud, "audit")
    aud.goto(live.base + "/admin/users")
    assert aud.locator("h1").inner_text() == "Not allowed"
    aud.context.close()

    adm = new_page(browser, checker)
    sign_in(adm, live.base, "adm")
    assert "add an analyst" in adm.locator("#admin-hint").inner_text()
    adm.get_by_role("link", name="Users", exact=True).click()
    checker.check(adm, "users")
    adm.get_by_label("Name", exact=True).fill("lina")
    adm.locator("#new-role").select_option("viewer")
    adm.get_by_label("Nation (ISO alpha-3)").fill("LTU")
    adm.locator("#new-clearance").select_option("RESTRICTED")
    adm.get_by_label("Password (8 or more characters)").fill("a long enough password")
    adm.get_by_role("button", name="Add", exact=True).click()
    adm.wait_for_url("**/admin/users?done=*")
    assert "lina" in adm.locator("#users").inner_text()
    adm.get_by_label("Nation (ISO alpha-3)").fill("lt")
    adm.get_by_label("Name", exact=True).fill("bad")
    adm.get_by_label("Password (8 or more characters)").fill("a long enough password")
    adm.get_by_role("button", name="Add", exact=True).click()
    assert "ISO 3166-1 alpha-3" in adm.locator("#user-error").inner_text()
    adm.context.close()
    assert checker.errors == []
