"""Login rate limiting (Flask-Limiter): attempts counted per client address and submitted username.

Keyed by both, so that one address guessing one account is stopped, while another account from
the same address (a shared office NAT) is not. Counters live in Redis when REDIS_URL is set, so
that every instance shares them; in memory otherwise (per process).
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from errors import ErrorSchema, error_response
from models import User

LOGIN_ENDPOINT = "Auth.Login"
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the next attempt",
        "schema": {"type": "integer", "minimum": 1},
        "required": True,
    }
}
RATE_LIMITED_DOC = {
    "schema": ErrorSchema,
    "description": "Too many login attempts for this username from this address (error: rate_limited).",
    "headers": RETRY_AFTER_HEADER,
}


def login_key() -> str:
    """Client address + the account tried: its id when the name (username or email) is known, so
    that switching between username and email buys no extra attempts; else the name lower-cased
    like the lookup does, hashed (the body is not validated yet and a key must stay small).
    """
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # absurdly deep JSON: the view answers it with a 422
        body = None
    username = body.get("username") if isinstance(body, dict) else None
    name = username.strip().lower() if isinstance(username, str) else ""
    user = User.find_by_login(name) if 0 < len(name) <= 254 and _encodable(name) else None
    if user is not None:
        return f"{get_remote_address()}/user:{user.id}"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{get_remote_address()}/name:{digest}"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def scope_hooks_to_endpoints(app: Flask, limiter: Limiter, endpoints: set[str]) -> None:
    """Run Flask-Limiter's request hooks for the limited views only instead of for every request.

    This app limits a few views, each decorated (the decorator checks its limit itself); the hooks
    would otherwise look for limits on every request (~50 µs each: a tenth of GET /auth/me). They
    run under the views' blueprints, and within those for the limited endpoints only.
    """

    def owned(hook: Any) -> bool:
        return getattr(hook, "__self__", None) is limiter or limiter in getattr(hook, "args", ())

    def for_limited(hook: Any, *, returns_response: bool) -> Any:
        @functools.wraps(hook)
        def scoped(*args: Any) -> Any:
            if request.endpoint in endpoints:
                return hook(*args)
            return args[0] if returns_response else None  # an after_request hook passes it on

        return scoped

    blueprints = {endpoint.split(".")[0] for endpoint in endpoints}
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks = registry.get(None, [])
        passes = registry is app.after_request_funcs
        mine = [for_limited(hook, returns_response=passes) for hook in hooks if owned(hook)]
        registry[None] = [hook for hook in hooks if not owned(hook)]
        for blueprint in blueprints:
            registry.setdefault(blueprint, []).extend(mine)


def init_rate_limits(app: Flask) -> Limiter:
    """One limiter per app (its own storage), limiting the login view only."""
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=app.config.get("REDIS_URL") or "memory://",
        # A sliding window: no burst of twice the limit across a window boundary.
        strategy="moving-window",
        key_prefix="board-api-login",
        # A Redis outage must not take logins down: count in memory until it is back.
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    scope_hooks_to_endpoints(app, limiter, {LOGIN_ENDPOINT})
    limit = limiter.limit(login_limit, key_func=login_key)
    app.view_functions[LOGIN_ENDPOINT] = limit(app.view_functions[LOGIN_ENDPOINT])

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded) -> Response:
        response = error_response(429, "Too many login attempts: wait before trying again.", "rate_limited")
        current = limiter.current_limit
        # The window's own reset time: RequestLimit.reset_at rounds it up by a whole second.
        reset_at = current.window[0] if current else time.time() + 60
        response.headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
        return response

    return limiter
