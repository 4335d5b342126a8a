"""The auditors' page lists and counts only the records about scenarios they may see (docs/server.md)."""

from __future__ import annotations

from pathlib import Path

from tests.web.test_pages import Browser, _app


def test_the_audit_page_hides_and_does_not_count_records_about_unreleased_scenarios(tmp_path: Path) -> None:
    app, db = _app(tmp_path)
    try:
        mine = Browser(app, "ana").new()  # LVA only
        theirs = Browser(app, "eve").new()  # EST only
        page = Browser(app, "aud").client.get("/audit", params={"action": "create-scenario"}).text  # an LVA auditor
        assert f"scenario:{mine}@1" in page and theirs not in page
        assert "1 record match" in page
    finally:
        db.close()


def test_the_audit_page_reads_since_as_a_time_and_refuses_other_text(tmp_path: Path) -> None:
    app, db = _app(tmp_path)
    try:
        Browser(app, "ana").new()
        aud = Browser(app, "aud").client
        created = {"action": "create-scenario"}
        assert "1 record match" in aud.get("/audit", params={**created, "since": "2020-01-01T02:00+02:00"}).text
        assert "0 records match" in aud.get("/audit", params={**created, "since": "2999-01-01"}).text
        refused = aud.get("/audit", params={"since": "yesterday"})
        assert refused.status_code == 422 and "is not an ISO 8601 date or date-time" in refused.text
    finally:
        db.close()
