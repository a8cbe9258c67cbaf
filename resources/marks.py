"""Likes and scraps of boards, likes of comments (CONTRACT §8), and the caller's own scraps.

The routes join the Boards, Comments and Users blueprints (and their tags): `/boards/<id>/like`
is about a board, `/comments/<id>/like` about a comment, `/users/me/scraps` about the caller.
app.py imports this module before registering them.
"""

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_jwt_extended import get_current_user
from flask_smorest import abort

from errors import ErrorSchema
from jwt_utils import auth_required
from models.mark import BOARD_LIKE, BOARD_SCRAP, COMMENT_LIKE, Mark
from resources import boards, comments, users
from resources.board_queries import list_scraps
from resources.pagination import PAGE_SIZES
from schemas import BoardSchema
from schemas.mark import LikeStateSchema, ScrapStateSchema
from security.headers import no_store

NOT_FOUND_DOC = {"schema": ErrorSchema, "description": "No such board."}
COMMENT_GONE_DOC = {
    "schema": ErrorSchema,
    "description": "No such comment, or it was deleted (a placeholder).",
}
PRIVATE_DOC = {"Cache-Control": {"description": "`no-store`: private data", "schema": {"type": "string"}}}


def set_mark(mark: Mark, target_id: int, *, on: bool, what: str = "Board") -> int:
    count = mark.set(get_current_user().id, target_id, on=on)
    if count is None:
        abort(404, message=f"{what} {target_id} not found.")
    return count


@boards.blp.route("/<id:board_id>/like")
class BoardLike(MethodView):
    @auth_required(boards.blp)
    @boards.blp.doc(operationId="likeBoard")
    @boards.blp.response(200, LikeStateSchema)
    @boards.blp.alt_response(404, **NOT_FOUND_DOC)
    def put(self, board_id: int) -> dict[str, Any]:
        """Like a board (idempotent: liking twice counts once)"""
        return {"liked": True, "like_count": set_mark(BOARD_LIKE, board_id, on=True)}

    @auth_required(boards.blp)
    @boards.blp.doc(operationId="unlikeBoard")
    @boards.blp.response(200, LikeStateSchema)
    @boards.blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, board_id: int) -> dict[str, Any]:
        """Take your like of a board back (idempotent)"""
        return {"liked": False, "like_count": set_mark(BOARD_LIKE, board_id, on=False)}


@boards.blp.route("/<id:board_id>/scrap")
class BoardScrap(MethodView):
    @auth_required(boards.blp)
    @boards.blp.doc(operationId="scrapBoard")
    @boards.blp.response(200, ScrapStateSchema)
    @boards.blp.alt_response(404, **NOT_FOUND_DOC)
    def put(self, board_id: int) -> dict[str, Any]:
        """Keep a board in your scraps (idempotent)"""
        return {"scrapped": True, "scrap_count": set_mark(BOARD_SCRAP, board_id, on=True)}

    @auth_required(boards.blp)
    @boards.blp.doc(operationId="unscrapBoard")
    @boards.blp.response(200, ScrapStateSchema)
    @boards.blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, board_id: int) -> dict[str, Any]:
        """Remove a board from your scraps (idempotent)"""
        return {"scrapped": False, "scrap_count": set_mark(BOARD_SCRAP, board_id, on=False)}


@comments.blp.route("/comments/<id:comment_id>/like")
class CommentLike(MethodView):
    @auth_required(comments.blp)
    @comments.blp.doc(operationId="likeComment")
    @comments.blp.response(200, LikeStateSchema)
    @comments.blp.alt_response(404, **COMMENT_GONE_DOC)
    def put(self, comment_id: int) -> dict[str, Any]:
        """Like a comment or a reply (idempotent: liking twice counts once)"""
        return {"liked": True, "like_count": set_mark(COMMENT_LIKE, comment_id, on=True, what="Comment")}

    @auth_required(comments.blp)
    @comments.blp.doc(operationId="unlikeComment")
    @comments.blp.response(200, LikeStateSchema)
    @comments.blp.alt_response(404, **COMMENT_GONE_DOC)
    def delete(self, comment_id: int) -> dict[str, Any]:
        """Take your like of a comment back (idempotent)"""
        return {"liked": False, "like_count": set_mark(COMMENT_LIKE, comment_id, on=False, what="Comment")}


@users.blp.route("/me/scraps")
class MyScraps(MethodView):
    @no_store
    @auth_required(users.blp)
    @users.blp.doc(operationId="listMyScraps")
    @users.blp.response(200, BoardSchema(many=True), headers=PRIVATE_DOC)
    @users.blp.paginate(**PAGE_SIZES)
    def get(self, pagination_parameters: Any) -> Response:
        """List your scraps, most recently scrapped first (private: only you can)"""
        return list_scraps(get_current_user(), pagination_parameters)
