from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

# `(?![\s\S])` is the end of input in Python and in the ECMA dialect of OpenAPI documents alike:
# Python's `$` lets a final newline through, and `\Z` is not valid ECMA (an invalid document).
USERNAME = validate.Regexp(r"^[A-Za-z0-9_-]{3,30}(?![\s\S])", error="3 to 30 letters, digits, '_' or '-'.")
PASSWORD = validate.Length(min=8, max=128)


def _email_field(**kwargs) -> fields.Email:
    return fields.Email(
        validate=validate.Length(max=254), metadata={"example": "alice@example.com"}, **kwargs
    )


class UserPublicSchema(Schema):
    """What anyone may see of a user."""

    id = fields.Integer(dump_only=True, metadata={"example": 1})
    username = fields.String(dump_only=True, metadata={"example": "alice"})
    created_at = fields.DateTime(dump_only=True)


class UserSchema(UserPublicSchema):
    """A user as the user and admins see it."""

    email = fields.Email(dump_only=True, metadata={"example": "alice@example.com"})
    is_admin = fields.Boolean(dump_only=True, metadata={"example": False})


class MeSchema(UserSchema):
    """The current user (GET /auth/me): the profile, and what only they may know."""

    unread_messages = fields.Integer(
        required=True,
        dump_only=True,
        metadata={"description": "Unread messages in the user's box (CONTRACT §10)", "example": 0},
    )


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=USERNAME, metadata={"example": "alice"})
    email = _email_field(required=True)
    password = fields.String(
        required=True, load_only=True, validate=PASSWORD, metadata={"example": "correct horse battery"}
    )

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        data["email"] = data["email"].strip().lower()
        return data


class UserUpdateSchema(Schema):
    username = fields.String(validate=USERNAME, metadata={"example": "alice2"})
    email = _email_field()
    password = fields.String(
        load_only=True,
        validate=PASSWORD,
        metadata={"description": "New password; needs current_password and a fresh token."},
    )
    current_password = fields.String(
        load_only=True,
        validate=validate.Length(max=128),
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
