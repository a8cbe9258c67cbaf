"""Flask-Limiter's request hooks, only where they have something to do.

Flask-Limiter registers three hooks on the app, run on every request: before it, one that looks
for application-wide and default limits; after it, one that makes the conditional deductions and
adds the X-RateLimit-* headers; at teardown, one that resets its per-request state. This API has
no application-wide or default limits (each limited view checks its own, see
security/rate_limits.py), and the other two only act on a request whose view checked a limit.
So the first hook goes, and the other two run for the limited endpoints only, in the same place
among the app's hooks.

The hooks are found by what they are bound to (the limiter), which Flask-Limiter does not
promise: this applies only to Flask-Limiter 4, when each hook is found exactly once; otherwise
the hooks stay as they are (slower, the same answers) with a warning.
"""

from __future__ import annotations

from typing import Any

import flask_limiter
from flask import Flask, Response, request
from flask_limiter import Limiter

import speedups
from security.rate_limits import limited_endpoints

MAJOR_VERSION = "4."


def _owned_by(limiter: Limiter, hook: Any) -> bool:
    return getattr(hook, "__self__", None) is limiter or limiter in getattr(hook, "args", ())


def _hooks(app: Flask, limiter: Limiter) -> list[tuple[list[Any], int]] | None:
    """(list, index) of the limiter's before, after and teardown hooks; None unless each is
    there exactly once."""
    found = []
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks = registry.get(None, [])
        places = [index for index, hook in enumerate(hooks) if _owned_by(limiter, hook)]
        if len(places) != 1:
            return None
        found.append((hooks, places[0]))
    return found


def install(app: Flask) -> bool:
    limiters = app.extensions.get("limiter", set())
    if len(limiters) != 1:
        return False
    (limiter,) = limiters
    found = _hooks(app, limiter) if flask_limiter.__version__.startswith(MAJOR_VERSION) else None
    if found is None:
        speedups.log.warning("Flask-Limiter changed: its hooks run on every request (slower).")
        return False
    endpoints = limited_endpoints(app)
    (before, at_before), (after, at_after), (teardown, at_teardown) = found
    inject_headers, release_context = after[at_after], teardown[at_teardown]

    def limiter_headers(response: Response) -> Response:
        return inject_headers(response) if request.endpoint in endpoints else response

    def limiter_teardown(exc: BaseException | None) -> None:
        if request.endpoint in endpoints:
            release_context(exc)

    del before[at_before]
    after[at_after] = limiter_headers
    teardown[at_teardown] = limiter_teardown
    return True
