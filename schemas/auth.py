from marshmallow import Schema, fields, post_load, validate

from schemas.user import PASSWORD, PASSWORD_RULES

# Longer than any token this service makes (`<id>.<43 characters>`): a longer string is no token.
MAX_RESET_TOKEN_LENGTH = 128


class LoginSchema(Schema):
    username = fields.String(
        required=True,
        validate=validate.Length(min=1, max=254),
        metadata={"description": "Username or email", "example": "alice"},
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=128),
        metadata={"example": "correct horse battery"},
    )


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Access token lifetime in seconds", "example": 900}
    )


class LogoutSchema(Schema):
    refresh_token = fields.String(
        validate=validate.Length(max=4096),
        metadata={"description": "The refresh token of this login, revoked too when given"},
    )


class MessageSchema(Schema):
    message = fields.String(required=True)


class PasswordResetRequestSchema(Schema):
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        metadata={"description": "The email address of the account", "example": "alice@example.com"},
    )

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        data["email"] = data["email"].strip().lower()
        return data


class PasswordResetConfirmSchema(Schema):
    token = fields.String(
        required=True,
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
