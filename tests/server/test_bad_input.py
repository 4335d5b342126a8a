"""Bad input: a clear 4xx with a JSON `detail`, never a 500 and never a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from tests.server.conftest import Server, scenario_yaml


@pytest.fixture
def ana(server: Server) -> dict[str, str]:
    server.user("ana", "analyst", "LVA", "SECRET")
    return server.headers("ana")


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and 'File "' not in text


def test_an_oversized_body_is_413_before_it_is_parsed(make_server: Callable[..., Server]) -> None:
    server = make_server(max_upload_bytes=4096)
    server.user("ana", "analyst", "LVA", "SECRET")
    headers = server.headers("ana")
    big = scenario_yaml() + "#" * 5000
    answer = server.client.post("/api/v1/scenarios", json={"yaml": big}, headers=headers)
    assert answer.status_code == 413 and answer.json() == {"detail": "request body larger than 4096 bytes"}
    answer = server.client.post(
        "/api/v1/scenarios", files={"file": ("big.xlsx", b"PK" + b"\0" * 5000)}, headers=headers
    )
    assert answer.status_code == 413
    assert server.client.post("/api/v1/scenarios", json={"yaml": scenario_yaml()}, headers=headers).status_code == 201


def test_a_streamed_body_without_length_is_cut_at_the_limit(make_server: Callable[..., Server]) -> None:
    server = make_server(max_upload_bytes=4096)
    server.user("ana", "analyst", "LVA", "SECRET")

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    answer = server.client.post(
        "/api/v1/scenarios", content=chunks(), headers={**server.headers("ana"), "Content-Type": "application/json"}
    )
    assert answer.status_code == 413


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"yaml": 5}', "application/json"),
        (b'{"yaml": "x", "extra": 1}', "application/json"),
        (b"[]", "application/json"),
        (b"yaml: x", "text/plain"),
        (b"--nope\r\n", "multipart/form-data; boundary=zzz"),
        (b"", "multipart/form-data"),
    ],
)
def test_malformed_bodies_are_4xx(server: Server, ana: dict[str, str], body: bytes, content_type: str) -> None:
    answer = server.client.post("/api/v1/scenarios", content=body, headers={**ana, "Content-Type": content_type})
    assert 400 <= answer.status_code < 500, answer.text
    assert "detail" in answer.json() and no_traceback(answer.text)


@pytest.mark.parametrize(
    "yaml",
    [
        "a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
        "!!python/object/apply:os.system ['true']\n",
        "[" * 10_000,
        "\x00\x01",
        "just text",
    ],
    ids=["billion-laughs", "python-tag", "deep", "control", "scalar"],
)
def test_hostile_yaml_is_422(server: Server, ana: dict[str, str], yaml: str) -> None:
    answer = server.client.post("/api/v1/scenarios", json={"yaml": yaml}, headers=ana)
    assert answer.status_code == 422, answer.text
    assert no_traceback(answer.text)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/scenarios/1'%20OR%20'1'='1",
        "/api/v1/scenarios/%27%3B%20DROP%20TABLE%20users%3B--",
        "/api/v1/scenarios/" + "a" * 65,
        "/api/v1/scenarios/abc/revisions/0",
        "/api/v1/scenarios/abc/revisions/99999999999999999999",
        "/api/v1/scenarios/abc/revisions/-1",
        "/api/v1/audit?limit=0",
    ],
)
def test_odd_ids_are_4xx(server: Server, ana: dict[str, str], path: str) -> None:
    answer = server.client.get(path, headers=ana)
    assert answer.status_code in (403, 404, 422), answer.text
    assert no_traceback(answer.text)
    assert server.client.get("/api/v1/scenarios", headers=ana).status_code == 200  # the users table is still there


def test_a_login_form_that_is_missing_a_field_is_422(server: Server) -> None:
    answer = server.client.post("/api/v1/auth/token", data={"username": "ana"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "password"]
