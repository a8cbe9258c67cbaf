from marshmallow import Schema, fields, post_load, validate

from schemas.text import single_line
from schemas.user import EMAIL_RULES, PASSWORD, PASSWORD_RULES, email_field

# Longer than any token this service makes (`<id>.<43 characters>`): a longer string is no token.
MAX_RESET_TOKEN_LENGTH = 128


class LoginSchema(Schema):
    username = single_line(
        min_length=1,
        max_length=254,
        required=True,
        metadata={"description": "Username or email", "example": "bob"},
    )
    password = single_line(
        min_length=1,
        max_length=128,
        required=True,
        load_only=True,
        metadata={"example": "correct horse battery"},
    )


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(
        required=True,
        metadata={
            "description": "Access token lifetime in seconds",
            "example": 900,
            "format": "int32",
            "minimum": 1,
        },
    )


class LogoutSchema(Schema):
    refresh_token = single_line(
        max_length=4096, metadata={"description": "The refresh token of this login, revoked too when given"}
    )


class MessageSchema(Schema):
    message = fields.String(required=True)


class PasswordResetRequestSchema(Schema):
    email = email_field(
        required=True,
        metadata={
            "description": f"The email address of the account. {EMAIL_RULES}",
            "example": "alice@example.com",
        },
    )

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        data["email"] = data["email"].strip().lower()
        return data


class PasswordResetConfirmSchema(Schema):
    token = fields.String(
        required=True,
        # No control-character rule: any string is judged as a token, and a bad one of any kind
        # answers invalid_reset_token; the length bound keeps it small.
        validate=validate.Length(max=MAX_RESET_TOKEN_LENGTH),
        metadata={
            "description": "The token of the reset link (its `token` query parameter); the example is"
            " a placeholder, replace it with the token of your mail.",
            "example": "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        },
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=PASSWORD,
        metadata={
            "description": f"The new password. {PASSWORD_RULES}",
            "example": "a much better passphrase",
        },
    )
