"""The web app's pages without a browser (FastAPI's TestClient on a temporary SQLite store):
sessions, CSRF, the security headers, escaping, form errors, the YAML editor, uploads, roles."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion.server import ServerSettings, create_app
from bastion.server.db import Database
from bastion.server.jobs import work_once
from bastion.server.users import add_user
from bastion.server.web.pages import CSP
from bastion.store.server_tables import ApiToken, ScenarioRevision, ServerRun

PASSWORD = "correct horse battery"
HOSTILE = '<script>alert("x")</script>'


class Browser:
    """A TestClient with its own cookies, signed in as one user."""

    def __init__(self, app: object, name: str | None = None) -> None:
        self.client = TestClient(app, raise_server_exceptions=True)  # type: ignore[arg-type]
        self.csrf = ""
        if name is not None:
            self.sign_in(name)

    def sign_in(self, name: str, password: str = PASSWORD) -> object:
        page = self.client.get("/login")
        nonce = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert nonce is not None
        answer = self.client.post("/login", data={"username": name, "password": password, "csrf": nonce.group(1),
                                                  "next": "/scenarios"}, follow_redirects=False)
        if answer.status_code == 303:
            found = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/scenarios").text)
            assert found is not None
            self.csrf = found.group(1)
        return answer

    def post(self, url: str, **data: str) -> object:
        return self.client.post(url, data={"csrf": self.csrf, **data}, follow_redirects=False)

    def new(self, starter: str = "small-plant") -> str:
        answer = self.client.post("/scenarios/new", data={"csrf": self.csrf, "starter": starter, "message": "m"},
                                  follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"].rsplit("/", 1)[1])


def _app(folder: Path) -> tuple[object, Database]:
    url = f"sqlite:///{folder / 'store.sqlite'}"
    db = Database(url)
    with db.transaction() as session:
        for name, role, nation in (("ana", "analyst", "LVA"), ("eve", "analyst", "EST"), ("vic", "viewer", "LVA"),
                                   ("aud", "auditor", "LVA")):
            add_user(session, name, role, nation, "SECRET", PASSWORD)
    return create_app(ServerSettings(database_url=url, login_max_failures=3), db=db), db


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Database]]:
    """One store for the module: each test makes its own scenarios."""
    made = _app(tmp_path_factory.mktemp("web-pages"))
    yield made
    made[1].close()


def _revisions(db: Database, sid: str) -> int:
    with db.transaction() as session:
        return len(session.execute(select(ScenarioRevision).where(ScenarioRevision.scenario_id == sid)).all())


def test_pages_need_a_session_and_carry_the_security_headers(app: tuple[object, Database]) -> None:
    anonymous = Browser(app[0])
    answer = anonymous.client.get("/scenarios", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/scenarios"
    ana = Browser(app[0], "ana")
    sid = ana.new()
    for url in ("/login", "/scenarios", "/scenarios/new", f"/scenarios/{sid}", f"/scenarios/{sid}/edit/customers",
                f"/scenarios/{sid}/yaml", f"/scenarios/{sid}/diff?a=1&b=1", "/scenarios/nothing"):
        page = ana.client.get(url)
        assert page.headers["content-security-policy"] == CSP, url
        assert page.headers["x-frame-options"] == "DENY"
        assert "unsafe-inline" not in CSP and "script-src 'self'" in CSP
        # no inline script (only JSON data blocks), no style attribute: the policy would block them
        assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page.text) == [], url
        assert " style=" not in page.text, url
        assert page.text.count('class="marking screen-mark"') == 2, url


def test_session_cookie_is_http_only_strict_and_stored_hashed(app: tuple[object, Database]) -> None:
    ana = Browser(app[0])
    answer = ana.sign_in("ana")
    cookie = answer.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    token = ana.client.cookies["bastion_session"]
    with app[1].transaction() as session:
        hashes = set(session.execute(select(ApiToken.token_hash)).scalars())
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in hashes
    assert ana.post("/logout").status_code == 303  # type: ignore[attr-defined]
    ana.client.cookies.set("bastion_session", token)  # the old cookie no longer opens a page
    assert ana.client.get("/scenarios", follow_redirects=False).headers["location"].startswith("/login")


def test_sign_in_refusals(tmp_path: Path) -> None:
    app = _app(tmp_path)  # its own store: the failed sign-ins count against the test client's address
    client = Browser(app[0]).client
    no_form_token = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": "x"})
    assert no_form_token.status_code == 400 and "out of date" in no_form_token.text
    browser = Browser(app[0])
    for _ in range(3):
        wrong = browser.sign_in("ana", "wrong password")
        assert wrong.status_code == 401 and "wrong user name or password" in wrong.text  # type: ignore[attr-defined]
    limited = browser.sign_in("ana")
    assert limited.status_code == 429  # type: ignore[attr-defined]
    app[1].close()


def test_every_post_needs_the_csrf_token_and_saves_nothing_without_it(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    fields = {"base": "1", "f0": "150", "message": "forged"}
    for token in ("", "0" * 64):
        answer = ana.client.post(f"/scenarios/{sid}/edit/suppliers", data={**fields, "csrf": token})
        assert answer.status_code == 403 and "security token" in answer.text
    assert ana.client.post("/scenarios/new", data={"starter": "small-plant"}).status_code == 403
    assert ana.client.post(f"/scenarios/{sid}/runs", data={"paths": "5", "seed": "0"}).status_code == 403
    assert _revisions(app[1], sid) == 1
    eve = Browser(app[0], "eve")  # another session's token is no good either
    assert ana.client.post(f"/scenarios/{sid}/copy", data={"csrf": eve.csrf}).status_code == 403


def test_user_text_is_escaped(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    text = ana.client.get(f"/scenarios/{sid}/download.yaml").text
    hostile = text.replace('name: "Small plant (template)"', f"name: '{HOSTILE}'")
    saved = ana.post(f"/scenarios/{sid}/yaml", base="1", yaml=hostile, message=HOSTILE)
    assert saved.status_code == 303  # type: ignore[attr-defined]
    for url in ("/scenarios", f"/scenarios/{sid}"):
        page = ana.client.get(url).text
        assert HOSTILE not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_negative_capacity_is_named_next_to_its_field_and_nothing_is_saved(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    form = ana.client.get(f"/scenarios/{sid}/edit/suppliers").text
    index = re.search(r'name="(f\d+)" value="200" data-path="suppliers.parts-maker.supplies.part.capacity_per_month"',
                      form)
    assert index is not None
    answer = ana.post(f"/scenarios/{sid}/edit/suppliers", base="1", message="cut", **{index.group(1): "-5"})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    field = re.search(r'<div class="field invalid">(.*?)</div>', answer.text, re.S)  # type: ignore[attr-defined]
    assert field is not None
    assert 'value="-5"' in field.group(1) and "must be &gt;= 0, found -5" in field.group(1)
    assert _revisions(app[1], sid) == 1
    words = ana.post(f"/scenarios/{sid}/edit/suppliers", base="1", message="cut", **{index.group(1): "lots"})
    assert words.status_code == 422 and 'value="lots"' in words.text  # type: ignore[attr-defined]
    assert _revisions(app[1], sid) == 1


def test_a_saved_form_changes_only_its_line(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    form = ana.client.get(f"/scenarios/{sid}/edit/customers").text
    units = re.search(r'name="(f\d+)" value="1000" data-path="customers.army.targets\[0\].units"', form)
    assert units is not None
    saved = ana.post(f"/scenarios/{sid}/edit/customers", base="1", message="more", **{units.group(1): "1,200"})
    assert saved.status_code == 303  # type: ignore[attr-defined]
    diff = ana.client.get(f"/scenarios/{sid}/diff?a=1&b=2").text
    assert diff.count('<tr class="change changed">') == 1
    assert "units: 1200}" in diff and "units: 1000}" in diff
    stale = ana.post(f"/scenarios/{sid}/edit/customers", base="1", message="old form", **{units.group(1): "9"})
    assert stale.status_code == 409 and _revisions(app[1], sid) == 2  # type: ignore[attr-defined]


def test_yaml_editor_names_lines_and_keeps_the_text(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    text = ana.client.get(f"/scenarios/{sid}/download.yaml").text
    broken = text.replace("capacity_per_month: 100,", "capacity_per_month: -1,")
    line = next(n for n, row in enumerate(broken.splitlines(), start=1) if "capacity_per_month: -1" in row)
    answer = ana.post(f"/scenarios/{sid}/yaml", base="1", yaml=broken, message="bad")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert f'<a href="#L{line}">line {line}</a>: sites.plant.lines.line-1.capacity_per_month' in answer.text  # type: ignore[attr-defined]
    assert "capacity_per_month: -1," in answer.text and _revisions(app[1], sid) == 1  # type: ignore[attr-defined]


def test_workbook_download_uploads_again(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    book = ana.client.get(f"/scenarios/{sid}/download.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    answer = ana.client.post("/scenarios/upload", data={"csrf": ana.csrf, "message": "from Excel"},
                             files={"file": ("plant.xlsx", book.content)}, follow_redirects=False)
    assert answer.status_code == 303
    new = answer.headers["location"].rsplit("/", 1)[1]
    assert new != sid and "Small plant (template)" in ana.client.get(f"/scenarios/{new}").text
    bad = ana.client.post("/scenarios/upload", data={"csrf": ana.csrf}, files={"file": ("x.yaml", b"bastion: [")})
    assert bad.status_code == 422 and "x.yaml:" in bad.text


def test_roles(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    vic = Browser(app[0], "vic")
    assert vic.client.get(f"/scenarios/{sid}").status_code == 200
    assert "Start the run" not in vic.client.get(f"/scenarios/{sid}").text
    assert vic.client.get(f"/scenarios/{sid}/edit/suppliers").status_code == 403
    assert vic.post(f"/scenarios/{sid}/runs", paths="5", seed="0").status_code == 403  # type: ignore[attr-defined]
    assert vic.client.get("/audit").status_code == 403
    assert vic.client.get("/admin/users").status_code == 403
    assert Browser(app[0], "aud").client.get("/audit").status_code == 200


def test_run_pages_and_downloads(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    started = ana.post(f"/scenarios/{sid}/runs", paths="8", seed="3", confidence="")
    rid = started.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    progress = ana.client.get(f"/runs/{rid}/progress")
    assert 'hx-trigger="every 1s"' in progress.text and "queued" in progress.text
    assert ana.client.get(f"/runs/{rid}/report.xlsx").status_code == 409
    assert work_once(app[1])
    done = ana.client.get(f"/runs/{rid}/progress")
    assert done.headers["hx-refresh"] == "true" and "hx-trigger" not in done.text
    page = ana.client.get(f"/runs/{rid}")
    assert 'id="answer-will"' in page.text and "unsafe-inline" in page.headers["content-security-policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]
    record = ana.client.get(f"/runs/{rid}/run.json").json()
    assert record["paths"] == 8 and record["seed"] == 3 and record["classification"] == "UNCLASSIFIED // LVA ONLY"
    assert ana.client.get(f"/runs/{rid}/report.html").text.startswith("<!DOCTYPE html>")
    bad = ana.post(f"/scenarios/{sid}/runs", paths="0", seed="0", confidence="")
    assert bad.status_code == 422 and "paths: between 1 and 1,000,000" in bad.text  # type: ignore[attr-defined]
    eve = Browser(app[0], "eve")
    assert eve.client.get(f"/runs/{rid}/run.json").status_code == 404
    again = ana.post(f"/scenarios/{sid}/runs", paths="9", seed="3", confidence="")
    second = again.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    assert work_once(app[1])
    compared = ana.client.get(f"/runs/compare?run={second}&run={rid}")  # shown oldest first
    assert compared.status_code == 200
    assert f"Before: <a href=\"/runs/{rid}\">" in compared.text
    assert "Simulated futures (paths): 8 → <mark>9</mark>" in compared.text
    assert "no change" in compared.text and 'id="no-changes"' in compared.text  # same scenario text
    assert eve.client.get(f"/runs/compare?run={second}&run={rid}").status_code == 404
    assert ana.client.get(f"/runs/compare?run={rid}").status_code == 422


def _runs(db: Database, sid: str) -> list[ServerRun]:
    with db.transaction() as session:
        found = session.execute(select(ServerRun).where(ServerRun.scenario_id == sid)).scalars().all()
        session.expunge_all()
        return list(found)


def test_the_run_form_asks_a_plan_confidence_and_the_run_page_shows_it(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    form = ana.client.get(f"/scenarios/{sid}").text
    assert '<label for="run-confidence">Plan confidence (optional)</label>' in form
    assert 'aria-describedby="run-confidence-help"' in form and "Blank: the deterministic plan" in form
    for value, message in (("1.5", "between 0 and 1 (not 0 or 1)"), ("0", "between 0 and 1 (not 0 or 1)"),
                           ("-1", "between 0 and 1 (not 0 or 1)"), ("x", "a probability such as 0.9, or blank"),
                           ("nan", "between 0 and 1 (not 0 or 1)")):
        bad = ana.post(f"/scenarios/{sid}/runs", paths="5", seed="0", confidence=value, futures="10")
        assert bad.status_code == 422, value  # type: ignore[attr-defined]
        text = bad.text  # type: ignore[attr-defined]
        # the message sits in the confidence field's block, the field is marked and keeps its input
        field = text[text.index('<label for="run-confidence">'):text.index('<label for="run-futures">')]
        assert message in field and 'id="run-error"' in field, value
        assert 'aria-invalid="true"' in field and f'value="{value}"' in field, value
    too_many = ana.post(f"/scenarios/{sid}/runs", paths="5", seed="0", confidence="0.9", futures="2001")
    assert too_many.status_code == 422 and "futures: between 1 and 2,000" in too_many.text  # type: ignore[attr-defined]
    assert _runs(app[1], sid) == []  # nothing queued
    started = ana.post(f"/scenarios/{sid}/runs", paths="6", seed="2", confidence="0.85", futures="10")
    rid = started.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    [run] = _runs(app[1], sid)
    assert (run.id, run.confidence, run.futures, run.paths) == (rid, 0.85, 10, 6)
    queued = ana.client.get(f"/runs/{rid}").text
    assert '<span id="run-confidence">plan confidence 0.85 (10 sampled futures)</span>' in queued
    assert work_once(app[1])
    page = ana.client.get(f"/runs/{rid}").text
    assert "plan confidence 0.85 (10 sampled futures)" in page and 'id="chart-price-of-confidence"' in page
    assert ana.client.get(f"/runs/{rid}/run.json").json()["confidence"]["targets"][0]["requested"] == 0.85
    plain = ana.post(f"/scenarios/{sid}/runs", paths="5", seed="0", confidence="", futures="200")
    pid = plain.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    assert '<span id="run-confidence">no plan confidence asked</span>' in ana.client.get(f"/runs/{pid}").text
    assert work_once(app[1])  # the module's store keeps no queued job for the tests after this one
    listed = ana.client.get(f"/scenarios/{sid}").text
    assert f'<td class="num" id="conf-{rid}">0.85</td>' in listed
    assert f'<td class="num" id="conf-{pid}"><span class="hint">none</span></td>' in listed
    assert "price-of-confidence" not in ana.client.get(f"/runs/{pid}").text


def test_sharing_a_scenario_with_another_nation(app: tuple[object, Database]) -> None:
    ana, eve = Browser(app[0], "ana"), Browser(app[0], "eve")
    sid = ana.new()
    assert eve.client.get(f"/scenarios/{sid}").status_code == 404
    bad = ana.post(f"/scenarios/{sid}/releasability", base="1", level="RESTRICTED", releasable_to="estonia")
    assert bad.status_code == 422 and "releasability.releasable_to" in bad.text  # type: ignore[attr-defined]
    assert _revisions(app[1], sid) == 1
    shared = ana.post(f"/scenarios/{sid}/releasability", base="1", level="RESTRICTED", releasable_to="est ltu",
                      message="share with Estonia and Lithuania")
    assert shared.status_code == 303  # type: ignore[attr-defined]
    page = eve.client.get(f"/scenarios/{sid}")
    assert page.status_code == 200 and "RESTRICTED // REL TO LVA, EST, LTU" in page.text
    assert 'id="share"' not in page.text  # only the owner nation's analysts change it
    refused = eve.post(f"/scenarios/{sid}/releasability", base="2", level="UNCLASSIFIED", releasable_to="")
    assert refused.status_code == 403 and "owner nation" in refused.text  # type: ignore[attr-defined]
    assert _revisions(app[1], sid) == 2
    assert "RESTRICTED // REL TO LVA, EST, LTU" in eve.client.get("/scenarios").text
    # Another nation's analyst copies it (the API's copy): the copy keeps the owner and releasability.
    copied = eve.post(f"/scenarios/{sid}/copy")
    assert copied.status_code == 303  # type: ignore[attr-defined]
    copy = eve.client.get(copied.headers["location"]).text  # type: ignore[attr-defined]
    assert "RESTRICTED // REL TO LVA, EST, LTU" in copy and f"copy of {sid}@2" in copy


def test_audit_page_filters_and_shows_a_broken_chain(tmp_path: Path) -> None:
    from bastion.store.server_tables import AuditRecord

    app = _app(tmp_path)
    ana = Browser(app[0], "ana")
    sid = ana.new()
    aud = Browser(app[0], "aud")
    page = aud.client.get("/audit", params={"actor": "ana", "action": "create-scenario"}).text
    assert "✓ The chain verifies" in page and f"scenario:{sid}@1" in page
    assert "1 record match" in page and "login" not in page.split('<tbody>')[1]
    with app[1].transaction() as session:
        record = session.execute(select(AuditRecord).where(AuditRecord.action == "create-scenario")).scalar_one()
        record.actor, seq = "mallory", record.seq
    broken = aud.client.get("/audit").text
    assert f"✗ The chain is broken: audit record {seq}: edited" in broken
    app[1].close()


def test_a_study_from_the_scenario_page(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    sid = ana.new()
    refused = ana.post(f"/scenarios/{sid}/studies", vary="suppliers.nowhere.price=1,2", paths="5", seed="0")
    assert refused.status_code == 422 and "The study was not started" in refused.text  # type: ignore[attr-defined]
    nothing = ana.post(f"/scenarios/{sid}/studies", vary="", paths="5", seed="0")
    assert nothing.status_code == 422 and "nothing to vary" in nothing.text  # type: ignore[attr-defined]
    started = ana.post(f"/scenarios/{sid}/studies", paths="6", seed="1",
                       vary="suppliers.parts-maker.supplies.part.capacity_per_month=50,200")
    assert started.status_code == 303  # type: ignore[attr-defined]
    study = started.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    assert 'hx-get="/studies/' in ana.client.get(f"/studies/{study}").text
    assert work_once(app[1])
    page = ana.client.get(f"/studies/{study}").text
    rows = re.findall(r"<tr>(.*?)</tr>", page.split('id="variants"')[1].split("<tbody>")[1], re.S)
    assert len(rows) == 2  # the two capacities, each with its plan and P(met)
    assert "capacity_per_month=50" in rows[0] and "capacity_per_month=200" in rows[1]
    assert f'href="/studies/{study}"' in ana.client.get(f"/scenarios/{sid}").text
    assert ana.client.get(f"/studies/{study}/study.json").json()["marking"] == "UNCLASSIFIED // LVA ONLY"
    assert ana.client.get(f"/studies/{study}/report.xlsx").content[:2] == b"PK"
    assert Browser(app[0], "eve").client.get(f"/studies/{study}").status_code == 404


def test_the_web_session_is_the_apis_session(app: tuple[object, Database]) -> None:
    ana = Browser(app[0], "ana")
    answer = ana.client.get("/api/v1/session")
    assert answer.status_code == 200
    assert answer.json()["user"]["name"] == "ana" and answer.json()["csrf_token"] == ana.csrf
    token = ana.client.cookies["bastion_session"]
    assert ana.post("/logout").status_code == 303  # type: ignore[attr-defined]
    ana.client.cookies.set("bastion_session", token)  # signed out: the API refuses the old cookie too
    assert ana.client.get("/api/v1/session").status_code == 401
