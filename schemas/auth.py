from marshmallow import Schema, fields

from schemas.text import single_line


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
