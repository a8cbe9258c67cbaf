"""Users: public profiles, changes of username, email and password, deletion with everything that
goes with it, and the uniqueness of usernames and emails (registration is in services/auth.py).

Usernames and emails are unique case-insensitively: unique indexes on the lower-cased values
decide, also between racing requests; a friendly pre-check answers most clashes before the
costly work (hashing a password) is done.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

import blocklist
from db import after_commit, connection, savepoint
from errors import DEFAULT_MESSAGES
from models import Board, Forum, TokenUser, User
from models.user import (
    PRIVATE_COLUMNS,
    PUBLIC_COLUMNS,
    TOKEN_USER_COLUMNS,
    hash_password,
    is_banned,
    needs_rehash,
    verify_password,
)
from schemas.user import profile_json, public_user_json, user_json
from security.passwords import password_policy_errors
from services import follows
from services.access import require_fresh_token, require_self_or_admin
from services.comments import delete_comments_of_user
from services.email_change import notify_email_change
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.marks import delete_marks_of_user
from services.messages import delete_messages_of_user
from services.pages import Page, PageRequest

ONLY_YOUR_OWN = "Only used to change your own password or email."
EMAIL_NEEDS_PASSWORD = "Required to change your email."

# Built once, with bind parameters: building a statement costs more than running it.
USER_COUNT = select(func.count()).select_from(User)
USER_PAGE = select(*PUBLIC_COLUMNS).order_by(User.id).limit(bindparam("limit")).offset(bindparam("offset"))
# (With the ban's columns: admins see whether a ban is in force.)
PROFILE = select(*PRIVATE_COLUMNS, User.ban_reason, User.banned_until).where(User.id == bindparam("user_id"))
# The caller's follow rides along in the profile's statement: a token costs no statement more.
PROFILE_FOR_VIEWER = PROFILE.add_columns(follows.FOLLOWS_USER.label("followed"))
ACCOUNT = select(*PRIVATE_COLUMNS, User.password_hash).where(User.id == bindparam("user_id"))
USER_EXISTS = select(User.id).where(User.id == bindparam("user_id"))
# By username or by email: what a login, a reset request or an operator names an account by.
# (With the ban's columns: a login of a banned account is refused, services/bans.py.)
ACCOUNT_COLUMNS = (*TOKEN_USER_COLUMNS, User.password_hash, User.ban_reason, User.banned_until)
ACCOUNT_BY_USERNAME = select(*ACCOUNT_COLUMNS).where(User.username_lower == bindparam("key"))
ACCOUNT_BY_EMAIL = select(*ACCOUNT_COLUMNS).where(User.email == bindparam("key"))
# Executed with the columns to set as parameters (their names): one statement for any change.
UPDATE_USER = update(User).where(User.id == bindparam("user_id"))
DELETE_BOARDS_OF = delete(Board).where(Board.author_id == bindparam("user_id"))
# The forums the user wrote in, locked in id order before their boards go: the DELETE's triggers
# would otherwise lock them board by board, in whatever order it meets them, between locks of
# the table_counts row, and deadlock with a board's insert into one of them (which locks the
# author's row, then the forum's, then table_counts').
LOCK_FORUMS_OF = (
    select(Forum.id)
    .where(Forum.id.in_(select(Board.forum_id).where(Board.author_id == bindparam("user_id"))))
    .order_by(Forum.id)
    .with_for_update()
)
DELETE_USER = delete(User).where(User.id == bindparam("user_id"))
# Whether another account holds a name: a plain read for the pre-check; after a clash a locking
# read by the unique key, which sees the winner's committed row (MariaDB's plain reads would
# still see the request's snapshot).
USERNAME_HOLDER = select(User.id).where(
    User.username_lower == bindparam("username_lower"), User.id != bindparam("user_id")
)
EMAIL_HOLDER = select(User.id).where(User.email == bindparam("email"), User.id != bindparam("user_id"))
USERNAME_HOLDER_LOCKED = USERNAME_HOLDER.with_for_update(read=True)
EMAIL_HOLDER_LOCKED = EMAIL_HOLDER.with_for_update(read=True)


def user_not_found(user_id: int) -> NotFound:
    return NotFound(f"User {user_id} not found.")


def list_users(page: PageRequest) -> Page:
    """Public profiles, oldest account first."""
    conn = connection()
    total = conn.execute(USER_COUNT).scalar_one()
    if page.offset >= total:  # a huge page number never reaches SQL as an OFFSET
        return Page([], total)
    rows = conn.execute(USER_PAGE, {"limit": page.page_size, "offset": page.offset})
    return Page([public_user_json(row) for row in rows], total)


def shows_private(viewer: TokenUser | None, user_id: int) -> bool:
    """Email and is_admin are for the user and for admins."""
    return viewer is not None and (viewer.id == user_id or viewer.is_admin)


def get_profile(user_id: int, viewer: TokenUser | None) -> dict[str, Any]:
    """A profile: private fields for the user and admins, `followed` for any caller with a token,
    `banned` for admins."""
    if viewer is None:
        row = connection().execute(PROFILE, {"user_id": user_id}).first()
    else:
        params = {"user_id": user_id, "follower_id": viewer.id}
        row = connection().execute(PROFILE_FOR_VIEWER, params).first()
    if row is None:
        raise user_not_found(user_id)
    # You cannot follow yourself: your own profile says False.
    followed = None if viewer is None else viewer.id != user_id and bool(row.followed)
    banned = is_banned(row.ban_reason, row.banned_until) if viewer is not None and viewer.is_admin else None
    return profile_json(row, private=shows_private(viewer, user_id), followed=followed, banned=banned)


def find_by_login(login: str) -> Row[Any] | None:
    """The account named by a username or an email, both case-insensitively: the token user's
    columns, the password hash and the ban."""
    key = login.strip().lower()
    statement = ACCOUNT_BY_EMAIL if "@" in key else ACCOUNT_BY_USERNAME
    return connection().execute(statement, {"key": key}).first()


def ensure_available(username: str, email: str, user_id: int | None = None) -> None:
    """409 early, before the costly work, when another account holds the name or the email."""
    if field := _taken_field(username.lower(), email, user_id, locked=False):
        raise _taken(field)


@contextmanager
def names_claimed(username: str, email: str, user_id: int | None = None) -> Iterator[None]:
    """Write a new or changed username or email inside: a clash with another account (the
    unique indexes decide, also between racing requests) is undone alone and answered with a
    409 that names the field."""
    try:
        with savepoint():
            yield
    except IntegrityError:
        raise _taken(_taken_field(username.lower(), email, user_id, locked=True) or "username") from None


def _taken_field(username_lower: str, email: str, user_id: int | None, *, locked: bool) -> str | None:
    conn = connection()
    params = {"username_lower": username_lower, "email": email, "user_id": user_id or 0}
    if conn.execute(USERNAME_HOLDER_LOCKED if locked else USERNAME_HOLDER, params).first():
        return "username"
    if conn.execute(EMAIL_HOLDER_LOCKED if locked else EMAIL_HOLDER, params).first():
        return "email"
    return None


def _taken(field: str) -> Conflict:
    return Conflict(f"That {field} is already taken.", error=f"{field}_taken")


def refused(field: str, messages: list[str]) -> Invalid:
    """A 422 on one field of the body, worded as a failed validation of the body is."""
    return Invalid(DEFAULT_MESSAGES[422], errors={"json": {field: messages}})


def update_user(
    viewer: TokenUser, user_id: int, changes: Mapping[str, Any], *, fresh: bool, family: str | None
) -> dict[str, Any]:
    """Change a user's username, email or password (validated fields of the body), as `viewer`,
    whose token is `fresh` or not and belongs to the login `family`. The user as they now are.

    Anyone changing their own password or email needs a fresh token and their current password
    (the email is where resets go); an admin changes another user's username and email, never
    their password. A new password revokes every other login of the user.
    """
    user = connection().execute(ACCOUNT, {"user_id": user_id}).first()
    if user is None:
        raise user_not_found(user_id)
    require_self_or_admin(viewer, user_id)
    username, email = changes.get("username", user.username), changes.get("email", user.email)
    values = _credential_changes(viewer, user, changes, fresh=fresh, username=username, email=email)
    if username != user.username:
        values["username"], values["username_lower"] = username, username.lower()
    changes_email = email != user.email
    if changes_email:
        # A reset link already mailed to the old address must not outlive the change. Written
        # even when already empty: a reset job may store a token between this read and commit.
        values.update(email=email, password_reset_digest=None, password_reset_expires_at=None)
    if values:
        with names_claimed(username, email, user_id):
            connection().execute(UPDATE_USER, {"user_id": user_id, **values})
    if "password" in changes:
        blocklist.revoke_user_tokens(user_id, keep_family=family)
    if changes_email:
        by_admin = viewer.id != user_id
        after_commit(functools.partial(notify_email_change, username, user.email, by_admin=by_admin))
    return user_json(SimpleNamespace(**{**user._mapping, "username": username, "email": email}))


def _credential_changes(
    viewer: TokenUser, user: Row[Any], changes: Mapping[str, Any], *, fresh: bool, username: str, email: str
) -> dict[str, Any]:
    """What a change asks of the caller beyond being the user or an admin; the columns that the
    password part changes (a new hash)."""
    own = viewer.id == user.id
    if "password" in changes:
        if not own:
            raise Forbidden("Only the user can change their own password.")
        require_fresh_token(fresh)
        # Before the current password is checked: a refused new password costs no guess. Judged
        # against the names the account will have.
        if problems := password_policy_errors(changes["password"], username=username, email=email):
            raise refused("password", problems)
        check_current_password(user.password_hash, changes["current_password"])
        return {"password_hash": hash_password(changes["password"])}
    if "current_password" in changes:  # with an email (the schema holds the rest)
        if not own:
            raise refused("current_password", [ONLY_YOUR_OWN])
        if email != user.email:
            require_fresh_token(fresh)
        check_current_password(user.password_hash, changes["current_password"])
        if needs_rehash(user.password_hash):
            return {"password_hash": hash_password(changes["current_password"])}
    elif own and email != user.email:
        require_fresh_token(fresh)
        raise refused("current_password", [EMAIL_NEEDS_PASSWORD])
    return {}


def check_current_password(password_hash: str, current_password: str) -> None:
    """A wrong one is a 422 of its own (error wrong_current_password), which the rate limits
    count with the account's failed logins (security/auth_limits.py)."""
    if not verify_password(password_hash, current_password):
        raise Invalid(
            "The current password is wrong.",
            error="wrong_current_password",
            errors={"json": {"current_password": ["Wrong password."]}},
        )


