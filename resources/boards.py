"""/boards: the boards, their likes and scraps, and the feed (services/boards.py, services/marks.py)."""

from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import get_current_user

from errors import ErrorSchema
from jwt_utils import auth_optional, auth_required
from resources.blueprint import Blueprint
from resources.comments import comment_etag
from resources.etags import (
    ETAG_HEADER,
    check_if_match,
    conditional_read,
    documents_if_match,
    documents_if_none_match,
    etag_of,
)
from resources.idempotency import REPLAYED_DOC, created, idempotent
from resources.openapi_examples import validation_example
from resources.pagination import PAGE_SIZES, page_request, respond_page
from schemas import BoardCreateSchema, BoardListArgsSchema, BoardSchema, BoardUpdateSchema, FeedArgsSchema
from schemas.board import BOARD_WRITABLE, BoardReplaceSchema
from schemas.comment import CommentCreateSchema, CommentSchema
from schemas.mark import LikeStateSchema, ScrapStateSchema
from schemas.moderation import ReportCreateSchema, ReportSchema
from services import boards, comments, marks, moderation
from services.boards import BEFORE_WITH_PAGE

blp = Blueprint(
    "Boards", __name__, url_prefix="/boards", description="Posts: public to read, author-only to change."
)

NOT_FOUND_DOC = {"schema": ErrorSchema, "description": "No such board."}
REPORTED_AGAIN = "You had reported it already: your first report, unchanged."
FORBIDDEN_DOC = {"schema": ErrorSchema, "description": "Neither the author nor an admin (error: forbidden)."}
LOCATION_HEADER = {"Location": {"description": "URL of the new board", "schema": {"type": "string"}}}


def if_match(written: dict[str, Any]) -> None:
    """The request's If-Match checked against a stored board's written fields (412 when stale)."""
    check_if_match(etag_of(written, BOARD_WRITABLE))


def written_etag(body: dict[str, Any]) -> str:
    """The ETag of a write's answer: made of the body it sends (its author masked as sent), less
    `is_mine`, so that it is the tag a read without a token gives (usable at once for
    If-None-Match as for If-Match)."""
    return etag_of({name: value for name, value in body.items() if name != "is_mine"}, BOARD_WRITABLE)


