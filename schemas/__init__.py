from schemas.auth import (
    LoginSchema,
    LogoutSchema,
    MessageSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    TokenSchema,
)
from schemas.board import BoardCreateSchema, BoardListArgsSchema, BoardSchema, BoardUpdateSchema
from schemas.follow import FeedArgsSchema, FollowStateSchema
from schemas.message import (
    PrivateMessageCreateSchema,
    PrivateMessageListArgsSchema,
    PrivateMessageSchema,
    PrivateMessageUpdateSchema,
)
from schemas.user import (
    MeSchema,
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
    "MeSchema",
    "MessageSchema",
    "PasswordResetConfirmSchema",
    "PasswordResetRequestSchema",
    "PrivateMessageCreateSchema",
    "PrivateMessageListArgsSchema",
    "PrivateMessageSchema",
    "PrivateMessageUpdateSchema",
    "TokenSchema",
    "UserCreateSchema",
    "UserProfileSchema",
    "UserPublicSchema",
    "UserSchema",
    "UserUpdateSchema",
]
