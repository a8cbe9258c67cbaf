from models.board import Board
from models.message import Message
from models.revoked_token import RevokedToken
from models.table_count import TableCount
from models.user import TokenUser, User

__all__ = ["Board", "Message", "RevokedToken", "TableCount", "TokenUser", "User"]
