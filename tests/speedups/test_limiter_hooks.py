"""speedups/limiter_hooks.py: Flask-Limiter's hooks, found as expected with the pinned version,
run for the limited endpoints only, in their place; left alone when Flask-Limiter changed. (That
the answers stay the same: tests/speedups/test_install.py.)"""

from __future__ import annotations

import flask_limiter
from flask import Flask

from security.rate_limits import limited_endpoints
from speedups import limiter_hooks
from tests.conftest import make_app


def hook_names(app: Flask) -> tuple[list[str], list[str], list[str]]:
    return tuple(  # type: ignore[return-value]
        [getattr(hook, "__name__", type(hook).__name__) for hook in registry.get(None, [])]
        for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    )


# The app's request hooks (before, after, teardown), with Flask-Limiter's own and without.
AFTER = ["mark_token_dependence", "html_under_manage", "retry_after_on_429s_only", "{}", "give_back"]
WITHOUT = (
    ["check_content_length", "_check_request_limit"],
    [name.format("partial") for name in AFTER],
    ["__release_context"],
)
WITH = (["check_content_length"], [name.format("limiter_headers") for name in AFTER], ["limiter_teardown"])


def test_the_hooks_run_where_limited_only_in_their_place(tmp_path) -> None:
    """Flask runs after_request hooks last first: the give-back, the limiter's headers, then
    `retry_after_on_429s_only`."""
    on = make_app(f"sqlite:///{tmp_path / 'on.db'}", SPEEDUPS="on")
    off = make_app(f"sqlite:///{tmp_path / 'off.db'}", SPEEDUPS="off")
    assert (hook_names(on), hook_names(off)) == (WITH, WITHOUT)
    assert {"Auth.Login", "Auth.Register", "Messages.Messages"} <= limited_endpoints(on)


def test_left_alone_when_flask_limiter_changed(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.setattr(flask_limiter, "__version__", "5.0.0")
    app = make_app(f"sqlite:///{tmp_path / 'next.db'}", SPEEDUPS="on")
    assert "limiter_hooks" not in app.extensions["speedups"]
    assert "Flask-Limiter changed" in caplog.text
    assert hook_names(app) == WITHOUT


def test_left_alone_when_a_hook_is_not_found_once(tmp_path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'twice.db'}", SPEEDUPS="off")
    (limiter,) = app.extensions["limiter"]
    app.before_request(limiter._check_request_limit)  # a second one: not what this code knows
    assert limiter_hooks.install(app) is False
    assert hook_names(app) == (WITHOUT[0] + ["_check_request_limit"], *WITHOUT[1:])
