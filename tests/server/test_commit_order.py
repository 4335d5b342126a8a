"""A write is in the store before its answer leaves the server.

FastAPI runs a `yield` dependency's exit code after the response has been sent unless the
dependency is function-scoped; the request's session commits there. The test wraps the app so
that, at the moment the response starts, another connection counts the scenarios: the one just
created must already be visible (a browser following a redirect, or a script reading right after
a 201, must see its own write).
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from tests.server.conftest import Server, scenario_yaml

from bastion.store.server_tables import ServerScenario


def test_the_write_commits_before_the_response_starts(server: Server) -> None:
    server.user("ana", "analyst", "LVA", "SECRET")
    token = server.token("ana")
    reader = create_engine(server.url)
    seen: list[int] = []

    async def watched(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def spy(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and scope.get("method") == "POST":
                with reader.connect() as connection:
                    seen.append(connection.execute(select(func.count()).select_from(ServerScenario)).scalar_one())
            await send(message)

        await server.app(scope, receive, spy)

    try:
        client = TestClient(watched, raise_server_exceptions=False)
        answer = client.post("/api/v1/scenarios", json={"yaml": scenario_yaml(), "message": "first"},
                             headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.text
        assert seen == [1]
    finally:
        reader.dispose()
