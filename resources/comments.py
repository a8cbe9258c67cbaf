from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import get_current_user
from flask_smorest import abort
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from db import commit, db, rollback
from errors import ErrorSchema
from jwt_utils import auth_optional, auth_required
from models import Comment, TokenUser
from models.comment import BoardGone, ParentRefused, add_comment, delete_comment
from resources.access import require_self_or_admin
from resources.blueprint import Blueprint
from resources.comment_queries import list_comments, list_replies, read_comment
from resources.etags import (
    ETAG_HEADER,
    VARY,
    abort_changed_meanwhile,
    check_if_match,
    commit_or_412,
    conditional_read,
    documents_if_match,
    documents_if_none_match,
    etag_of,
)
from resources.pagination import PAGE_SIZES
from schemas.comment import (
    COMMENT_WRITABLE,
    CommentCreateSchema,
    CommentSchema,
    CommentUpdateSchema,
    comment_json,
    written_json,
)
from schemas.moderation import ReportCreateSchema, ReportSchema
from services import moderation

blp = Blueprint(
    "Comments", __name__, description="Comments on boards and one level of replies: public to read."
)

NO_BOARD_DOC = {"schema": ErrorSchema, "description": "No such board."}
NOT_FOUND_DOC = {"schema": ErrorSchema, "description": "No such comment."}
GONE_DOC = {"schema": ErrorSchema, "description": "No such comment, or it was deleted (a placeholder)."}
FORBIDDEN_DOC = {"schema": ErrorSchema, "description": "Neither the author nor an admin (error: forbidden)."}
LOCATION_HEADER = {"Location": {"description": "URL of the new comment", "schema": {"type": "string"}}}
REPORTED_AGAIN = "You had reported it already: your first report, unchanged."


TO_DELETE = select(
    Comment.id,
    Comment.board_id,
    Comment.parent_id,
    Comment.author_id,
    Comment.content,
    Comment.updated_at,
    Comment.deleted,
    Comment.version,
).where(Comment.id == bindparam("comment_id"))


def comment_etag(body: dict[str, Any]) -> str:
    """Two parts (resources/etags.py): If-Match compares what its author wrote, If-None-Match
    the whole representation (replies, counts, the reader's like)."""
    return etag_of(body, COMMENT_WRITABLE)


@blp.route("/boards/<id:board_id>/comments")
class BoardComments(MethodView):
    @blp.doc(operationId="listComments")
    @auth_optional(blp)
    @blp.response(200, CommentSchema(many=True))
    @blp.alt_response(404, **NO_BOARD_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, board_id: int, pagination_parameters: Any) -> Response:
        """List a board's comments, oldest first, each with its first 20 replies (and your likes)"""
        response = list_comments(board_id, pagination_parameters, get_current_user())
        if response is None:
            abort(404, message=f"Board {board_id} not found.")
        response.headers.update(VARY)
        return response

    @blp.doc(operationId="createComment")
    @auth_required(blp)
    # A new thread: Swagger UI would otherwise propose `parent_id: 0`, which answers 422.
    @blp.arguments(CommentCreateSchema, example={"content": "Nice post!"})
    @blp.response(201, CommentSchema, headers=LOCATION_HEADER)
    @blp.alt_response(404, **NO_BOARD_DOC)
    def post(self, data: dict[str, Any], board_id: int) -> tuple[Response, int, dict[str, str]]:
        """Comment on a board, or reply to a top-level comment with `parent_id`"""
        user: TokenUser = get_current_user()
        content, parent_id = data["content"], data["parent_id"]
        try:
            comment_id, now = add_comment(board_id, user.id, content, parent_id)
            commit()
        except BoardGone:
            rollback()
            abort(404, message=f"Board {board_id} not found.")
        except ParentRefused as refused:
            rollback()
            abort(422, errors={"json": {"parent_id": [str(refused)]}})
        except IntegrityError:
            # The board and the parent are locked by the counter updates: only the author can
            # have gone (deleted by an admin) between the token check and the insert.
            rollback()
            abort(401, message="The user of this token no longer exists.", error="user_not_found")
        body = comment_json(
            comment_id, board_id, parent_id, content, user.id, user.username, now, now, False, 0, 0
        )
        location = url_for("Comments.CommentById", comment_id=comment_id, _external=True)
        return jsonify(body), 201, {"Location": location}