def delete_user(viewer: TokenUser, user_id: int, *, fresh: bool) -> None:
    """Delete a user (the user with a fresh token, or an admin) with their boards, comments,
    likes, scraps and follows, every count moving with them; their messages stay in the other
    party's box."""
    conn = connection()
    if conn.execute(USER_EXISTS, {"user_id": user_id}).first() is None:
        raise user_not_found(user_id)
    require_self_or_admin(viewer, user_id)
    if not viewer.is_admin:
        require_fresh_token(fresh)
    # First: it locks the user's row after those of lower ids (services/follows.py, lock order).
    follows.delete_follows_of_user(user_id)
    delete_comments_of_user(user_id)
    delete_marks_of_user(user_id)
    conn.execute(LOCK_FORUMS_OF, {"user_id": user_id})
    # Explicit, so that it holds whatever the database does with ON DELETE CASCADE (and InnoDB
    # fires no trigger for a cascade: the counts would not move).
    conn.execute(DELETE_BOARDS_OF, {"user_id": user_id})
    delete_messages_of_user(user_id)
    conn.execute(DELETE_USER, {"user_id": user_id})


def set_admin(login: str, admin: bool) -> str | None:
    """Grant or take away admin rights (an operator's command, never the API); the username, or
    None when no account has that name or email."""
    account = find_by_login(login)
    if account is None:
        return None
    connection().execute(UPDATE_USER, {"user_id": account.id, "is_admin": admin})
    return account.username
