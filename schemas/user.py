from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from schemas.text import SINGLE_LINE
from schemas.timestamps import ID_DOC, iso, timestamp
from security.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, password_policy_errors

# `(?![\s\S])` is the end of input in Python and in the ECMA dialect of OpenAPI documents alike:
# Python's `$` lets a final newline through, and `\Z` is not valid ECMA (an invalid document).
USERNAME = validate.Regexp(r"^[A-Za-z0-9_-]{3,30}(?![\s\S])", error="3 to 30 letters, digits, '_' or '-'.")
# Passwords are single-line text: typed into one-line inputs, where tab moves on and Enter
# submits, so a password holding a control character could never be typed again at login.
PASSWORD = [validate.Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH), SINGLE_LINE]
PASSWORD_RULES = (
    "8 to 128 characters; not one of the 30,000 most common passwords, not only whitespace, and not "
    "containing the username or the part of the email address before the @ (case-insensitively)."
)
# What the pattern already bounds, stated for tools that read lengths, not patterns.
USERNAME_LENGTH = {"minLength": 3, "maxLength": 30}


# Mail goes only to ASCII addresses (docs/password-reset.md says why): Flask-Mail cannot send to a
# non-ASCII local part (no SMTPUTF8), and turns a non-ASCII domain into its ASCII form by the old
# IDNA 2003 rules, which make `example.com` in full-width letters a second spelling of it.
class _AsciiEmail(validate.Regexp):
    """Printable ASCII only: one pattern in the OpenAPI document, which also keeps control
    characters out (refused with the message every text field gives them)."""

    def __call__(self, value: str) -> str:
        SINGLE_LINE(value)
        return super().__call__(value)


ASCII_EMAIL = _AsciiEmail(
    r"^[ -~]*(?![\s\S])",
    error="Only ASCII characters: mail cannot be delivered to other addresses. Write an"
    " internationalised domain in its ASCII form (xn--…).",
)
EMAIL_RULES = "At most 254 ASCII characters; an internationalised domain in its ASCII form (xn--…)."


def email_field(**kwargs: Any) -> fields.Email:
    """An email address that this service can deliver mail to."""
    metadata = {"example": "bob@example.com", "description": EMAIL_RULES, **kwargs.pop("metadata", {})}
    return fields.Email(validate=[validate.Length(max=254), ASCII_EMAIL], metadata=metadata, **kwargs)


class UserPublicSchema(Schema):
    """What anyone may see of a user."""

    id = fields.Integer(dump_only=True, required=True, metadata=ID_DOC)
    username = fields.String(dump_only=True, required=True, metadata={"example": "alice"})
    created_at = timestamp()
    follower_count = fields.Integer(
        required=True, dump_only=True, metadata={"description": "Users following this one", "example": 3}
    )
    following_count = fields.Integer(
        required=True, dump_only=True, metadata={"description": "Users this one follows", "example": 5}
    )


class UserSchema(UserPublicSchema):
    """A user as the user and admins see it."""

    email = fields.Email(dump_only=True, required=True, metadata={"example": "alice@example.com"})
    is_admin = fields.Boolean(dump_only=True, required=True, metadata={"example": False})


class UserProfileSchema(UserPublicSchema):
    """GET /users/<id>: the public profile, with email and is_admin for the user and admins."""

    email = fields.Email(
        dump_only=True,
        metadata={"example": "alice@example.com", "description": "Only for the user and admins."},
    )
    is_admin = fields.Boolean(
        dump_only=True, metadata={"example": False, "description": "Only for the user and admins."}
    )
    followed = fields.Boolean(
        dump_only=True,
        metadata={"description": "Whether the caller follows this user (only with an access token)"},
    )
    banned = fields.Boolean(
        dump_only=True,
        metadata={"description": "Whether a ban is in force (only for admins)", "example": False},
    )


class MeSchema(UserSchema):
    """The current user (GET /auth/me): the profile, and what only they may know."""

    unread_messages = fields.Integer(
        required=True,
        dump_only=True,
        metadata={"description": "Unread messages in the user's box", "example": 0},
    )


class UserCreateSchema(Schema):
    # Not the README walkthrough's "alice": the example works on a database where it already ran.
    username = fields.String(required=True, validate=USERNAME, metadata={"example": "bob", **USERNAME_LENGTH})
    email = email_field(required=True)
    password = fields.String(
        required=True,
        load_only=True,
        validate=PASSWORD,
        metadata={"description": PASSWORD_RULES, "example": "correct horse battery"},
    )

    # Also when another field failed: a person fixing the form hears every problem at once.
    @validates_schema(skip_on_field_errors=False)
    def password_policy(self, data: dict, **kwargs) -> None:
        if "password" in data:  # absent when it already failed its own validation
            problems = password_policy_errors(
                data["password"], username=data.get("username", ""), email=data.get("email", "")
            )
            if problems:
                raise ValidationError(problems, "password")

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        data["email"] = data["email"].strip().lower()
        return data


class UserUpdateSchema(Schema):
    username = fields.String(validate=USERNAME, metadata={"example": "bob2", **USERNAME_LENGTH})
    email = email_field(
        metadata={
            "description": f"A new email address; changing your own needs a fresh token and current_password. {EMAIL_RULES}"
        }
    )
    password = fields.String(
        load_only=True,
        validate=PASSWORD,
        metadata={"description": f"New password; needs current_password and a fresh token. {PASSWORD_RULES}"},
    )
    current_password = fields.String(
        load_only=True,
        validate=[validate.Length(max=128), SINGLE_LINE],
        metadata={
            "description": "The password in use: required with `password`, and when you change your"
            " own `email` (an admin changing someone else's email sends none)."
        },
    )

    @validates_schema
    def password_needs_current(self, data: dict, **kwargs) -> None:
        # Whether an email change needs it depends on who asks: the view decides that part.
        if "password" in data and "current_password" not in data:
            raise ValidationError("Required to change the password.", "current_password")
        if "current_password" in data and "password" not in data and "email" not in data:
            raise ValidationError("Only used with a new password or email.", "current_password")

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        if "email" in data:
            data["email"] = data["email"].strip().lower()
        return data


# The JSON of each user shape, built by hand from named fields (a Row, a TokenUser: anything with
# these attributes): exactly the schema's dump of the same data, which tests/test_shapes.py holds,
# without marshmallow walking the fields on every request.


def public_user_json(user: Any) -> dict[str, Any]:
    """UserPublicSchema's dump."""
    return {
        "id": user.id,
        "username": user.username,
        "created_at": iso(user.created_at),
        "follower_count": user.follower_count,
        "following_count": user.following_count,
    }


def user_json(user: Any) -> dict[str, Any]:
    """UserSchema's dump: the profile as the user and admins see it."""
    body = public_user_json(user)
    body["email"] = user.email
    body["is_admin"] = bool(user.is_admin)
    return body


def profile_json(
    user: Any, *, private: bool, followed: bool | None = None, banned: bool | None = None
) -> dict[str, Any]:
    """UserProfileSchema's dump: email and is_admin when `private`, `followed` and `banned` when
    not None."""
    body = user_json(user) if private else public_user_json(user)
    if followed is not None:
        body["followed"] = bool(followed)
    if banned is not None:
        body["banned"] = banned
    return body


def me_json(user: Any) -> dict[str, Any]:
    """MeSchema's dump."""
    body = user_json(user)
    body["unread_messages"] = user.unread_messages
    return body
