from models import board_search  # noqa: F401 (the search index, made beside boards by create_all)
from models.anonymous_author import BoardAnonymousAuthor
from models.audit import AuditEntry
from models.board import Board
from models.comment import Comment
from models.follow import Follow
from models.forum import Forum, ForumPin
from models.idempotency_key import IdempotencyKey
from models.mark import BoardLike, BoardScrap, CommentLike
from models.message import Message
from models.moderation import ModerationCase, Report
from models.revoked_token import RevokedToken
from models.table_count import TableCount
from models.user import TokenUser, User

__all__ = [
    "AuditEntry",
    "Board",
    "BoardAnonymousAuthor",
    "BoardLike",
    "BoardScrap",
    "Comment",
    "CommentLike",
    "Follow",
    "Forum",
    "ForumPin",
    "IdempotencyKey",
    "Message",
    "ModerationCase",
    "Report",
    "RevokedToken",
    "TableCount",
    "TokenUser",
    "User",
]
