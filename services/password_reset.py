"""Password reset tokens: how they are made, checked and spent, and the mail.

A token is `<user id>.<43 random characters>` (256 random bits). The database keeps only
`HMAC-SHA256(key, random part + current password hash)` and an expiry, on the user's row, where
the key is derived from JWT_SECRET_KEY. Therefore a token is:
- never stored in clear: the digest cannot be turned back into the token, and without the server
  secret nobody can even test a guess against it;
- single-use: confirming clears the digest, in one conditional UPDATE that only one of two
  concurrent confirmations can win;
- superseded by a newer request, which overwrites the digest;
- bound to the current password: once the password hash changes (a password change, another
  reset) the digest cannot match any more;
- expiring: PASSWORD_RESET_EXPIRES seconds after it was made.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from flask_mail import Message
from sqlalchemy import Row, bindparam, select, update

import blocklist
from db import connection, transaction, utcnow
from models import User
from models.user import MAX_USER_ID, hash_password
from ops.mailer import outbox, send_or_log
from security.passwords import password_policy_errors
from services import users
from services.errors import Invalid

RANDOM_BYTES = 32  # 256 bits: guessing one is out of reach whatever the rate limit
TOKEN_PATTERN = re.compile(r"([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{43})")
KEY_LABEL = b"board-api password reset v1"  # the derived key serves nothing else
INVALID_RESET_TOKEN = "This reset link is invalid, used, expired or superseded: ask for a new one."

# Built once, with bind parameters: building a statement costs more than running it.
# The token is stored only while the row still has the email and password hash that were read:
# an email change committed since the lookup voids pending resets, and must void this one too.
STORE_TOKEN = (
    update(User)
    .where(
        User.id == bindparam("user_id"),
        User.email == bindparam("read_email"),
        User.password_hash == bindparam("read_hash"),
    )
    .values(password_reset_digest=bindparam("digest"), password_reset_expires_at=bindparam("expires_at"))
)
PENDING_RESET = select(
    User.id,
    User.username,
    User.email,
    User.password_hash,
    User.password_reset_digest,
    User.password_reset_expires_at,
).where(User.id == bindparam("user_id"))
# Spends the reset and sets the new password at once, unless a concurrent confirmation spent it
# or the password changed meanwhile: exactly one of two racing confirmations changes a row.
SPEND_TOKEN = (
    update(User)
    .where(
        User.id == bindparam("user_id"),
        User.password_reset_digest == bindparam("digest"),
        User.password_hash == bindparam("read_hash"),
    )
    .values(password_hash=bindparam("new_hash"), password_reset_digest=None, password_reset_expires_at=None)
)


def request_reset(email: str) -> None:
    """Mail a reset link to the account of `email`, if there is one, after the response.

    Everything that depends on the address (the lookup, the new token, the mail) happens in the
    outbox thread: the request answers in the same time whether or not the address is known.
    """
    outbox.submit(current_app._get_current_object(), functools.partial(send_reset_link, email))


def send_reset_link(email: str) -> None:
    """The outbox job of `request_reset`. It runs outside any request, so it owns its unit of
    work, in an app context of its own: the token is committed (the link works before its mail
    can arrive) and the connection is back in the pool before the mail goes (up to MAIL_TIMEOUT)."""
    with current_app.app_context(), transaction():
        message = reset_message_for(email)
    if message is not None:
        send_or_log(message)


def reset_message_for(email: str) -> Message | None:
    """A new reset token for the account of `email`, voiding any earlier one, and its mail; None
    when there is no such account, or its email changed since the lookup (the link must not go
    to the old address)."""
    account = users.find_by_login(email)
    if account is None:
        return None  # nothing to send, and nothing to say: the requester got the same 202
    token = issue_token(account)
    return None if token is None else reset_message(account.username, account.email, token)


def issue_token(account: Any) -> str | None:
    """A new token for `account` (its id, email and password hash, as read), voiding any earlier
    one; None when the row no longer has that email and password hash."""
    random_part = secrets.token_urlsafe(RANDOM_BYTES)
    lifetime = timedelta(seconds=current_app.config["PASSWORD_RESET_EXPIRES"])
    params = {
        "user_id": account.id,
        "read_email": account.email,
        "read_hash": account.password_hash,
        "digest": _digest(random_part, account.password_hash),
        "expires_at": utcnow() + lifetime,
    }
    if connection().execute(STORE_TOKEN, params).rowcount != 1:
        return None
    return f"{account.id}.{random_part}"


def confirm_reset(token: str, password: str) -> None:
    """Set a new password with the token of a reset link, spending it; every token of the user is
    revoked. A new password the policy refuses leaves the token usable."""
    pending = pending_reset(token)
    if pending is None:
        raise invalid_reset_token()
    if problems := password_policy_errors(password, username=pending.username, email=pending.email):
        raise users.refused("password", problems)
    params = {
        "user_id": pending.id,
        "digest": pending.password_reset_digest,
        "read_hash": pending.password_hash,
        "new_hash": hash_password(password),
    }
    if connection().execute(SPEND_TOKEN, params).rowcount != 1:  # a concurrent confirmation won
        raise invalid_reset_token()
    blocklist.revoke_user_tokens(pending.id)


def pending_reset(token: str) -> Row[Any] | None:
    """The user whose pending reset this token is; None for a malformed, unknown, expired,
    superseded, used or forged token, or one made before the password last changed."""
    match = TOKEN_PATTERN.fullmatch(token)
    if match is None or int(match[1]) > MAX_USER_ID:
        return None
    pending = connection().execute(PENDING_RESET, {"user_id": int(match[1])}).first()
    if pending is None or pending.password_reset_digest is None or pending.password_reset_expires_at is None:
        return None
    if pending.password_reset_expires_at <= utcnow():
        return None
    expected = _digest(match[2], pending.password_hash)
    return pending if hmac.compare_digest(expected, pending.password_reset_digest) else None


def invalid_reset_token() -> Invalid:
    return Invalid(
        INVALID_RESET_TOKEN, error="invalid_reset_token", errors={"json": {"token": [INVALID_RESET_TOKEN]}}
    )


def _digest(random_part: str, password_hash: str) -> str:
    secret = current_app.config["JWT_SECRET_KEY"].encode()
    key = hmac.new(secret, KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, f"{random_part}\0{password_hash}".encode(), hashlib.sha256).hexdigest()


def reset_link(token: str) -> str:
    base = current_app.config["PASSWORD_RESET_URL"]
    return f"{base}{'&' if '?' in base else '?'}{urlencode({'token': token})}"


def reset_message(username: str, email: str, token: str) -> Message:
    minutes = max(1, current_app.config["PASSWORD_RESET_EXPIRES"] // 60)
    body = f"""Hello {username},

someone (you, we hope) asked to reset the password of your Board API account.
Follow this link to choose a new one. It works once, for {minutes} minutes:

{reset_link(token)}

A client of the API sends the token itself:
POST /auth/password-reset/confirm {{"token": "{token}", "password": "<new password>"}}

If you did not ask for this, ignore this mail: your password stays as it is.
"""
    return Message(subject="Reset your Board API password", recipients=[email], body=body)
