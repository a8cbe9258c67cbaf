"""The one error shape of the whole API, and the handlers that produce it."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from marshmallow import Schema, fields
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from db import rollback
from services.errors import ServiceError

log = logging.getLogger(__name__)

DEFAULT_MESSAGES = {
    404: "The requested resource was not found.",
    405: "The method is not allowed for the requested URL.",
    413: "The request body is too large.",
    422: "The request failed validation; see 'errors' for details.",
    500: "The server hit an unexpected error.",
    503: "The database is unavailable; try again shortly.",
}


class ErrorSchema(Schema):
    code = fields.Integer(
        required=True,
        metadata={"description": "HTTP status code", "format": "int32", "minimum": 400, "maximum": 599},
    )
    status = fields.String(required=True, metadata={"description": "HTTP reason phrase"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person"})
    error = fields.String(
        required=True,
        metadata={"description": "Stable machine-readable code, e.g. token_expired", "example": "not_found"},
    )
    errors = fields.Dict(metadata={"description": 'Field errors by location: {"json": {"field": ["…"]}}'})


def default_error_code(status: int) -> str:
    """`not_found`, `unprocessable_entity`, … from the reason phrase."""
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def error_body(
    status: int, message: str | None = None, error: str | None = None, errors: Any = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message or DEFAULT_MESSAGES.get(status) or HTTPStatus(status).description,
        "error": error or default_error_code(status),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def error_response(status: int, message: str | None = None, error: str | None = None) -> Response:
    response = jsonify(error_body(status, message, error))
    response.status_code = status
    return response


def handle_http_exception(exc: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Every HTTPException: flask_smorest.abort(...), webargs validation, 404, 405, 413, 500."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    # Werkzeug's own headers carry e.g. 405's Allow; its Content-Type is for an HTML page.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    errors = data.get("errors", data.get("messages"))
    return error_body(status, data.get("message"), data.get("error"), errors), status, headers


def handle_database_unavailable(exc: DBAPIError | PoolTimeoutError) -> tuple[dict[str, Any], int]:
    log.warning("database unavailable: %s", exc)
    rollback()
    return error_body(503, error="database_unavailable"), 503


def handle_redis_unavailable(exc: RedisConnectionError | RedisTimeoutError) -> tuple[dict[str, Any], int]:
    """Redis holds revocations (and rate limits) when configured: without it a token cannot be
    checked, and letting it through unchecked would honour revoked tokens."""
    log.warning("redis unavailable: %s", exc)
    message = "The token store is unavailable; try again shortly."
    return error_body(503, message, error="store_unavailable"), 503


def handle_service_error(exc: ServiceError) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A service's refusal (the request's unit of work has rolled back already)."""
    return error_body(exc.status, exc.message, exc.error, exc.errors), exc.status, exc.headers


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(PoolTimeoutError, handle_database_unavailable)
    app.register_error_handler(RedisConnectionError, handle_redis_unavailable)
    app.register_error_handler(RedisTimeoutError, handle_redis_unavailable)
