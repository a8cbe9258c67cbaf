"""Security headers on every response, and `Cache-Control: no-store` where a view asks for it.

The headers come from the `secure` package (built and validated by it, applied by its WSGI
middleware, so that every response gets them: errors, 404, 405 and 413 included, whatever
produced them). See docs/security.md for the choice of package and of headers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import secure
from flask import Flask, Response, after_this_request
from secure.middleware import SecureWSGIMiddleware

F = TypeVar("F", bound=Callable[..., Any])

# What a JSON API (and its Swagger UI page) needs: no MIME sniffing of a response into HTML or
# script, no framing (clickjacking of the docs page), no URL leaking through Referer. HSTS is
# left to the TLS-terminating proxy, and a CSP would break Swagger UI's inline script.
SECURITY_HEADERS = secure.Secure(
    xcto=secure.XContentTypeOptions().nosniff(),
    xfo=secure.XFrameOptions().deny(),
    referrer=secure.ReferrerPolicy().no_referrer(),
).validate_and_normalize_headers()

NO_STORE = secure.CacheControl().no_store()


def init_security_headers(app: Flask) -> None:
    app.wsgi_app = SecureWSGIMiddleware(app.wsgi_app, secure=SECURITY_HEADERS)  # type: ignore[method-assign]


def set_no_store(response: Response) -> Response:
    """`Cache-Control: no-store` on a response; also an after_request hook for a blueprint whose
    every answer is private (messages), errors included."""
    response.headers[NO_STORE.header_name] = NO_STORE.header_value
    return response


def mark_no_store() -> None:
    """This request's response, error or not, carries tokens or private data: no cache keeps it."""
    after_this_request(set_no_store)


def no_store(view: F) -> F:
    """`Cache-Control: no-store` on every response of a view (tokens, private data). Put it above
    the other decorators, so that it also covers the errors they answer."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mark_no_store()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