@blp.route("/comments/<id:comment_id>")
class CommentById(MethodView):
    @blp.doc(operationId="getComment")
    @auth_optional(blp)
    @documents_if_none_match(blp)
    @blp.response(200, CommentSchema, headers=ETAG_HEADER)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def get(self, comment_id: int) -> Any:
        """Read a comment (with its first 20 replies, an ETag, and your likes)"""
        body = read_comment(comment_id, get_current_user())
        if body is None:
            abort(404, message=f"Comment {comment_id} not found.")
        return conditional_read(body, comment_etag(body))

    @blp.doc(operationId="updateComment")
    @auth_required(blp)
    @blp.arguments(CommentUpdateSchema)
    @documents_if_match(blp)
    @blp.response(200, CommentSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **GONE_DOC)
    def patch(self, data: dict[str, Any], comment_id: int) -> tuple[Response, dict[str, str]]:
        """Edit a comment's content (author or admin)"""
        comment = db.session.get(Comment, comment_id)
        _check_writable(comment_id, comment)
        comment.content = data["content"]  # type: ignore[union-attr]
        commit_or_412()
        body = read_comment(comment_id, get_current_user())
        if body is None:  # deleted right after this edit
            abort(404, message=f"Comment {comment_id} not found.")
        return jsonify(body), {"ETag": comment_etag(body), **VARY}

    @blp.doc(operationId="deleteComment")
    @auth_required(blp)
    @documents_if_match(blp)
    @blp.response(204)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **GONE_DOC)
    def delete(self, comment_id: int) -> None:
        """Delete a comment (author or admin): a placeholder stays while it has replies"""
        comment = db.session.execute(TO_DELETE, {"comment_id": comment_id}).one_or_none()
        _check_writable(comment_id, comment)
        if not delete_comment(comment.id, comment.board_id, comment.parent_id, comment.version):  # type: ignore[union-attr]
            abort_changed_meanwhile()
        commit()


def _check_writable(comment_id: int, comment: Any) -> None:
    """404 for a comment that does not exist or is a placeholder (nothing left to change), 403
    for anyone but its author and admins, 412 for a stale If-Match."""
    if comment is None or comment.deleted:
        abort(404, message=f"Comment {comment_id} not found.")
    require_self_or_admin(comment.author_id)
    written = written_json(comment.content, comment.updated_at, comment.deleted)
    check_if_match(etag_of(written, COMMENT_WRITABLE))


@blp.route("/comments/<id:comment_id>/replies")
class CommentReplies(MethodView):
    @blp.doc(operationId="listReplies")
    @auth_optional(blp)
    @blp.response(200, CommentSchema(many=True))
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, comment_id: int, pagination_parameters: Any) -> Response:
        """List all of a comment's replies, oldest first (with your likes)"""
        response = list_replies(comment_id, pagination_parameters, get_current_user())
        if response is None:
            abort(404, message=f"Comment {comment_id} not found.")
        response.headers.update(VARY)
        return response


@blp.route("/comments/<id:comment_id>/reports")
class CommentReports(MethodView):
    @blp.doc(operationId="reportComment")
    @auth_required(blp)
    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportSchema, description="Your report, the first of yours on this comment.")
    @blp.alt_response(200, schema=ReportSchema, description=REPORTED_AGAIN)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def post(self, data: dict[str, Any], comment_id: int) -> tuple[dict[str, Any], int]:
        """Report a comment to the moderators (once per user; not your own)"""
        body, new = moderation.report(
            get_current_user(), "comment", comment_id, data["reason"], data["detail"]
        )
        return body, 201 if new else 200
