"""The rate limits of logins and accounts: failed logins per address + account (shared with wrong
current passwords on password and email changes, and with the manage pages' sign-ins), all logins
(and sign-ins) per address, registrations per address (shared with the username and email
conflicts of profile changes), refreshes per address, password reset requests per address and per
email, reset confirmations per address. Applied by `@rate_limit(blp, ...)`
(security/rate_limits.py) in resources/auth.py and resources/users.py, and by `@limited(...)` in
resources/manage.py.

Limits that decide by outcome (failed logins) check the budget before the view and spend it after
it: requests racing in at the same moment may each pass the check, so a burst of simultaneous
guesses can exceed the count by the number in flight. The per-address login limit, spent before
the view, bounds that too.
"""

from __future__ import annotations

import hashlib

from flask import Response, g, request
from flask_limiter.util import get_remote_address

from security.rate_limits import RateLimit, json_body
from services.users import find_by_login


def account_key(user_id: int) -> str:
    return f"{get_remote_address()}/user:{user_id}"


def login_key() -> str:
    """Client address + the account tried: its id when the name (username or email) is known, so
    that switching between username and email buys no extra attempts; else the name lower-cased
    like the lookup does, hashed (the body is not validated yet and a key must stay small).
    """
    body = json_body()
    return _account_or_name_key(body.get("username") if isinstance(body, dict) else None)


def sign_in_key() -> str:
    """login_key for the manage pages' sign-in form: the same key, so the same budget."""
    return _account_or_name_key(request.form.get("username"))


def _account_or_name_key(username: object) -> str:
    name = username.strip().lower() if isinstance(username, str) else ""
    user = find_by_login(name) if 0 < len(name) <= 254 and _encodable(name) else None
    if user is not None:
        return account_key(user.id)
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{get_remote_address()}/name:{digest}"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def note_failed_password() -> None:
    """A view that found a wrong password (other than login's own) spends the failed-login budget."""
    g.failed_password = True


def _failed_login(response: Response) -> bool:
    # Every refused attempt counts, invalid bodies included; a 429 is no attempt, and a 5xx is the
    # server's failure, not the client's.
    return 400 <= response.status_code < 500 and response.status_code != 429


def _checks_password() -> bool:
    """A password change, or an email change sending `current_password`."""
    body = json_body()
    return isinstance(body, dict) and ("password" in body or "current_password" in body)


def _names_a_name() -> bool:
    """A profile change that may clash with another account's username or email."""
    body = json_body()
    return isinstance(body, dict) and ("username" in body or "email" in body)


def _conflict(response: Response) -> bool:
    return response.status_code == 409


def _wrong_current_password(response: Response) -> bool:
    """The refusal of a wrong `current_password` (services/users.py), which spends the account's
    failed-login budget like a failed login."""
    if response.status_code != 422:
        return False
    body = response.get_json(silent=True)
    return isinstance(body, dict) and body.get("error") == "wrong_current_password"


FAILED_PASSWORDS = "failed-passwords"  # the budget that logins and password changes share
FAILED_LOGINS = RateLimit(
    "LOGIN_RATE_LIMIT",
    "failed logins (invalid bodies included) per client address and account",
    "Too many failed logins for this account from this address: wait before trying again.",
    key=login_key,
    shared=FAILED_PASSWORDS,
    counts=_failed_login,
)
ADDRESS_LOGINS = RateLimit(
    "LOGIN_ADDRESS_RATE_LIMIT",
    "all logins per client address, whatever the account",
    "Too many logins from this address: wait before trying again.",
)
# One budget for every answer that can tell whether a username or email is taken: registrations
# (all of them) and profile changes that end in a 409. A change of username or email checks it
# before the view, so once it is spent a free name and a taken one both answer 429: no answer
# tells them apart.
NAME_PROBES = "name-probes"
# The manage pages' sign-in: a wrong password spends the account's failed-login budget, the one
# API logins spend; every attempt spends a per-address budget of the same size as logins'.
FAILED_SIGN_INS = RateLimit(
    "LOGIN_RATE_LIMIT",
    "failed sign-ins per client address and account, counted with failed logins",
    "Too many failed sign-ins for this account from this address: wait before trying again.",
    key=sign_in_key,
    shared=FAILED_PASSWORDS,
    counts=lambda response: bool(g.get("failed_password")),
)
ADDRESS_SIGN_INS = RateLimit(
    "LOGIN_ADDRESS_RATE_LIMIT",
    "all sign-ins per client address, whatever the account",
    "Too many sign-ins from this address: wait before trying again.",
)
REGISTRATIONS = RateLimit(
    "REGISTER_RATE_LIMIT",
    "registration attempts per client address, whatever their outcome, counted with username and"
    " email conflicts of profile changes",
    "Too many registrations from this address: wait before trying again.",
    shared=NAME_PROBES,
)
NAME_CONFLICTS = RateLimit(
    "REGISTER_RATE_LIMIT",
    "username and email changes that find the name taken (409), per client address, counted with"
    " registrations",
    "Too many registrations and taken names from this address: wait before trying again.",
    shared=NAME_PROBES,
    counts=_conflict,
    applies=_names_a_name,
)
REFRESHES = RateLimit(
    "REFRESH_RATE_LIMIT",
    "refreshes per client address, whatever their outcome",
    "Too many refreshes from this address: wait before trying again.",
)
WRONG_CURRENT_PASSWORDS = RateLimit(
    "LOGIN_RATE_LIMIT",
    "password and email changes with a wrong `current_password`, per client address and account,"
    " counted with that account's failed logins",
    "Too many wrong passwords for this account from this address: wait before trying again.",
    key=lambda: account_key(request.view_args["user_id"]),
    shared=FAILED_PASSWORDS,
    counts=_wrong_current_password,
    applies=_checks_password,
)


def reset_email_key() -> str:
    """The email of a reset request, lower-cased like the lookup, hashed (a key must stay small);
    whether the account exists plays no part, so a 429 tells nothing either."""
    body = json_body()
    email = body["email"].strip().lower()
    return "reset-email:" + hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _has_email() -> bool:
    body = json_body()
    return isinstance(body, dict) and isinstance(body.get("email"), str)


RESET_REQUESTS = RateLimit(
    "PASSWORD_RESET_RATE_LIMIT",
    "password reset requests per client address, whatever their outcome",
    "Too many password reset requests from this address: wait before trying again.",
)
RESET_REQUESTS_PER_EMAIL = RateLimit(
    "PASSWORD_RESET_RATE_LIMIT",
    "password reset requests per email address, from any client address, known or not",
    "Too many password reset requests for this email address: wait before trying again.",
    key=reset_email_key,
    applies=_has_email,
)
RESET_CONFIRMATIONS = RateLimit(
    "PASSWORD_RESET_CONFIRM_RATE_LIMIT",
    "password reset confirmations per client address, whatever their outcome",
    "Too many password reset attempts from this address: wait before trying again.",
)
