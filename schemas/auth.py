from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    username = fields.String(
        required=True,
        validate=validate.Length(min=1, max=254),
        metadata={"description": "Username or email", "example": "bob"},
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
        required=True,
        metadata={
            "description": "Access token lifetime in seconds",
            "example": 900,
            "format": "int32",
            "minimum": 1,
        },
    )


class LogoutSchema(Schema):
    refresh_token = fields.String(
        validate=validate.Length(max=4096),
        metadata={"description": "The refresh token of this login, revoked too when given"},
    )


class MessageSchema(Schema):
    message = fields.String(required=True)
