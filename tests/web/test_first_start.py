"""The first start without a browser: the administrator `bastion serve` creates on an empty store
signs in, and the scenarios page offers the one-step form that creates their analyst account and
signs them in as it (docs/web.md, "First start"). Roles are unchanged: the administrator still
cannot plan, and the form is gone as soon as an active analyst exists."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from tests.web.test_pages import Browser

from bastion.server import ServerSettings, create_app
from bastion.server.db import Database
from bastion.server.users import first_admin
from bastion.store.server_tables import AuditRecord, User


def _fresh(folder: Path) -> tuple[object, Database, str]:
    """An app on an empty store, and the administrator's one-time password (as `bastion serve` makes it)."""
    url = f"sqlite:///{folder / 'store.sqlite'}"
    db = Database(url)
    with db.transaction() as session:
        password = first_admin(session)
    assert password is not None
    return create_app(ServerSettings(database_url=url), db=db), db, password


def _users(db: Database) -> dict[str, tuple[str, str, str]]:
    with db.transaction() as session:
        return {u.name: (u.role, u.nation, u.clearance) for u in session.execute(select(User)).scalars()}


def test_first_start_creates_the_analyst_and_signs_in_as_it(tmp_path: Path) -> None:
    app, db, password = _fresh(tmp_path)
    admin = Browser(app)
    assert admin.sign_in("admin", password).status_code == 303  # type: ignore[attr-defined]
    page = admin.client.get("/scenarios")
    assert 'id="setup"' in page.text and "Create my analyst account and sign in" in page.text
    assert admin.client.post("/scenarios/new", data={"csrf": admin.csrf, "starter": "reference"}).status_code == 403

    differ = admin.post("/setup/analyst", name="me", nation="lva", clearance="SECRET", password="my password 1",
                        again="my password 2")
    assert differ.status_code == 422 and "the two passwords differ" in differ.text  # type: ignore[attr-defined]
    assert 'value="me"' in differ.text and 'value="LVA"' in differ.text  # type: ignore[attr-defined]
    assert "my password 1" not in differ.text  # type: ignore[attr-defined]
    bad_nation = admin.post("/setup/analyst", name="me", nation="Latvia", clearance="SECRET",
                            password="my password 1", again="my password 1")
    assert bad_nation.status_code == 422 and "ISO 3166-1 alpha-3" in bad_nation.text  # type: ignore[attr-defined]
    assert set(_users(db)) == {"admin"}  # nothing created by a refused form

    done = admin.post("/setup/analyst", name="me", nation="lva", clearance="SECRET", password="my password 1",
                      again="my password 1")
    assert done.status_code == 303 and done.headers["location"] == "/scenarios?welcome=1"  # type: ignore[attr-defined]
    assert _users(db) == {"admin": ("admin", "ZZZ", "UNCLASSIFIED"), "me": ("analyst", "LVA", "SECRET")}
    welcome = admin.client.get("/scenarios?welcome=1")
    assert re.search(r'id="who-name">me<', welcome.text) and 'id="welcome"' in welcome.text
    assert 'id="setup"' not in welcome.text and 'href="/scenarios/new"' in welcome.text
    found = re.search(r'name="csrf" value="([^"]+)"', welcome.text)
    assert found is not None
    admin.csrf = found.group(1)
    assert admin.client.post("/scenarios/new", data={"csrf": admin.csrf, "starter": "small-plant"},
                             follow_redirects=False).status_code == 303  # now an analyst: may create
    with db.transaction() as session:
        trail = [(r.actor, r.action, r.object, r.outcome) for r in session.execute(select(AuditRecord)).scalars()]
    assert ("admin", "add-user", "user:me", "ok") in trail
    assert ("admin", "logout", "admin", "ok") in trail and ("me", "login", "me", "success") in trail
    db.close()


def test_first_start_form_only_while_no_analyst_and_only_for_the_administrator(tmp_path: Path) -> None:
    app, db, password = _fresh(tmp_path)
    admin = Browser(app)
    admin.sign_in("admin", password)
    assert admin.post("/setup/analyst", name="me", nation="LVA", clearance="RESTRICTED", password="my password 1",
                      again="my password 1").status_code == 303  # type: ignore[attr-defined]
    me = admin  # signed in as the new analyst now
    again = me.client.post("/setup/analyst", data={"csrf": re.findall(r'name="csrf" value="([^"]+)"',
                                                                    me.client.get("/scenarios").text)[0],
                                                   "name": "other", "nation": "EST", "clearance": "SECRET",
                                                   "password": "x" * 10, "again": "x" * 10}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/admin/users"  # nothing made by an analyst
    second = Browser(app)
    second.sign_in("admin", password)
    page = second.client.get("/scenarios")
    assert 'id="setup"' not in page.text and 'id="admin-hint"' in page.text  # an analyst exists: the usual hint
    late = second.post("/setup/analyst", name="late", nation="EST", clearance="SECRET", password="y" * 10,
                       again="y" * 10)
    assert late.status_code == 303 and late.headers["location"] == "/admin/users"  # type: ignore[attr-defined]
    no_csrf = second.client.post("/setup/analyst", data={"name": "late", "nation": "EST", "clearance": "SECRET",
                                                         "password": "y" * 10, "again": "y" * 10})
    assert no_csrf.status_code == 403
    assert set(_users(db)) == {"admin", "me"}
    db.close()
