"""Request bodies over MAX_CONTENT_LENGTH are refused whole (413), declared or chunked."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, request
from flask_smorest import abort
from gunicorn.http.errors import ParseException

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
