"""Guards that every entry point gets through create_app: the production secret check, CORS and
the request body limit; and the password policy that every password goes through."""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask, Response, request
from flask_cors import CORS
from flask_smorest import abort
from gunicorn.errors import AppImportError
from gunicorn.http.errors import ParseException

# The development default of earlier versions: public, so never a production secret.
PUBLISHED_DEV_SECRET = "dev-only-secret-do-not-use-in-production"
MIN_SECRET_BYTES = 32  # HS256 keys shorter than the hash output weaken it (RFC 7518 §3.2)
# A browser client reads only the response headers listed here (beyond a safelisted few).
CORS_EXPOSED_HEADERS = [
    "X-Pagination",
    "ETag",
    "Location",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]
CORS_ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match"]


class InsecureConfigError(click.ClickException, AppImportError, RuntimeError):
    """Refuses to start, reported in one line by every entry point: a ClickException for the
    `flask` CLI (`Error: …`, exit 1); an AppImportError for gunicorn's workers (the line alone,
    then the master halts with exit 4 instead of rebooting workers); a RuntimeError for gunicorn
    --preload, whose master prints `Error: …` and exits 1."""


def check_production_secret(config: Mapping[str, Any]) -> None:
    """In production, a missing, development or short JWT secret would let anyone forge tokens."""
    if config.get("APP_ENV") != "production":
        return
    secret = config.get("JWT_SECRET_KEY") or ""
    if not secret or secret == PUBLISHED_DEV_SECRET:
        problem = "is missing (or the development default)"
    elif len(secret.encode()) < MIN_SECRET_BYTES:
        problem = f"is shorter than {MIN_SECRET_BYTES} bytes"
    else:
        return
    raise InsecureConfigError(
        f"JWT_SECRET_KEY {problem}: APP_ENV=production needs a random secret of at least "
        f"{MIN_SECRET_BYTES} bytes, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
    )


def cors_origins(value: str | None) -> list[str]:
    """CORS_ORIGINS: comma-separated origins (or `*`); empty means no cross-origin access at all."""
    return [origin.strip().rstrip("/") for origin in (value or "").split(",") if origin.strip()]


def init_cors(app: Flask) -> None:
    origins = app.config.get("CORS_ORIGINS") or []
    if not origins:
        return  # Flask-CORS would default to every origin
    CORS(
        app,
        origins=origins,
        expose_headers=CORS_EXPOSED_HEADERS,
        allow_headers=CORS_ALLOWED_HEADERS,
        # Tokens travel in the Authorization header, never in cookies.
        supports_credentials=False,
        max_age=600,
    )

    @app.after_request
    def vary_on_origin(response: Response) -> Response:
        # Flask-CORS adds `Vary: Origin` only with several origins, and only to the answers that
        # allow one; a cache must never hand an answer made for one origin (or none) to another.
        response.vary.add("Origin")
        return response


# Set in the WSGI environ by BufferChunkedBodies, answered by refuse_oversize_bodies.
BODY_TOO_LARGE = "board_api.body_too_large"
BODY_UNREADABLE = "board_api.body_unreadable"


class BufferChunkedBodies:
    """WSGI middleware: a chunked body is read whole before the app sees it.

    Werkzeug reads such a stream up to MAX_CONTENT_LENGTH and silently stops there, so a body
    over the limit was cut and processed as if it were complete (a JSON document padded with
    trailing spaces is valid at any cut). Reading one byte past the limit here tells an oversize
    body apart; the app then refuses it whole with the JSON 413, and a body within the limit
    reaches it with a Content-Length like any other. The rest of an oversize body is never
    read: the connection is closed after the answer. Broken chunk framing is the client's
    error too (a JSON 400), not a server error.
    """

    def __init__(self, wsgi_app: Any, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.config = app.config

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        limit = self.config.get("MAX_CONTENT_LENGTH")
        # A Content-Length next to `chunked` is ignored, by Werkzeug as by HTTP (RFC 9112 §6.3).
        if chunked and limit is not None:
            del environ["HTTP_TRANSFER_ENCODING"]  # the app gets a plain body from here on
            try:
                body = _read_at_most(environ["wsgi.input"], limit + 1)
            except (OSError, ValueError, ParseException):  # Werkzeug's and gunicorn's framing errors
                environ[BODY_UNREADABLE] = True
                body = b""
            if len(body) > limit:
                environ[BODY_TOO_LARGE] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)


def _read_at_most(stream: Any, size: int) -> bytes:
    parts, remaining = [], size
    while remaining > 0:
        part = stream.read(min(remaining, 65536))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def refuse_oversize_bodies(app: Flask) -> None:
    """413 as soon as a body is over MAX_CONTENT_LENGTH, even where the view never reads it
    (Werkzeug only refuses when the body is read), whether it declares a length or comes chunked."""
    app.wsgi_app = BufferChunkedBodies(app.wsgi_app, app)  # type: ignore[method-assign]

    @app.before_request
    def check_content_length() -> None:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        # Close the connection after these: the unread rest of a chunked body must not be taken
        # for the next request on it.
        close = {"Connection": "close"}
        if request.environ.get(BODY_UNREADABLE):
            abort(400, message="The chunked request body is malformed or was cut off.", headers=close)
        if limit is None:
            return
        if request.environ.get(BODY_TOO_LARGE) or (request.content_length or 0) > limit:
            abort(413, message=f"The request body is larger than {limit} bytes.", headers=close)


# --- Password policy (CONTRACT §3) -----------------------------------------------------------------

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
# A name shorter than this is not looked for in the password: a one- or two-letter email name
# ("a@example.com") would refuse every password holding that letter, and guessing it buys an
# attacker nothing. Three is also the shortest username, so both names follow one rule.
MIN_NAME_LENGTH = 3


@functools.cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most common passwords (lower-case; 11,611 of them are 8 to 128
    characters long, the rest are refused by length anyway). Loaded on first use: the import
    costs ~40 ms and ~16 MB, which `flask` commands that never check a password need not pay."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _contains(folded_password: str, name: str) -> bool:
    name = name.casefold()
    return len(name) >= MIN_NAME_LENGTH and name in folded_password


def password_policy_errors(password: str, *, username: str, email: str) -> list[str]:
    """Why `password` is refused for this account (register, password change and reset alike);
    an empty list when it is acceptable."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        return [f"Length must be between {PASSWORD_MIN_LENGTH} and {PASSWORD_MAX_LENGTH}."]
    if not password.strip():
        return ["The password cannot be only whitespace."]
    folded = password.casefold()
    problems = []
    # Letter case and surrounding spaces make no difference to a guesser.
    if folded.strip() in common_passwords():
        problems.append("This password is one of the most common ones: choose another.")
    if _contains(folded, username):
        problems.append("The password must not contain the username.")
    # The local part of the email, and the same without a sub-address tag (alice+board@ is alice).
    local = email.rpartition("@")[0]
    if _contains(folded, local) or _contains(folded, local.split("+", 1)[0]):
        problems.append("The password must not contain the part of the email address before the @.")
    return problems
