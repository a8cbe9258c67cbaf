"""What caches may do with an answer that depends on the caller's token, said on every response.

- `Vary: Authorization` on every answer whose body depends on the token: the answers of a route
  that looked for a token (GET /boards says `liked` to a reader with one, GET /users/<id>
  `followed`), whether or not one was sent, every 401, and every answer to a request that sent
  one. A cache then never hands one reader's copy to another, nor an anonymous copy to a reader
  with a token.
- `Cache-Control: private` on every answer computed for a caller with a valid token: it holds
  their marks, their feed, their follows; no shared cache may keep it. Answers that hold tokens
  or private data say `no-store` already (security_headers.no_store), which is stricter and stays.

One hook for every route, so that a new route cannot forget it; tests/test_caching.py walks the
operations of the OpenAPI document.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_jwt_extended import get_jwt


def init_caching(app: Flask) -> None:
    app.after_request(mark_token_dependence)


def mark_token_dependence(response: Response) -> Response:
    try:
        claims: dict | None = get_jwt()  # {} when the route looked for a token and none came
    except RuntimeError:  # the route never looked for one (or the token was refused: a 401)
        claims = None
    headers = response.headers
    # The raw headers, not Werkzeug's parsed `vary`/`cache_control` views: this runs on every
    # response, and building those objects cost more than the rest of the hook.
    if claims is not None or response.status_code == 401 or "HTTP_AUTHORIZATION" in request.environ:
        vary = headers.get("Vary")
        if vary is None:
            headers["Vary"] = "Authorization"
        elif "authorization" not in vary.lower():
            headers["Vary"] = f"{vary}, Authorization"
    if claims:
        cache_control = headers.get("Cache-Control")
        if cache_control is None:
            headers["Cache-Control"] = "private"
        elif "no-store" not in cache_control and "private" not in cache_control:
            headers["Cache-Control"] = f"{cache_control}, private"
    return response
