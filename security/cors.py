"""CORS: which browser origins may call the API, and what they may read."""

from __future__ import annotations

from flask import Flask, Response
from flask_cors import CORS

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
