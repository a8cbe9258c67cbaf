"""`/comments/...`: one comment, its edits, its deletion and its replies (services/comments.py).
A board's comments list and the creation of a comment are `/boards/<id>/comments`, in
resources/boards.py."""

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_jwt_extended import get_current_user

from errors import ErrorSchema
from jwt_utils import auth_optional, auth_required
from resources.blueprint import Blueprint
from resources.etags import (
    ETAG_HEADER,
    check_if_match,
    conditional_read,
    documents_if_match,
    documents_if_none_match,
    etag_of,
)
from resources.pagination import PAGE_SIZES, page_request, respond_page
from schemas.comment import COMMENT_WRITABLE, CommentSchema, CommentUpdateSchema
from schemas.mark import LikeStateSchema
from schemas.moderation import ReportCreateSchema, ReportSchema
from services import comments, marks, moderation

blp = Blueprint(
    "Comments", __name__, description="Comments on boards and one level of replies: public to read."
)

NOT_FOUND_DOC = {"schema": ErrorSchema, "description": "No such comment."}
GONE_DOC = {"schema": ErrorSchema, "description": "No such comment, or it was deleted (a placeholder)."}
FORBIDDEN_DOC = {"schema": ErrorSchema, "description": "Neither the author nor an admin (error: forbidden)."}
REPORTED_AGAIN = "You had reported it already: your first report, unchanged."


def comment_etag(body: dict[str, Any]) -> str:
    """Two parts (resources/etags.py): If-Match compares what its author wrote, If-None-Match
    the whole representation (replies, counts, the reader's like)."""
    return etag_of(body, COMMENT_WRITABLE)


def check_comment_if_match(written: dict[str, Any]) -> None:
    """The request's If-Match against a stored comment's written fields (services.comments.IfMatch)."""
    check_if_match(etag_of(written, COMMENT_WRITABLE))


@blp.route("/comments/<id:comment_id>")
class CommentById(MethodView):
    @blp.doc(operationId="getComment")
    @auth_optional(blp)
    @documents_if_none_match(blp)
    @blp.response(200, CommentSchema, headers=ETAG_HEADER)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def get(self, comment_id: int) -> Any:
        """Read a comment (with its first 20 replies, an ETag, and your likes)"""
        body = comments.read_comment(comment_id, get_current_user())
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
        editor = get_current_user()
        body = comments.edit_comment(comment_id, editor, data["content"], check_comment_if_match)
        return jsonify(body), {"ETag": comment_etag(body)}

    @blp.doc(operationId="deleteComment")
    @auth_required(blp)
    @documents_if_match(blp)
    @blp.response(204)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **GONE_DOC)
    def delete(self, comment_id: int) -> None:
        """Delete a comment (author or admin): a placeholder stays while it has replies"""
        comments.delete_comment(comment_id, get_current_user(), check_comment_if_match)


@blp.route("/comments/<id:comment_id>/replies")
class CommentReplies(MethodView):
    @blp.doc(operationId="listReplies")
    @auth_optional(blp)
    @blp.response(200, CommentSchema(many=True))
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.paginate(**PAGE_SIZES)
    def get(self, comment_id: int, pagination_parameters: Any) -> Response:
        """List all of a comment's replies, oldest first (with your likes)"""
        page = comments.list_replies(comment_id, page_request(pagination_parameters), get_current_user())
        return respond_page(page, pagination_parameters)


@blp.route("/comments/<id:comment_id>/like")
class CommentLike(MethodView):
    @auth_required(blp)
    @blp.doc(operationId="likeComment")
    @blp.response(200, LikeStateSchema)
    @blp.alt_response(404, **GONE_DOC)
    def put(self, comment_id: int) -> dict[str, Any]:
        """Like a comment or a reply (idempotent: liking twice counts once)"""
        return marks.like_comment(get_current_user(), comment_id, on=True)

    @auth_required(blp)
    @blp.doc(operationId="unlikeComment")
    @blp.response(200, LikeStateSchema)
    @blp.alt_response(404, **GONE_DOC)
    def delete(self, comment_id: int) -> dict[str, Any]:
        """Take your like of a comment back (idempotent)"""
        return marks.like_comment(get_current_user(), comment_id, on=False)


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
