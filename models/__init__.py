from models.board import Board
from models.revoked_token import RevokedToken
from models.user import User

__all__ = ["Board", "RevokedToken", "User"]
