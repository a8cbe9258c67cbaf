from models.board import Board
from models.follow import Follow, FollowState
from models.revoked_token import RevokedToken
from models.table_count import TableCount
from models.user import TokenUser, User

__all__ = ["Board", "Follow", "FollowState", "RevokedToken", "TableCount", "TokenUser", "User"]
