"""What a service raises when a request cannot be done: errors.py answers each in the one error
shape, and the request's unit of work rolls back whatever the request had done."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal a client can act on: `status`, a `message` for a person, a machine-readable
    `error` code, and for a 422 the `field` it concerns (or ready-made `errors`)."""

    status = 400
    error: str | None = None

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        field: str | None = None,
        location: str = "json",
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if error is not None:
            self.error = error
        if errors is None and field is not None:
            errors = {location: {field: [message]}}
        self.errors = errors
        self.headers = headers or {}


class NotFound(ServiceError):
    status = 404


class Unauthorized(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403
    error = "forbidden"


class Conflict(ServiceError):
    status = 409


class PreconditionFailed(ServiceError):
    status = 412
    error = "precondition_failed"


class Invalid(ServiceError):
    """422: the request is well-formed but names something unusable (a parent comment on
    another board, an unknown recipient, …); `field` says which."""

    status = 422
