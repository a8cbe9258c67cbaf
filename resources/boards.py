from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import get_current_user
from flask_smorest import abort

from db import commit
from errors import ErrorSchema
from jwt_utils import auth_optional, auth_required
from models import Board
from models.board import LOCKED_COLUMNS, delete_board, edit_board
from models.row_lock import lock_row
from resources.access import require_self_or_admin
from resources.blueprint import Blueprint
from resources.board_queries import create_board, list_boards, read_board
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
from schemas import BoardCreateSchema, BoardListArgsSchema, BoardSchema, BoardUpdateSchema
from schemas.board import BOARD_WRITABLE, written_json
from schemas.comment import CommentCreateSchema, CommentSchema
from services import comments

blp = Blueprint(
    "Boards", __name__, url_prefix="/boards", description="Posts: public to read, author-only to change."
)

NOT_FOUND_DOC = {"schema": ErrorSchema, "description": "No such board."}
FORBIDDEN_DOC = {"schema": ErrorSchema, "description": "Neither the author nor an admin (error: forbidden)."}
LOCATION_HEADER = {"Location": {"description": "URL of the new board", "schema": {"type": "string"}}}


@blp.route("")
class Boards(MethodView):
    @blp.doc(operationId="listBoards")
    @validation_example(blp, {"query": {"before": ["Use either before or page, not both."]}})
    @auth_optional(blp)
    @blp.arguments(BoardListArgsSchema, location="query")
    @blp.response(200, BoardSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Response:
        """List boards, newest or most liked first (with your marks when you send a token)

        `before` and a `page` above 1 exclude each other: sending both is a 422 (a rule across
        two query parameters, which OpenAPI cannot state in a schema).
        """
        return list_boards(args, pagination_parameters, get_current_user())

    @blp.doc(operationId="createBoard")
    @auth_required(blp)
    @blp.arguments(BoardCreateSchema)
    @blp.response(201, BoardSchema, headers={**LOCATION_HEADER, **ETAG_HEADER, **REPLAYED_DOC})
    @idempotent(blp)
    def post(self, data: dict[str, Any]) -> Response:
        """Create a board"""
        body = create_board(get_current_user(), data["title"], data["content"])
        location = url_for("Boards.BoardById", board_id=body["id"], _external=True)
        return created(body, {"Location": location, "ETag": etag_of(body, BOARD_WRITABLE)})


@blp.route("/<id:board_id>")
class BoardById(MethodView):
    @blp.doc(operationId="getBoard")
    @auth_optional(blp)
    @documents_if_none_match(blp)
    @blp.response(200, BoardSchema, headers=ETAG_HEADER)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def get(self, board_id: int) -> Any:
        """Read a board (with an ETag, and your marks when you send a token)"""
        body = read_board(board_id, get_current_user())
        if body is None:
            abort(404, message=f"Board {board_id} not found.")
        return conditional_read(body, etag_of(body, BOARD_WRITABLE))

    @blp.doc(operationId="replaceBoard")
    @auth_required(blp)
    @blp.arguments(BoardCreateSchema)
    @documents_if_match(blp)
    @blp.response(200, BoardSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def put(self, data: dict[str, Any], board_id: int) -> tuple[Response, dict[str, str]]:
        """Replace a board's title and content (author or admin)"""
        return _update(board_id, data)

    @blp.doc(operationId="updateBoard")
    @auth_required(blp)
    @blp.arguments(BoardUpdateSchema)
    @documents_if_match(blp)
    @blp.response(200, BoardSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def patch(self, data: dict[str, Any], board_id: int) -> tuple[Response, dict[str, str]]:
        """Change some fields of a board (author or admin)"""
        return _update(board_id, data)

    @blp.doc(operationId="deleteBoard")
    @auth_required(blp)
    @documents_if_match(blp)
    @blp.response(204)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, board_id: int) -> None:
        """Delete a board and its comments (author or admin)"""
        _writable_board(board_id)
        # Its comments go by ON DELETE CASCADE, replies included: nothing outside them counts them.
        delete_board(board_id)
        commit()


def _writable_board(board_id: int) -> Any:
    """The board, locked for this request's write (models/row_lock.py), after the checks: 404,
    403 for anyone but its author and admins, 412 for a stale If-Match."""
    board = lock_row(Board.__table__, board_id, *LOCKED_COLUMNS)
    if board is None:
        abort(404, message=f"Board {board_id} not found.")
    require_self_or_admin(board.author_id)
    check_if_match(etag_of(written_json(board.title, board.content, board.updated_at), BOARD_WRITABLE))
    return board


def _update(board_id: int, data: dict[str, Any]) -> tuple[Response, dict[str, str]]:
    board = _writable_board(board_id)
    # Only what differs: a write that changes nothing is no edit, and leaves updated_at alone.
    changes = {field: value for field, value in data.items() if getattr(board, field) != value}
    if changes:
        edit_board(board_id, changes)
    body = read_board(board_id)  # the row as this transaction wrote it
    commit()
    return jsonify(body), {"ETag": etag_of(body, BOARD_WRITABLE)}  # type: ignore[arg-type]


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
        body = comments.create_comment(board_id, user, data["content"], data["parent_id"])
        location = url_for("Comments.CommentById", comment_id=body["id"], _external=True)
        return created(body, {"Location": location, "ETag": comment_etag(body)})
