"""Errors the services raise; the app turns each into its status with a JSON `detail`."""

from __future__ import annotations

from typing import Any


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
