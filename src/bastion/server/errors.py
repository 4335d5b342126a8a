"""Errors the services raise; the app turns each into its status with a JSON `detail`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict


class ServiceError(Exception):
    """A request that cannot be served; `status` is the HTTP status."""

    status = 400

    def __init__(self, detail: Any) -> None:
        self.detail = detail
        super().__init__(str(detail))


class NotFound(ServiceError):
    """Missing, or not visible to the caller (the two are never told apart)."""

    status = 404


class Forbidden(ServiceError):
    status = 403


class Unauthorized(ServiceError):
    status = 401


class Invalid(ServiceError):
    status = 422


class TooManyAttempts(ServiceError):
    status = 429


class Conflict(ServiceError):
    status = 409


BAD_BODY: dict[int | str, dict[str, Any]] = {400: {"description": "A body that cannot be parsed (e.g. not UTF-8)"}}
"""The 400 that FastAPI answers for a body it cannot parse at all, documented on every route."""

STRICT_BODY = ConfigDict(extra="forbid", strict=True)
"""Every request body model's config: an unknown field is refused, and no value is coerced: a number
is a JSON number (never `true`/`false`, never text such as "5"; a whole number is fine where a
fraction is taken, and `5.0` where a whole number is, as JSON Schema's `integer` has it; `5.5` is
not), a boolean is `true`/`false`, a text is a JSON string. Each refusal is a 422 naming the field."""


def _whole(value: object) -> object:
    """A float with no fraction (`5.0`) as the int it is; anything else as given (strict validation follows)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WHOLE = BeforeValidator(_whole)
"""Put after an optional int's Field (`Annotated[int, Field(ge=1), WHOLE] | None`): there, a Field
given beside `Whole | None` would leave its bounds out of the JSON schema."""
Whole = Annotated[int, WHOLE]
"""A whole number in a strict request body (STRICT_BODY): a JSON integer, or a number such as `5.0`."""
