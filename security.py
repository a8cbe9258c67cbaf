"""Guards that every entry point gets through create_app: the production secret check, CORS and
the request body limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import Flask, request
from flask_cors import CORS
from flask_smorest import abort
from gunicorn.errors import AppImportError

# The development default of earlier versions: public, so never a production secret.
PUBLISHED_DEV_SECRET = "dev-only-secret-do-not-use-in-production"
MIN_SECRET_BYTES = 32  # HS256 keys shorter than the hash output weaken it (RFC 7518 §3.2)
CORS_EXPOSED_HEADERS = ["X-Pagination", "ETag", "Location"]
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


def refuse_oversize_bodies(app: Flask) -> None:
    """413 as soon as a declared body is over MAX_CONTENT_LENGTH, even where the view never reads
    it (Werkzeug only refuses when the body is read). Bodies without a length are cut on read."""

    @app.before_request
    def check_content_length() -> None:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None and (request.content_length or 0) > limit:
            abort(413, message=f"The request body is larger than {limit} bytes.")
