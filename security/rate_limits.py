"""Rate limits (Flask-Limiter): each a 429 `rate_limited` with Retry-After and the
X-RateLimit-* headers, each configurable and documented in the OpenAPI document.

A resource limits an operation with `@rate_limit(blp, RateLimit(...))` on its view method (the
limits of logins, registrations, refreshes and password changes are in security/auth_limits.py;
docs/rate-limits-and-passwords.md shows how to add one). Counters live in Redis when REDIS_URL is
set, so that every instance shares them; otherwise in a SQLite file that every worker process of
the instance shares (security/rate_limit_store.py); in memory during a Redis outage (per process), so that an
outage never turns logins into errors.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from jwt import InvalidTokenError

from errors import ErrorSchema, error_body, error_response
from security.rate_limit_store import SCHEME, release_entry
from security.revocation_stores import redis_options

RATE_LIMITS_ATTRIBUTE = "_rate_limits"
RESERVATIONS = "_rate_limit_reservations"  # in flask.g: (counts, key, shared) of this request
RETRY_AFTER = "_rate_limit_retry_after"  # in flask.g: the 429's own Retry-After
LIMITED_ENDPOINTS = "board_api.limited_endpoints"
DEFAULT_FILE_NAME = "rate-limits.sqlite3"
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": {
        "description": "Requests allowed in the window of the limit that applies",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in that window",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "When the window frees a request again (Unix time, seconds)",
        "schema": {"type": "integer"},
    },
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the next attempt",
        "schema": {"type": "integer", "minimum": 1},
        "required": True,
    }
}


@dataclass(frozen=True)
class RateLimit:
    """One limit of one operation.

    - `setting`: the config key holding the limit, in Flask-Limiter's notation (`5 per minute`);
    - `what`: what is counted, for the OpenAPI document;
    - `message`: the 429's message;
    - `key`: who is counted (default: the client address);
    - `shared`: a bucket name, for one budget spent by several operations (each operation has
      its own otherwise);
    - `counts`: when given, only responses for which it is true use the budget (e.g. failed
      logins): the request takes its place in the budget before the view runs, atomically, and
      gives it back when the response does not count; otherwise every request counts;
    - `applies`: when given, the limit is skipped for requests for which it is false.
    """

    setting: str
    what: str
    message: str
    key: Callable[[], str] = get_remote_address
    shared: str | None = None
    counts: Callable[[Response], bool] | None = None
    applies: Callable[[], bool] | None = None


def rate_limit(blp: Any, *limits: RateLimit) -> Callable[[Any], Any]:
    """Decorate a view method with its limits (applied per app by init_rate_limits), and document
    the 429 and its headers; also pass `headers=RATE_LIMIT_HEADERS` to the method's blp.response.
    Its place among the method's decorators does not matter: the limits wrap the whole view, so an
    exhausted budget answers 429 before the token or the body is even read."""

    def decorator(fn: Any) -> Any:
        documented = blp.alt_response(
            429,
            schema=ErrorSchema,
            description="Too many attempts (error: rate_limited). Limits: "
            + "; ".join(f"{limit.what} (`{limit.setting}`)" for limit in limits)
            + ".",
            headers={**RETRY_AFTER_HEADER, **RATE_LIMIT_HEADERS},
            example=error_body(429, limits[0].message, "rate_limited"),
        )(fn)
        return limited(*limits)(documented)

    return decorator


def limited(*limits: RateLimit) -> Callable[[Any], Any]:
    """The limits of a view method, undocumented: for pages outside the OpenAPI document (the
    manage pages). Applied by init_rate_limits like those of `rate_limit`."""

    def decorator(fn: Any) -> Any:
        # functools.wraps copies this attribute to every decorator stacked above.
        setattr(fn, RATE_LIMITS_ATTRIBUTE, (*getattr(fn, RATE_LIMITS_ATTRIBUTE, ()), *limits))
        return fn

    return decorator


def json_body() -> Any:
    """The request's JSON, or None: limits read it before the view validates it."""
    try:
        body = request.get_json(silent=True)
        data = request.get_data(cache=True)
        if body is None and data:
            # The app's reader refuses some bodies that still name an account (a lone surrogate,
            # a key given twice): the limit keys read them as the standard library does.
            body = json.loads(data)
    except (RecursionError, ValueError):  # unreadable or absurdly deep: the view answers a 422
        return None
    return body


