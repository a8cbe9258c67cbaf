"""Speed-ups, each one measured (docs/performance.md, "Speed-ups") and each one optional.

`install(app)` puts them in place for one app. The setting SPEEDUPS=off leaves every one out and
the service answers exactly the same, only slower (the test suite runs both ways); a
comma-separated list of names installs only those, to measure one alone. Private interfaces of
other libraries are used here and nowhere else, each behind a check that they still look as this
code expects: when one does not, that speed-up is left out (logged), and a test fails.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

# Every speed-up of the app, by the name SPEEDUPS uses; then the server's own (gunicorn.conf.py).
APP = (
    "json",
    "jwt_parse",
    "query_cache",
    "pagination_dict",
    "limiter_hooks",
    "sqlite_text",
    "sqlite_writers",
)
ALL = (*APP, "access_log")
EXTENSION = "speedups"

log = logging.getLogger(__name__)


def chosen(setting: str | None) -> frozenset[str]:
    """The speed-ups a SPEEDUPS value asks for: `on` (the default) all of them, `off` none, or a
    comma-separated list of names. Anything else is a configuration error, raised at start-up."""
    value = (setting or "on").strip().lower()
    if value == "on":
        return frozenset(ALL)
    if value == "off":
        return frozenset()
    names = frozenset(name.strip() for name in value.split(",") if name.strip())
    if not names or names - set(ALL):
        raise ValueError(f"SPEEDUPS={setting!r}: use on, off or a comma-separated list of {', '.join(ALL)}")
    return names


def setting(env: Mapping[str, str]) -> str:
    """SPEEDUPS from the environment, checked (a typo fails at start-up, not silently)."""
    value = env.get("SPEEDUPS", "on")
    chosen(value)
    return value


def install(app: Flask) -> frozenset[str]:
    """Install the speed-ups that app.config["SPEEDUPS"] asks for; the ones that applied.

    Called once, at the end of create_app (the engine, the blueprints and the rate limits exist)."""
    # Imported here: db.py imports this package, and these modules import the app's own.
    from speedups import json_provider, jwt_parse, limiter_hooks, smorest, sqlite_text, sqlite_writers

    installers = {
        "json": json_provider.install,
        "jwt_parse": jwt_parse.install,
        "query_cache": smorest.install_query_cache,
        "pagination_dict": smorest.install_pagination_dict,
        "limiter_hooks": limiter_hooks.install,
        "sqlite_text": sqlite_text.install,
        "sqlite_writers": sqlite_writers.install,
    }
    wanted = chosen(app.config.get("SPEEDUPS"))
    applied = frozenset(name for name in APP if name in wanted and installers[name](app))
    app.extensions[EXTENSION] = applied
    return applied


def installed(name: str, app: Any = None) -> bool:
    """Whether speed-up `name` is in place for `app` (the current app by default)."""
    app = current_app if app is None else app
    return name in app.extensions.get(EXTENSION, ())
