"""Fixtures for the server's tests: an app on a temporary SQLite store, users of every kind, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tests.store.conftest import BACKENDS, PostgresServer, postgres_server  # noqa: F401 (a fixture)

from bastion.server import ServerSettings, create_app
from bastion.server.db import Database
from bastion.server.users import add_user

PASSWORD = "correct horse battery"

SMALL = """\
bastion: 1
name: {name}
horizon: {{start: "2026-01", months: 24}}
items:
  widget: {{made: true, bom: {{part: 1}}}}
  part: {{made: false}}
suppliers:
  s1:
    country: LV
    supplies:
      part: {{price: 10, lead_time_months: 1, capacity_per_month: 1000}}
sites:
  p1:
    country: LV
    lines:
      l1: {{makes: [widget], capacity_per_month: 100, online: "2026-03", capex: 1000}}
customers:
  army:
    country: LV
    targets:
      - {{item: widget, by: "2027-06", units: 500}}
"""


def scenario_yaml(name: str = "Small plant", releasability: str | None = None) -> str:
    """A small valid scenario, with a `releasability` line when given (a YAML flow mapping)."""
    text = SMALL.format(name=name)
    return text if releasability is None else f"releasability: {releasability}\n{text}"


class Server:
    """An app on a temporary SQLite store, with helpers to add users and log in."""

    def __init__(self, url: str, **settings: int) -> None:
        self.url = url
        self.db = Database(self.url)
        self.app = create_app(ServerSettings(database_url=self.url, **settings), db=self.db)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self._tokens: dict[str, str] = {}
        self.run_of: dict[str, str] = {}
        """A run id per scenario id, for tests that need one."""

    def user(self, name: str, role: str, nation: str, clearance: str) -> str:
        with self.db.transaction() as session:
            add_user(session, name, role, nation, clearance, PASSWORD)
        return name

    def token(self, name: str) -> str:
        if name not in self._tokens:
            answer = self.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            self._tokens[name] = answer.json()["access_token"]
        return self._tokens[name]

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(name)}"}

    def create(self, author: str, yaml: str, message: str = "first") -> str:
        answer = self.client.post(
            "/api/v1/scenarios", json={"yaml": yaml, "message": message}, headers=self.headers(author)
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


class Databases:
    """Fresh empty databases on SQLite (a file) or on the session's PostgreSQL server; dropped at the end."""

    def __init__(self, backend: str, tmp: Path, request: pytest.FixtureRequest) -> None:
        self.backend, self.tmp, self.request = backend, tmp, request
        self.dropped: list[str] = []

    def new(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / f'server-{uuid.uuid4().hex[:8]}.sqlite'}"
        pg: PostgresServer = self.request.getfixturevalue("postgres_server")
        name = f"bastion_server_{uuid.uuid4().hex[:12]}"
        engine = create_engine(pg.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        self.dropped.append(name)
        return pg.url(name)

    def drop(self) -> None:
        if not self.dropped:
            return
        pg: PostgresServer = self.request.getfixturevalue("postgres_server")
        engine = create_engine(pg.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in self.dropped:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def make_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Servers on fresh stores, on SQLite and on PostgreSQL (skipped where its binaries are missing)."""
    databases = Databases(request.param, tmp_path, request)
    made: list[Server] = []

    def make(**settings: int) -> Server:
        server = Server(databases.new(), **settings)
        made.append(server)
        return server

    yield make
    for server in made:
        server.client.close()
        server.db.close()
    databases.drop()


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server()


@contextmanager
def module_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, label: str, **settings: int
) -> Iterator[Server]:
    """One server for a whole test module on the backend of `request.param` (a module-scoped fixture's)."""
    databases = Databases(request.param, Path(tmp_path_factory.mktemp(label)), request)
    server = Server(databases.new(), **settings)
    try:
        yield server
    finally:
        server.client.close()
        server.db.close()
        databases.drop()
