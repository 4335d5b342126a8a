"""Random ids, query values and bodies on every route: always a 4xx or a success, never a 500.

(Property tests with hypothesis; test_schema_fuzz.py fuzzes every operation from the OpenAPI schema.)
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.server.conftest import Server, scenario_yaml

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
SEGMENT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=80).map(lambda text: quote(text, safe=""))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Server:
    server = Server(f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'fuzz.sqlite'}")
    server.user("ana", "analyst", "LVA", "SECRET")
    server.create("ana", scenario_yaml())
    return server


def ok(status: int) -> bool:
    return status < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segment=SEGMENT, number=st.integers(min_value=-(2**70), max_value=2**70))
def test_odd_path_segments(world: Server, segment: str, number: int) -> None:
    h = world.headers("ana")
    for path in (
        f"/api/v1/scenarios/{segment}",
        f"/api/v1/scenarios/{segment}/revisions",
        f"/api/v1/scenarios/{segment}/revisions/{number}",
        f"/api/v1/runs/{segment}",
        f"/api/v1/runs/{segment}/report.html",
    ):
        assert ok(world.client.get(path, headers=h).status_code), path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSONISH)
def test_odd_json_bodies(world: Server, body: object) -> None:
    h = world.headers("ana")
    for path in ("/api/v1/scenarios", "/api/v1/runs"):
        answer = world.client.post(path, json=body, headers=h)
        assert ok(answer.status_code) and answer.status_code != 201, (path, answer.text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=st.text(max_size=300), password=st.text(max_size=300), token=st.text(max_size=300))
def test_odd_logins_and_tokens(world: Server, username: str, password: str, token: str) -> None:
    answer = world.client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code in (401, 422, 429)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        status = world.client.get("/api/v1/scenarios", headers=headers).status_code
    except UnicodeEncodeError:
        return  # not sendable as a header at all
    assert status == 401
