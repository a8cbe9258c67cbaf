from models.board import Board
from models.mark import BoardLike, BoardScrap
from models.revoked_token import RevokedToken
from models.table_count import TableCount
from models.user import TokenUser, User

__all__ = ["Board", "BoardLike", "BoardScrap", "RevokedToken", "TableCount", "TokenUser", "User"]
