from schemas.auth import (
    LoginSchema,
    LogoutSchema,
    MessageSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    TokenSchema,
)
from schemas.board import BoardCreateSchema, BoardListArgsSchema, BoardSchema, BoardUpdateSchema
from schemas.user import UserCreateSchema, UserPublicSchema, UserSchema, UserUpdateSchema

__all__ = [
    "BoardCreateSchema",
    "BoardListArgsSchema",
    "BoardSchema",
    "BoardUpdateSchema",
    "LoginSchema",
    "LogoutSchema",
    "MessageSchema",
    "PasswordResetConfirmSchema",
    "PasswordResetRequestSchema",
    "TokenSchema",
    "UserCreateSchema",
    "UserPublicSchema",
    "UserSchema",
    "UserUpdateSchema",
]
