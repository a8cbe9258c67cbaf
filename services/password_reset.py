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
from urllib.parse import urlencode

from flask import current_app
from flask_mail import Message
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from db import commit, db, release, utcnow
from models import User
from models.user import MAX_USER_ID
from ops.mailer import outbox, send_or_log

RANDOM_BYTES = 32  # 256 bits: guessing one is out of reach whatever the rate limit
TOKEN_PATTERN = re.compile(r"([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{43})")
KEY_LABEL = b"board-api password reset v1"  # the derived key serves nothing else


def request_reset(email: str) -> None:
    """Mail a reset link to the account of `email`, if there is one, after the response.

    Everything that depends on the address (the lookup, the new token, the mail) happens in the
    outbox thread: the request answers in the same time whether or not the address is known.
    """
    outbox.submit(current_app._get_current_object(), functools.partial(send_reset_link, email))


def send_reset_link(email: str) -> None:
    user = User.find_by_login(email)
    if user is None:
        return  # nothing to send, and nothing to say: the requester got the same 202
    token = issue_token(user)
    commit()  # the token works before its mail can arrive
    if token is None:
        return  # the email changed since the lookup: the link must not go to the old address
    message = reset_message(user, token)
    release()  # the connection goes back to the pool before the mail (up to MAIL_TIMEOUT)
    send_or_log(message)


def issue_token(user: User) -> str | None:
    """A new token for `user`, voiding any earlier one; part of the caller's transaction.

    None when the row no longer has the email and password hash that were read: an email change
    committed since the lookup voids pending resets, and must void this one too."""
    random_part = secrets.token_urlsafe(RANDOM_BYTES)
    lifetime = timedelta(seconds=current_app.config["PASSWORD_RESET_EXPIRES"])
    digest, expires_at = _digest(random_part, user.password_hash), utcnow() + lifetime
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, User.email == user.email, User.password_hash == user.password_hash)
        .values(password_reset_digest=digest, password_reset_expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    # The row has them already: kept on the object without a second UPDATE at commit.
    set_committed_value(user, "password_reset_digest", digest)
    set_committed_value(user, "password_reset_expires_at", expires_at)
    return f"{user.id}.{random_part}"


def user_of_token(token: str) -> User | None:
    """The user whose pending reset this token is; None for a malformed, unknown, expired,
    superseded, used or forged token, or one made before the password last changed."""
    match = TOKEN_PATTERN.fullmatch(token)
    if match is None or int(match[1]) > MAX_USER_ID:
        return None
    user = db.session.get(User, int(match[1]))
    if user is None or user.password_reset_digest is None or user.password_reset_expires_at is None:
        return None
    if user.password_reset_expires_at <= utcnow():
        return None
    expected = _digest(match[2], user.password_hash)
    return user if hmac.compare_digest(expected, user.password_reset_digest) else None


def spend_token(user: User) -> bool:
    """Clear the reset that user_of_token found, unless a concurrent request spent it or changed
    the password meanwhile: True for exactly one of them. Part of the caller's transaction."""
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            User.password_reset_digest == user.password_reset_digest,
            User.password_hash == user.password_hash,
        )
        .values(password_reset_digest=None, password_reset_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.password_reset_digest = user.password_reset_expires_at = None
    return True


def _digest(random_part: str, password_hash: str) -> str:
    secret = current_app.config["JWT_SECRET_KEY"].encode()
    key = hmac.new(secret, KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, f"{random_part}\0{password_hash}".encode(), hashlib.sha256).hexdigest()


def reset_link(token: str) -> str:
    base = current_app.config["PASSWORD_RESET_URL"]
    return f"{base}{'&' if '?' in base else '?'}{urlencode({'token': token})}"


def reset_message(user: User, token: str) -> Message:
    minutes = max(1, current_app.config["PASSWORD_RESET_EXPIRES"] // 60)
    body = f"""Hello {user.username},

someone (you, we hope) asked to reset the password of your Board API account.
Follow this link to choose a new one. It works once, for {minutes} minutes:

{reset_link(token)}

A client of the API sends the token itself:
POST /auth/password-reset/confirm {{"token": "{token}", "password": "<new password>"}}

If you did not ask for this, ignore this mail: your password stays as it is.
"""
    return Message(subject="Reset your Board API password", recipients=[user.email], body=body)
