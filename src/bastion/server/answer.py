"""A JSON answer serialised as FastAPI serialises an endpoint's return value under its response model.

`JsonAnswer(model)` validates a value by the model's type (`from_attributes`, as FastAPI does) and
dumps it with pydantic's core (`by_alias`), into a `Response` of `application/json`: the same bytes
FastAPI would send. An endpoint that returns it keeps its `response_model` for the OpenAPI schema;
FastAPI does not validate a returned `Response` again. For the hot read paths that answer from
inside their one trip through the thread pool (deps.authenticated_read).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter
from starlette.responses import Response

M = TypeVar("M")


class JsonAnswer(Generic[M]):
    """The answers of one response model (its validator and serialiser built once)."""

    def __init__(self, model: type[M]) -> None:
        self._adapter: TypeAdapter[M] = TypeAdapter(model)

    def __call__(self, content: Any, headers: dict[str, str] | None = None) -> Response:
        value = self._adapter.validate_python(content, from_attributes=True)
        return Response(self._adapter.dump_json(value, by_alias=True), media_type="application/json", headers=headers)
