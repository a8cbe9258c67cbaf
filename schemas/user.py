from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from schemas.text import SINGLE_LINE
from schemas.timestamps import ID_DOC, timestamp
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


def _email_field(**kwargs) -> fields.Email:
    return fields.Email(
        validate=[validate.Length(max=254), SINGLE_LINE], metadata={"example": "bob@example.com"}, **kwargs
    )


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
        metadata={"description": "Unread messages in the user's box (CONTRACT §10)", "example": 0},
    )


class UserCreateSchema(Schema):
    # Not the README walkthrough's "alice": the example works on a database where it already ran.
    username = fields.String(required=True, validate=USERNAME, metadata={"example": "bob", **USERNAME_LENGTH})
    email = _email_field(required=True)
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
    email = _email_field()
    password = fields.String(
        load_only=True,
        validate=PASSWORD,
        metadata={"description": f"New password; needs current_password and a fresh token. {PASSWORD_RULES}"},
    )
    current_password = fields.String(
        load_only=True,
        validate=[validate.Length(max=128), SINGLE_LINE],
        metadata={"description": "The password in use: required with `password`."},
    )

    @validates_schema
    def password_needs_current(self, data: dict, **kwargs) -> None:
        if "password" in data and "current_password" not in data:
            raise ValidationError("Required to change the password.", "current_password")
        if "current_password" in data and "password" not in data:
            raise ValidationError("Only used with a new password.", "current_password")

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        if "email" in data:
            data["email"] = data["email"].strip().lower()
        return data