def token_user_key() -> str:
    """`user:<id>` of the request's access token, for limits per user; the client address when the
    request has no usable one (the view answers 401 then). Limits run before the view verifies the
    token, so this decodes it (signature, expiry, type) without the revocation check."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        try:
            claims = decode_token(token.strip())
        except (InvalidTokenError, JWTExtendedException):
            claims = {}
        if claims.get("type") == "access" and claims.get("sub"):
            return f"user:{claims['sub']}"
    return get_remote_address()


def _limited_methods(view_func: Any) -> dict[str, tuple[RateLimit, ...]]:
    view_class = getattr(view_func, "view_class", None)
    methods = getattr(view_class, "methods", None) or ()
    found = {
        method: getattr(getattr(view_class, method.lower(), None), RATE_LIMITS_ATTRIBUTE, ())
        for method in methods
    }
    return {method: limits for method, limits in found.items() if limits}


def _apply(app: Flask, limiter: Limiter) -> set[str]:
    """Wrap every limited endpoint of this app in its Flask-Limiter limits; the endpoints."""
    limited = set()
    for endpoint, view_func in list(app.view_functions.items()):
        wrapped = view_func
        for method, limits in _limited_methods(view_func).items():
            for limit in limits:
                options: dict[str, Any] = {
                    "key_func": _reserving(limit) if limit.counts else limit.key,
                    "methods": [method],
                    "error_message": limit.message,
                    "exempt_when": (lambda applies=limit.applies: not applies()) if limit.applies else None,
                }
                provider = _setting(limit.setting)
                if limit.shared:
                    route_limit = limiter.shared_limit(provider, scope=limit.shared, **options)
                else:
                    # Per method: two limited methods of one endpoint never share a budget.
                    route_limit = limiter.limit(provider, per_method=True, **options)
                wrapped = route_limit(wrapped)
        if wrapped is not view_func:
            app.view_functions[endpoint] = wrapped
            limited.add(endpoint)
    return limited


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _reserving(limit: RateLimit) -> Callable[[], str]:
    """The key of a limit that counts by outcome, remembered for this request: Flask-Limiter takes
    its entry before the view (checking and counting in one atomic step, so that requests racing in
    cannot all pass), and give_back_uncounted returns it once the response shows it did not count."""

    def key() -> str:
        value = limit.key()
        g.setdefault(RESERVATIONS, []).append((limit.counts, value, limit.shared))
        return value

    return key


def give_back_uncounted(limiter: Limiter, response: Response) -> None:
    """Give back the entries that this request took for limits whose `counts` says no (a correct
    password, a 429 of another limit, a 5xx): only the outcomes that count stay counted."""
    reservations = g.pop(RESERVATIONS, None)
    if not reservations:
        return
    for taken in limiter.current_limits:
        if taken.breached:
            continue  # refused: it took nothing
        *_, key, scope = taken.request_args
        for counts, reserved_key, shared in reservations:
            if key == reserved_key and shared in (None, scope) and not counts(response):
                release_entry(limiter.limiter.storage, taken.key)


def limited_endpoints(app: Flask) -> frozenset[str]:
    """The endpoints of `app` that have limits (speedups/limiter_hooks.py runs Flask-Limiter's
    hooks for these alone)."""
    return app.extensions.get(LIMITED_ENDPOINTS, frozenset())


def init_rate_limits(app: Flask) -> Limiter:
    """One limiter per app (its own storage), applied to the operations decorated with rate_limit.
    Call it once every blueprint is registered."""
    redis_url = app.config.get("REDIS_URL")
    counters = Path(app.config.get("RATE_LIMIT_FILE") or Path(app.instance_path) / DEFAULT_FILE_NAME)
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=redis_url or f"{SCHEME}://{counters.resolve()}",
        # Short timeouts: a hung Redis costs a limited request about a second before the limiter
        # counts in memory (redis-py's defaults: 5 s, then again when it checks whether Redis is back).
        storage_options=redis_options(timeout=0.5) if redis_url else {},
        # A sliding window: no burst of twice the limit across a window boundary.
        strategy="moving-window",
        key_prefix="board-api",
        headers_enabled=True,
        # A Redis outage (or an unwritable counter file) must not take logins down: count in
        # memory until the storage is back.
        in_memory_fallback_enabled=True,
    )
    endpoints: set[str] = set()

    # Flask runs after_request hooks in the reverse order of registration: this one runs after
    # the limiter's own (registered by init_app), the next one before it.
    @app.after_request
    def retry_after_on_429s_only(response: Response) -> Response:
        """Retry-After on a 429 alone, the one its handler computed: Flask-Limiter adds it to every
        response of a limited endpoint, and may round it down to 0."""
        if request.endpoint in endpoints:
            retry_after = g.pop(RETRY_AFTER, None)
            if response.status_code == 429 and retry_after:
                response.headers["Retry-After"] = retry_after
            elif response.status_code != 429:
                response.headers.pop("Retry-After", None)
        return response

    limiter.init_app(app)

    @app.after_request
    def give_back(response: Response) -> Response:
        """Before the limiter's hook writes X-RateLimit-*: what this request did not use goes back."""
        if request.endpoint in endpoints:
            setattr(g, RETRY_AFTER, response.headers.get("Retry-After"))
            give_back_uncounted(limiter, response)
        return response

    endpoints.update(_apply(app, limiter))
    app.extensions[LIMITED_ENDPOINTS] = frozenset(endpoints)

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded) -> Response:
        response = error_response(429, exc.description, "rate_limited")
        current = limiter.current_limit
        # The window's own reset time: RequestLimit.reset_at rounds it up by a whole second.
        reset_at = current.window[0] if current else time.time() + 60
        response.headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
        return response

    return limiter
