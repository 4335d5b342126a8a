"""Fuzzing the whole API from its OpenAPI description (schemathesis), on SQLite and PostgreSQL.

Every operation of `/api/v1/openapi.json` gets a few generated requests, valid ones (positive)
and ones that break the schema (negative), sent by an authenticated analyst and by an
unauthenticated client. Each answer must pass schemathesis's checks: never a 5xx, a status the
operation documents, the documented content type, a body and headers matching the response
schema, and (positive) auth that is not ignored.

Two checks are left out, for reasons of the API's design rather than of its bugs:
- `positive_data_acceptance` on the operations whose body is scenario text or a study: a string
  that is valid for the schema is usually not a valid scenario (or study variant), and the
  loader's 422 is the right answer.
- `negative_data_rejection`: the analyst's `Authorization` header is sent with every request, so
  a case whose mutation is "no Authorization header" is (rightly) accepted; and a scalar query
  parameter repeated (`?status=a&status=b`) takes its last value, as FastAPI does by design.

The budget is small (`EXAMPLES` per operation and mode, derandomised, no deadline) so that the
test stays within seconds; the property tests in test_fuzz.py go deeper on ids and bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from tests.server.conftest import BACKENDS, Server, module_server, scenario_yaml

EXAMPLES = 3
SCENARIO_BODIES = {
    "POST /api/v1/scenarios",
    "POST /api/v1/scenarios/{scenario_id}/revisions",
    "POST /api/v1/scenarios/validate",
    "POST /api/v1/studies",  # a study's variants are checked against the scenario: 422 naming each
}


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with module_server(request, tmp_path_factory, "schema-fuzz") as server:
        server.user("ana", "analyst", "LVA", "SECRET")
        server.user("aud", "auditor", "LVA", "SECRET")
        # Tokens first: the fuzzing's failed logins soon rate-limit the test client's address.
        server.token("ana"), server.token("aud")
        sid = server.create("ana", scenario_yaml())
        server.client.post("/api/v1/runs", json={"scenario_id": sid}, headers=server.headers("ana"))
        yield server


def _check(
    operation: Any, mode: GenerationMode, headers: dict[str, str], excluded: list[Callable[..., Any]]
) -> Callable[[], None]:
    """A hypothesis test sending `EXAMPLES` generated requests of one operation and mode."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        case.validate_response(case.call(headers=headers), excluded_checks=excluded)

    return check  # type: ignore[no-any-return]


def fuzz(server: Server, headers: dict[str, str], modes: tuple[GenerationMode, ...]) -> list[str]:
    """Run every operation of the schema; the failures, one text per operation and mode."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", server.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # the whole API, not an empty schema
    for operation in operations:
        excluded: list[Callable[..., Any]] = [negative_data_rejection]
        if operation.label in SCENARIO_BODIES:
            excluded.append(positive_data_acceptance)
        for mode in modes:
            try:
                _check(operation, mode, headers, excluded)()
            except Unsatisfiable:  # an operation with nothing to break (no parameters, no body)
                continue
            except Exception as error:
                failures.append(f"{operation.label} ({mode.value}): {error}")
            except BaseExceptionGroup as group:  # schemathesis reports its checks' failures as a group
                failures.append(f"{operation.label} ({mode.value}): {group}")
    return failures


def test_the_api_conforms_to_its_schema_for_an_analyst(world: Server) -> None:
    assert fuzz(world, world.headers("ana"), (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)) == []


def test_the_api_conforms_to_its_schema_without_credentials(world: Server) -> None:
    assert fuzz(world, {}, (GenerationMode.POSITIVE,)) == []


def test_nul_characters_are_refused_with_a_4xx(world: Server) -> None:
    """PostgreSQL's text cannot hold NUL: every free text the API takes refuses it (a 500 before)."""
    c, h = world.client, world.headers("ana")
    sid = world.create("ana", scenario_yaml("Nul"))
    answers = {
        "search": c.get("/api/v1/scenarios?name=a%00b", headers=h),
        "audit": c.get("/api/v1/audit?actor=a%00b", headers=world.headers("aud")),
        "token": c.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "password"}),
        "session": c.post("/api/v1/session", json={"username": "ana", "password": "a\x00b"}),
        "message": c.post("/api/v1/scenarios", json={"yaml": scenario_yaml(), "message": "a\x00"}, headers=h),
        "upload": c.post(
            "/api/v1/scenarios", files={"file": ("s.yaml", scenario_yaml())}, data={"message": "\x00"}, headers=h
        ),
        "copy": c.post(f"/api/v1/scenarios/{sid}/copy", json={"message": "\x00"}, headers=h),
        "yaml": c.post("/api/v1/scenarios", json={"yaml": scenario_yaml() + "# \x00\n"}, headers=h),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 422)
