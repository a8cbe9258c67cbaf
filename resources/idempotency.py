"""`Idempotency-Key` on the creates (POST /boards, POST /boards/<id>/comments, POST /messages).

A client that sends a create and never sees the answer (a timeout, a lost connection, a worker
killed after the commit) cannot tell whether it happened. With a key (1 to 255 printable ASCII
characters, unique per request it means) it sends the same request again, safely:
- the same key, from the same user, with the same request (method, path, body as JSON) within
  24 hours: nothing new is created; the first answer comes again (status, body, Location, ETag),
  with `Idempotent-Replayed: true`;
- the same key with another request: 422 (`idempotency_key_reused`);
- while the first request with the key still runs: 409 (`idempotency_key_in_progress`);
- a request that failed (404, 422, a database outage) created nothing and leaves no key behind:
  it may be sent again with the same key.

How (models/idempotency_key.py): the key's row is reserved in a short transaction of its own,
committed before the create starts, so that a second request sees it in progress; the answer is
stored in the create's own transaction (`created`), so that both are committed or neither.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import Response, g, jsonify, request
from flask_jwt_extended import get_current_user
from flask_smorest import Blueprint, abort
from sqlalchemy.exc import IntegrityError

from db import commit, rollback, utcnow
from errors import ErrorSchema, error_body
from models import idempotency_key as keys
from resources.json_bodies import read_body
from resources.openapi_examples import more_validation_examples

F = TypeVar("F", bound=Callable[..., Any])

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(rf"[\x20-\x7e]{{1,{keys.MAX_KEY_LENGTH}}}")
STORED_HEADERS = ("Location", "ETag")
_RESERVATION = "_board_api_idempotency_reservation"

MALFORMED = f"1 to {keys.MAX_KEY_LENGTH} printable ASCII characters."
REUSED = "This Idempotency-Key was sent with another request: use a new key for a new request."
IN_PROGRESS = "A request with this Idempotency-Key is still running: try again in a moment."
REUSED_ERRORS = {"headers": {HEADER: [REUSED]}}
MALFORMED_ERRORS = {"headers": {HEADER: [MALFORMED]}}
IN_PROGRESS_BODY = error_body(409, IN_PROGRESS, "idempotency_key_in_progress")

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Makes a retry safe: the same key with the same request within 24 hours creates "
    "nothing new and answers the first answer again (with `Idempotent-Replayed: true`); the same "
    "key with another request is a 422, and while the first request still runs a 409. Keys are "
    "per user; a request that failed leaves no key behind.",
    "schema": {"type": "string", "minLength": 1, "maxLength": keys.MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
    "example": "3f2c8e0a-9b7d-4c1e-8a6f-0d5b2e7c9a41",
}
REPLAYED_DOC = {
    REPLAYED_HEADER: {
        "description": "`true` on the answer to a repeated Idempotency-Key: nothing new was created",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


@dataclass(frozen=True)
class Reservation:
    key_id: int
    lease: str


def idempotent(blp: Blueprint) -> Callable[[F], F]:
    """Honour Idempotency-Key on a create view, which answers with `created(...)`. Put it right
    above the view (below @blp.arguments): the token and the body are checked first."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            if not KEY_PATTERN.fullmatch(key):
                abort(422, errors=MALFORMED_ERRORS)
            replay = _reserve(get_current_user().id, key, _request_hash())
            if replay is not None:
                return replay
            try:
                return view(*args, **kwargs)
            except BaseException:
                _release()
                raise

        examples = {
            "idempotency_key_reused": error_body(422, REUSED, "idempotency_key_reused", REUSED_ERRORS),
            "idempotency_key_malformed": error_body(422, errors=MALFORMED_ERRORS),
        }
        documented = blp.alt_response(
            409,
            schema=ErrorSchema,
            description="A request with this Idempotency-Key is still running (error: "
            "idempotency_key_in_progress).",
            example=IN_PROGRESS_BODY,
        )(more_validation_examples(blp, examples)(blp.doc(parameters=[HEADER_DOC])(view)))
        # The documentation those decorators gathered, without the layer of calls each of them
        # adds around the view (this is the hot path of every create).
        wrapper._apidoc = documented._apidoc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def created(body: dict[str, Any], headers: dict[str, str]) -> Response:
    """The 201 of a create, committed, with its answer kept under the request's Idempotency-Key
    (if one was sent) in the same transaction."""
    response = jsonify(body)
    response.status_code = 201
    response.headers.update(headers)
    reservation: Reservation | None = g.get(_RESERVATION)
    if reservation is not None:
        stored_headers = json.dumps({name: headers[name] for name in STORED_HEADERS if name in headers})
        text = response.get_data(as_text=True)
        if not keys.complete(reservation.key_id, reservation.lease, 201, text, stored_headers):
            # This request outran ABANDONED_AFTER and a retry took its key over: that one creates.
            rollback()
            _in_progress()
    commit()
    g.pop(_RESERVATION, None)
    return response


def _request_hash() -> str:
    """What makes two requests "the same": method, path, and the body as JSON (the body has been
    read and validated already, so it is JSON), whatever its key order or spacing."""
    body = read_body(request.get_data(cache=True)) if request.get_data(cache=True) else None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _reserve(user_id: int, key: str, request_hash: str) -> Response | None:
    """Reserve the key for this request (committed at once), or the answer a repeat gets."""
    lease = secrets.token_hex(16)
    now = utcnow()
    try:
        key_id = keys.reserve(user_id, key, request_hash, lease, now)
        commit()
    except IntegrityError:
        rollback()
        stored = keys.find(user_id, key)
        if stored is None:  # released (its request failed) a moment ago: sending again works
            _in_progress()
        if stored.created_at < now - keys.KEPT_FOR or (
            stored.status is None and stored.created_at < now - keys.ABANDONED_AFTER
        ):
            # An answer older than a day is forgotten; a reservation this old, abandoned.
            if not keys.take_over(stored, request_hash, lease, now):
                rollback()
                _in_progress()
            key_id = stored.id
            commit()
        elif stored.request_hash != request_hash:
            abort(422, message=REUSED, error="idempotency_key_reused", errors=REUSED_ERRORS)
        elif stored.status is None:
            _in_progress()
        else:
            return _replay(stored)
    setattr(g, _RESERVATION, Reservation(key_id, lease))
    return None


def _replay(stored: keys.StoredKey) -> Response:
    response = Response(stored.response_body, status=stored.status, mimetype="application/json")
    response.headers.update(json.loads(stored.response_headers or "{}"))
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _release() -> None:
    """The view failed: nothing was created, and its key is forgotten (in a transaction of its
    own, after the view's is rolled back). A release that fails too (the database is gone) leaves
    the reservation to be taken over once abandoned."""
    reservation: Reservation | None = g.pop(_RESERVATION, None)
    if reservation is None:
        return
    try:
        rollback()
        keys.release(reservation.key_id, reservation.lease)
        commit()
    except Exception:
        rollback()


def _in_progress() -> NoReturn:
    abort(409, message=IN_PROGRESS, error="idempotency_key_in_progress")
