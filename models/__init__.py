from models.board import Board
from models.comment import Comment
from models.mark import BoardLike, BoardScrap, CommentLike
from models.revoked_token import RevokedToken
from models.table_count import TableCount
from models.user import TokenUser, User

__all__ = [
    "Board",
    "BoardLike",
    "BoardScrap",
    "Comment",
    "CommentLike",
    "RevokedToken",
    "TableCount",
    "TokenUser",
    "User",
]
