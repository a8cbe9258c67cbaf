from schemas.auth import LoginSchema, LogoutSchema, MessageSchema, TokenSchema
from schemas.board import BoardCreateSchema, BoardListArgsSchema, BoardSchema, BoardUpdateSchema
from schemas.follow import FeedArgsSchema, FollowStateSchema
from schemas.user import (
    UserCreateSchema,
    UserProfileSchema,
    UserPublicSchema,
    UserSchema,
    UserUpdateSchema,
)

__all__ = [
    "BoardCreateSchema",
    "BoardListArgsSchema",
    "BoardSchema",
    "BoardUpdateSchema",
    "FeedArgsSchema",
    "FollowStateSchema",
    "LoginSchema",
    "LogoutSchema",
    "MessageSchema",
    "TokenSchema",
    "UserCreateSchema",
    "UserProfileSchema",
    "UserPublicSchema",
    "UserSchema",
    "UserUpdateSchema",
]
