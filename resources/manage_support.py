"""What the manage pages need beyond their views: a signed-in admin, the session cookie, CSRF
protection, and errors as HTML pages.

- The session is Flask's signed cookie, opened under /manage only (the JSON API has no cookies and
  pays nothing for them): `HttpOnly`, `SameSite=Lax`, `Secure` in production, path /manage, signed
  with a key derived from JWT_SECRET_KEY. It holds the admin's id, their token generation and a
  sign-in id: signing out revokes that id in the token revocation store, so a copied cookie
  dies with it; a logout-all, a password change, a ban or the loss of admin rights end it too.
- Every form that changes anything carries Flask-WTF's CSRF token, checked before the view runs
  (CSRFProtect, called for /manage only: the API takes no cookies, so it needs no token).
- Under /manage every error is an HTML page with the status and message the JSON API would give,
  and no page loads anything from another host (a Content-Security-Policy says so to browsers).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect

import blocklist
from db import connection
from models import TokenUser, User
from models.user import TOKEN_USER_BY_ID, TOKEN_USER_COLUMNS, is_banned

PREFIX = "/manage"
LIFETIME = timedelta(hours=8)
KEY_LABEL = b"board-api manage pages v1"  # the derived key serves nothing else
# Pages are the server's own: no script at all, styles and images from here, forms posted here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SIGNED_IN_USER = TOKEN_USER_BY_ID.add_columns(User.ban_reason, User.banned_until)

csrf = CSRFProtect()


def under_manage(path: str) -> bool:
    return path == PREFIX or path.startswith(PAGES)


PAGES = PREFIX + "/"


class ManageSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, opened for the manage pages only: elsewhere a request gets
    the null session, which refuses to be written (no cookie can appear on an API response), and
    costs nothing (Flask's own would build its signing serializer on every request)."""

    def open_session(self, app: Flask, request: Any) -> Any:
        path = request.environ.get("PATH_INFO", "")
        if path != PREFIX and not path.startswith(PAGES):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_manage_support(app: Flask) -> None:
    """The session, CSRF protection and HTML errors of the manage pages."""
    secret = app.config["JWT_SECRET_KEY"].encode()
    app.secret_key = hmac.new(secret, KEY_LABEL, hashlib.sha256).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="manage_session",
        SESSION_COOKIE_PATH=PREFIX,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["APP_ENV"] == "production",
        PERMANENT_SESSION_LIFETIME=LIFETIME,
        # Checked by the manage pages themselves (protect_forms), never on the JSON API.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=int(LIFETIME.total_seconds()),
    )
    app.session_interface = ManageSessionInterface()
    csrf.init_app(app)
    # Its hook on every request only returns, with WTF_CSRF_CHECK_DEFAULT off: the API's requests
    # are spared it (the manage pages call csrf.protect() themselves).
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [
        hook
        for hook in hooks
        if getattr(hook, "__qualname__", "") != "CSRFProtect.init_app.<locals>.csrf_protect"
    ]
    app.register_error_handler(CSRFError, csrf_refused)
    app.after_request(html_under_manage)


def protect_forms() -> None:
    """Refuse a POST without this session's CSRF token (400, before the view changes anything)."""
    if request.method == "POST":
        csrf.protect()


def html_under_manage(response: Response) -> Response:
    """Under /manage, errors as HTML pages, whatever answered them in JSON (a 404 of no route,
    405, 413, a rate limit, a 500). The status is read first: an answer that is no error costs
    nothing more."""
    if response.status_code < 400 or response.mimetype != "application/json":
        return response
    if not under_manage(request.environ.get("PATH_INFO", "")):
        return response
    body = response.get_json(silent=True) or {}
    response.set_data(error_page(response.status_code, body.get("message", "")))
    response.mimetype = "text/html"
    return with_policy(response)


def with_policy(response: Response) -> Response:
    """The pages' Content-Security-Policy: nothing from another host, no script at all."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def csrf_refused(error: CSRFError) -> Response:
    """A form without its token (or with a stale one): the page says which, and nothing changed."""
    return with_policy(Response(error_page(400, error.description), 400, mimetype="text/html"))


def error_page(code: int, message: str) -> str:
    return render_template(
        "manage/error.html",
        code=code,
        status=HTTPStatus(code).phrase,
        message=message,
        signed_in="admin" in session,
    )


def sign_in(user: TokenUser) -> None:
    """Start an admin's session (a new one: nothing of an earlier session is kept)."""
    session.clear()
    session["admin"] = {
        "id": user.id,
        "gen": user.token_generation,
        "sid": secrets.token_hex(16),
        "since": int(time.time()),
    }


def sign_out() -> None:
    """End the session here and everywhere a copy of its cookie may be."""
    state = session.get("admin")
    if state:
        until = datetime.fromtimestamp(state["since"], UTC) + LIFETIME
        blocklist.revoke({f"manage:{state['sid']}": until})
    session.clear()


def signed_in_admin() -> TokenUser | None:
    """The admin of this session, as the database says now; None when there is none, or they are
    no longer an admin, are banned, logged out everywhere, changed their password or signed out."""
    state = session.get("admin")
    if not isinstance(state, dict):
        return None
    row = connection().execute(SIGNED_IN_USER, {"user_id": state["id"]}).first()
    if row is None:
        return None
    user = TokenUser(*row[: len(TOKEN_USER_COLUMNS)])
    if (
        not user.is_admin
        or user.token_generation != state["gen"]
        or is_banned(row.ban_reason, row.banned_until)
    ):
        return None
    if blocklist.revoked_among([f"manage:{state['sid']}"]):
        return None
    return user
