"""/forums: the places boards live in, and pins (the caller's pinned forums are listed under
/users/me/forums, in resources/users.py)."""

from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import get_current_user

from errors import ErrorSchema, error_body
from jwt_utils import auth_required
from resources.blueprint import Blueprint
from resources.pagination import PAGE_SIZES, page_request, respond_page
from schemas.forum import (
    ForumCreateSchema,
    ForumListArgsSchema,
    ForumSchema,
    ForumUpdateSchema,
    PinStateSchema,
)
from services import forums
from services.forums import ADMINS_ONLY

blp = Blueprint(
    "Forums",
    __name__,
    url_prefix="/forums",
    description="Where boards live: public to read; admins create, change and delete them. Pins.",
)

LOCATION_HEADER = {"Location": {"description": "URL of the new forum", "schema": {"type": "string"}}}
NOT_FOUND_DOC = {
    "schema": ErrorSchema,
    "description": "No such forum.",
    "example": error_body(404, "Forum 7 not found."),
}
FORBIDDEN_DOC = {
    "schema": ErrorSchema,
    "description": "Not an admin (error: forbidden).",
    "example": error_body(403, ADMINS_ONLY, "forbidden"),
}
NAME_TAKEN_DOC = {
    "schema": ErrorSchema,
    "description": "Another forum has this name, whatever its case (error: forum_name_taken).",
    "example": error_body(409, "A forum named 'Careers' already exists.", "forum_name_taken"),
}
NOT_EMPTY_DOC = {
    "schema": ErrorSchema,
    "description": "The forum still has boards (error: forum_not_empty), or it is General, where "
    "boards that name no forum go (error: forum_is_default).",
    "example": error_body(409, "Forum 7 still has 12 boards: delete them first.", "forum_not_empty"),
}


@blp.route("")
class Forums(MethodView):
    @blp.doc(operationId="listForums")
    @blp.arguments(ForumListArgsSchema, location="query")
    @blp.response(200, ForumSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Response:
        """List forums by name, or the forums of one category"""
        page = forums.list_forums(args.get("category"), page_request(pagination_parameters))
        return respond_page(page, pagination_parameters)

    @blp.doc(operationId="createForum")
    @auth_required(blp)
    @blp.arguments(ForumCreateSchema)
    @blp.response(201, ForumSchema, headers=LOCATION_HEADER)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(409, **NAME_TAKEN_DOC)
    def post(self, data: dict[str, Any]) -> tuple[Response, int, dict[str, str]]:
        """Create a forum (admins)"""
        forum = forums.create_forum(get_current_user(), data)
        location = url_for("Forums.ForumById", forum_id=forum["id"], _external=True)
        return jsonify(forum), 201, {"Location": location}


@blp.route("/<id:forum_id>")
class ForumById(MethodView):
    @blp.doc(operationId="getForum")
    @blp.response(200, ForumSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def get(self, forum_id: int) -> Response:
        """Read a forum"""
        return jsonify(forums.get_forum(forum_id))

    @blp.doc(operationId="updateForum")
    @auth_required(blp)
    @blp.arguments(ForumUpdateSchema)
    @blp.response(200, ForumSchema)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.alt_response(409, **NAME_TAKEN_DOC)
    def patch(self, data: dict[str, Any], forum_id: int) -> Response:
        """Change some fields of a forum (admins)

        A change of `anonymous` applies to the boards and comments written from then on: those
        already written stay as they are.
        """
        return jsonify(forums.update_forum(get_current_user(), forum_id, data))

    @blp.doc(operationId="deleteForum")
    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.alt_response(409, **NOT_EMPTY_DOC)
    def delete(self, forum_id: int) -> None:
        """Delete a forum that has no boards (admins)"""
        forums.delete_forum(get_current_user(), forum_id)


@blp.route("/<id:forum_id>/pin")
class ForumPin(MethodView):
    @blp.doc(operationId="pinForum")
    @auth_required(blp)
    @blp.response(200, PinStateSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def put(self, forum_id: int) -> dict[str, bool]:
        """Pin a forum, to find it in your pinned forums (idempotent)"""
        return forums.pin_forum(get_current_user(), forum_id)

    @blp.doc(operationId="unpinForum")
    @auth_required(blp)
    @blp.response(200, PinStateSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    def delete(self, forum_id: int) -> dict[str, bool]:
        """Unpin a forum (idempotent)"""
        return forums.unpin_forum(get_current_user(), forum_id)