@blp.route("")
class Boards(MethodView):
    @blp.doc(operationId="listBoards")
    @validation_example(blp, {"query": {"before": [BEFORE_WITH_PAGE]}})
    @auth_optional(blp)
    @blp.arguments(BoardListArgsSchema, location="query")
    @blp.response(200, BoardSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Response:
        """List boards, newest or most liked first (with your marks when you send a token)

        `before` and a `page` above 1 exclude each other: sending both is a 422 (a rule across
        two query parameters, which OpenAPI cannot state in a schema).
        """
        wanted = page_request(pagination_parameters, args.get("before"))
        page = boards.list_boards(args, wanted, get_current_user())
        return respond_page(page, pagination_parameters)

    @blp.doc(operationId="createBoard")
    @auth_required(blp)
    @blp.arguments(BoardCreateSchema)
    @blp.response(201, BoardSchema, headers={**LOCATION_HEADER, **ETAG_HEADER, **REPLAYED_DOC})
    @idempotent(blp)
    def post(self, data: dict[str, Any]) -> Response:
        """Create a board"""
        user = get_current_user()
        body = boards.create_board(user, data["title"], data["content"], data["forum_id"], data["anonymous"])
        location = url_for("Boards.BoardById", board_id=body["id"], _external=True)
        return created(body, {"Location": location, "ETag": written_etag(body)})


@blp.route("/<id:board_id>")
class BoardById(MethodView):
    @blp.doc(operationId="getBoard")
    @auth_optional(blp)
    @documents_if_none_match(blp)
    @blp.response(200, BoardSchema, headers=ETAG_HEADER)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def get(self, board_id: int) -> Any:
        """Read a board (with an ETag, and your marks when you send a token)"""
        body = boards.read_board(board_id, get_current_user())
        return conditional_read(body, etag_of(body, BOARD_WRITABLE))

    @blp.doc(operationId="replaceBoard")
    @auth_required(blp)
    @blp.arguments(BoardReplaceSchema)
    @documents_if_match(blp)
    @blp.response(200, BoardSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def put(self, data: dict[str, Any], board_id: int) -> tuple[Response, dict[str, str]]:
        """Replace a board's title and content (author or admin)"""
        body = boards.update_board(board_id, get_current_user(), data, if_match)
        return jsonify(body), {"ETag": written_etag(body)}

    @blp.doc(operationId="updateBoard")
    @auth_required(blp)
    @blp.arguments(BoardUpdateSchema)
    @documents_if_match(blp)
    @blp.response(200, BoardSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def patch(self, data: dict[str, Any], board_id: int) -> tuple[Response, dict[str, str]]:
        """Change some fields of a board (author or admin)"""
        body = boards.update_board(board_id, get_current_user(), data, if_match)
        return jsonify(body), {"ETag": written_etag(body)}

    @blp.doc(operationId="deleteBoard")
    @auth_required(blp)
    @documents_if_match(blp)
    @blp.response(204)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, board_id: int) -> None:
        """Delete a board and its comments (author or admin)"""
        boards.delete_board(board_id, get_current_user(), if_match)


@blp.route("/feed")
class Feed(MethodView):
    @auth_required(blp)
    @blp.doc(operationId="listFeed")
    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, BoardSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Response:
        """List the boards of the users you follow, newest first (page numbers, or keyset pages with `before`)"""
        page = boards.feed(get_current_user(), page_request(pagination_parameters, args.get("before")))
        return respond_page(page, pagination_parameters)


COMMENT_LOCATION_HEADER = {
    "Location": {"description": "URL of the new comment", "schema": {"type": "string"}}
}


# A board's comments, documented with the other comment operations (tag "Comments").
@blp.route("/<id:board_id>/comments", tags=["Comments"])
class BoardComments(MethodView):
    @blp.doc(operationId="listComments")
    @auth_optional(blp)
    @blp.response(200, CommentSchema(many=True))
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, board_id: int, pagination_parameters: Any) -> Response:
        """List a board's comments, oldest first, each with its first 20 replies (and your likes)"""
        page = comments.list_comments(board_id, page_request(pagination_parameters), get_current_user())
        return respond_page(page, pagination_parameters)

    @blp.doc(operationId="createComment")
    @auth_required(blp)
    # A new thread: Swagger UI would otherwise propose `parent_id: 0`, which answers 422.
    @blp.arguments(CommentCreateSchema, example={"content": "Nice post!"})
    @blp.response(201, CommentSchema, headers={**COMMENT_LOCATION_HEADER, **ETAG_HEADER, **REPLAYED_DOC})
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @idempotent(blp)
    def post(self, data: dict[str, Any], board_id: int) -> Response:
        """Comment on a board, or reply to a top-level comment with `parent_id`"""
        user = get_current_user()
        body = comments.create_comment(board_id, user, data["content"], data["parent_id"], data["anonymous"])
        location = url_for("Comments.CommentById", comment_id=body["id"], _external=True)
        return created(body, {"Location": location, "ETag": comment_etag(body)})


@blp.route("/<id:board_id>/like")
class BoardLike(MethodView):
    @auth_required(blp)
    @blp.doc(operationId="likeBoard")
    @blp.response(200, LikeStateSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def put(self, board_id: int) -> dict[str, Any]:
        """Like a board (idempotent: liking twice counts once)"""
        return marks.like_board(get_current_user(), board_id, on=True)

    @auth_required(blp)
    @blp.doc(operationId="unlikeBoard")
    @blp.response(200, LikeStateSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, board_id: int) -> dict[str, Any]:
        """Take your like of a board back (idempotent)"""
        return marks.like_board(get_current_user(), board_id, on=False)


@blp.route("/<id:board_id>/scrap")
class BoardScrap(MethodView):
    @auth_required(blp)
    @blp.doc(operationId="scrapBoard")
    @blp.response(200, ScrapStateSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def put(self, board_id: int) -> dict[str, Any]:
        """Keep a board in your scraps (idempotent)"""
        return marks.scrap_board(get_current_user(), board_id, on=True)

    @auth_required(blp)
    @blp.doc(operationId="unscrapBoard")
    @blp.response(200, ScrapStateSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, board_id: int) -> dict[str, Any]:
        """Remove a board from your scraps (idempotent)"""
        return marks.scrap_board(get_current_user(), board_id, on=False)


@blp.route("/<id:board_id>/reports")
class BoardReports(MethodView):
    @blp.doc(operationId="reportBoard")
    @auth_required(blp)
    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportSchema, description="Your report, the first of yours on this board.")
    @blp.alt_response(200, schema=ReportSchema, description=REPORTED_AGAIN)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def post(self, data: dict[str, Any], board_id: int) -> tuple[dict[str, Any], int]:
        """Report a board to the moderators (once per user; not your own)"""
        body, new = moderation.report(get_current_user(), "board", board_id, data["reason"], data["detail"])
        return body, 201 if new else 200
