from marshmallow import Schema, ValidationError, fields, post_load, validate


class FullMatch(validate.Regexp):
    """A Regexp that must match the whole value.

    The pattern is published as the OpenAPI `pattern`, which browsers and generated clients read
    as ECMA-262: Python's `\\Z` is an invalid escape there, and `$` alone would let Python accept
    a trailing newline. Matching the whole value in Python keeps one pattern right for both.
    """

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


USERNAME = FullMatch(r"^[A-Za-z0-9_-]{3,30}$", error="3 to 30 letters, digits, '_' or '-'.")
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
    current_password = fields.String(load_only=True, validate=validate.Length(max=128))

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        if "email" in data:
            data["email"] = data["email"].strip().lower()
        return data
