from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import get_current_user
from flask_smorest import abort
from sqlalchemy.orm import contains_eager

from db import db
from errors import ErrorSchema
from jwt_utils import auth_optional, auth_required
from models import Board
from resources.access import require_self_or_admin
from resources.blueprint import Blueprint
from resources.board_queries import create_board, list_boards, read_board
from resources.etags import (
    ETAG_HEADER,
    VARY,
    check_if_match,
    commit_or_412,
    conditional_read,
    documents_if_match,
    documents_if_none_match,
    etag_of,
)
from resources.openapi_examples import validation_example
from resources.pagination import PAGE_SIZES
from schemas import BoardCreateSchema, BoardListArgsSchema, BoardSchema, BoardUpdateSchema
from schemas.board import BOARD_WRITABLE
from schemas.moderation import ReportCreateSchema, ReportSchema
from services import moderation

blp = Blueprint(
    "Boards", __name__, url_prefix="/boards", description="Posts: public to read, author-only to change."
)

NOT_FOUND_DOC = {"schema": ErrorSchema, "description": "No such board."}
REPORTED_AGAIN = "You had reported it already: your first report, unchanged."
FORBIDDEN_DOC = {"schema": ErrorSchema, "description": "Neither the author nor an admin (error: forbidden)."}
LOCATION_HEADER = {"Location": {"description": "URL of the new board", "schema": {"type": "string"}}}
board_schema = BoardSchema()


def boards_with_authors():  # type: ignore[no-untyped-def]
    """Boards joined to their authors in the same query: a page costs no extra query per row."""
    return db.select(Board).join(Board.author).options(contains_eager(Board.author))


def get_board(board_id: int) -> Board:
    board = db.session.execute(boards_with_authors().where(Board.id == board_id)).scalar_one_or_none()
    if board is None:
        abort(404, message=f"Board {board_id} not found.")
    return board


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
        response = list_boards(args, pagination_parameters, get_current_user())
        response.headers.update(VARY)
        return response

    @blp.doc(operationId="createBoard")
    @auth_required(blp)
    @blp.arguments(BoardCreateSchema)
    @blp.response(201, BoardSchema, headers=LOCATION_HEADER)
    def post(self, data: dict[str, Any]) -> tuple[Response, int, dict[str, str]]:
        """Create a board"""
        body = create_board(get_current_user(), data["title"], data["content"])
        location = url_for("Boards.BoardById", board_id=body["id"], _external=True)
        return jsonify(body), 201, {"Location": location}


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
    def put(self, data: dict[str, Any], board_id: int) -> tuple[Board, dict[str, str]]:
        """Replace a board's title and content (author or admin)"""
        return _update(board_id, data)

    @blp.doc(operationId="updateBoard")
    @auth_required(blp)
    @blp.arguments(BoardUpdateSchema)
    @documents_if_match(blp)
    @blp.response(200, BoardSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def patch(self, data: dict[str, Any], board_id: int) -> tuple[Board, dict[str, str]]:
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
        board = _writable_board(board_id)
        # Its comments go by ON DELETE CASCADE, replies included: nothing outside them counts them.
        db.session.delete(board)
        commit_or_412()


def _writable_board(board_id: int) -> Board:
    board = get_board(board_id)
    require_self_or_admin(board.author_id)
    check_if_match(etag_of(board_schema.dump(board), BOARD_WRITABLE))
    return board


def _update(board_id: int, data: dict[str, Any]) -> tuple[Board, dict[str, str]]:
    board = _writable_board(board_id)
    for field, value in data.items():
        setattr(board, field, value)
    commit_or_412()
    return board, {"ETag": etag_of(board_schema.dump(board), BOARD_WRITABLE)}


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
