from models.board import Board
from models.comment import Comment
from models.follow import Follow, FollowState
from models.mark import BoardLike, BoardScrap
from models.message import Message
from models.revoked_token import RevokedToken
from models.table_count import TableCount
from models.user import TokenUser, User

__all__ = [
    "Board",
    "BoardLike",
    "BoardScrap",
    "Comment",
    "Follow",
    "FollowState",
    "Message",
    "RevokedToken",
    "TableCount",
    "TokenUser",
    "User",
]
