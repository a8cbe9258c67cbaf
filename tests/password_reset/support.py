"""Helpers of the password reset tests: requests, the mail received, the token of its link."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from ops.mailer import outbox
from services.password_reset import INVALID_RESET_TOKEN
from tests.conftest import error

NEW_PASSWORD = "a much better passphrase"
RESET_URL = "https://board.example/reset-password"
REQUESTED = {"message": "If that address belongs to an account, a reset link is on its way to it."}
DONE = {"message": "Your password has been changed, and every session logged out: log in with it."}
INVALID_TOKEN = {
    **error(422, "invalid_reset_token", INVALID_RESET_TOKEN),
    "errors": {"json": {"token": [INVALID_RESET_TOKEN]}},
}
LINK = re.compile(r"^(https?://\S+)\r?$", re.MULTILINE)


def ask_reset(client: FlaskClient, email: str, **environ: str) -> Any:
    """POST /auth/password-reset, then wait until its mail (if any) has gone."""
    response = client.post("/auth/password-reset", json={"email": email}, environ_base=environ)
    outbox.wait_idle()
    return response


def confirm(client: FlaskClient, token: str, password: str = NEW_PASSWORD, **environ: str) -> Any:
    return client.post(
        "/auth/password-reset/confirm", json={"token": token, "password": password}, environ_base=environ
    )


def link_of(message: EmailMessage | str) -> str:
    text = message if isinstance(message, str) else message.get_content()
    links = LINK.findall(text)
    assert len(links) == 1, text
    return links[0]


def token_of(message: EmailMessage | str) -> str:
    """The token of the mail's link, as a front-end would read it from its query string."""
    (token,) = parse_qs(urlsplit(link_of(message)).query)["token"]
    return token


def login_status(client: FlaskClient, username: str, password: str) -> int:
    return client.post("/auth/login", json={"username": username, "password": password}).status_code
