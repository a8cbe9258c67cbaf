"""`/messages`: private messages between two users (services/messages.py). Only their sender and
recipient ever see one: anyone else, admins included, and a party who deleted their copy, get the
same 404 as for an id that was never used."""

from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import get_current_user

from errors import ErrorSchema, error_body
from jwt_utils import auth_required
from resources.blueprint import Blueprint
from resources.idempotency import REPLAYED_DOC, created, idempotent
from resources.pagination import PAGE_SIZES, page_request, respond_page
from schemas import (
    PrivateMessageCreateSchema,
    PrivateMessageListArgsSchema,
    PrivateMessageSchema,
    PrivateMessageUpdateSchema,
)
from security.headers import set_no_store
from security.rate_limits import RATE_LIMIT_HEADERS, RateLimit, rate_limit, token_user_key
from services import messages
from services.messages import RECIPIENT_ONLY

blp = Blueprint(
    "Messages",
    __name__,
    url_prefix="/messages",
    description="Private messages: only their sender and recipient ever see them.",
)
blp.after_request(set_no_store)

# Every attempt by a sender counts (a refused body too), so that a burst can never send more
# than the budget; keyed by the token's user, checked before the view runs.
MESSAGE_RATE_LIMITED = "Too many messages sent: wait before sending more."
SENT_MESSAGES = RateLimit(
    "MESSAGE_RATE_LIMIT", "messages sent per sender", MESSAGE_RATE_LIMITED, key=token_user_key
)

NOT_FOUND_DOC = {
    "schema": ErrorSchema,
    "description": "No such message for you: never sent, someone else's, or deleted from your box.",
    "example": error_body(404, "Message 1 not found."),
}
FORBIDDEN_DOC = {
    "schema": ErrorSchema,
    "description": "The sender tried to mark their own message read (error: forbidden).",
    "example": error_body(403, RECIPIENT_ONLY, "forbidden"),
}
LOCATION_HEADER = {"Location": {"description": "URL of the new message", "schema": {"type": "string"}}}


@blp.route("")
class Messages(MethodView):
    @auth_required(blp)
    @blp.arguments(PrivateMessageListArgsSchema, location="query")
    @blp.response(200, PrivateMessageSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    @blp.doc(operationId="listMessages")
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Response:
        """List the messages you sent or received, newest first"""
        me, page = get_current_user().id, page_request(pagination_parameters)
        box = messages.list_messages(me, page, args.get("with_"), args["unread"])
        return respond_page(box, pagination_parameters)

    @rate_limit(blp, SENT_MESSAGES)
    @auth_required(blp)
    @blp.arguments(PrivateMessageCreateSchema)
    @blp.response(
        201, PrivateMessageSchema, headers={**LOCATION_HEADER, **RATE_LIMIT_HEADERS, **REPLAYED_DOC}
    )
    @blp.doc(operationId="sendMessage")
    @idempotent(blp)
    def post(self, data: dict[str, Any]) -> Response:
        """Send a message to another user

        Rate-limited per sender (MESSAGE_RATE_LIMIT, default 30 per minute).
        """
        body = messages.send_message(get_current_user(), data["recipient_id"], data["content"])
        location = url_for("Messages.MessageById", message_id=body["id"], _external=True)
        return created(body, {"Location": location})


@blp.route("/<id:message_id>")
class MessageById(MethodView):
    @auth_required(blp)
    @blp.response(200, PrivateMessageSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.doc(operationId="getMessage")
    def get(self, message_id: int) -> Response:
        """Read a message (its sender or recipient only; reading does not mark it read)"""
        return jsonify(messages.read_message(message_id, get_current_user().id))

    @auth_required(blp)
    @blp.arguments(PrivateMessageUpdateSchema)
    @blp.response(200, PrivateMessageSchema)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.doc(operationId="markMessageRead")
    def patch(self, data: dict[str, Any], message_id: int) -> Response:
        """Mark a message read (its recipient only; again: no change)"""
        return jsonify(messages.mark_read(message_id, get_current_user().id))

    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.doc(operationId="deleteMessage")
    def delete(self, message_id: int) -> None:
        """Delete a message from your box (the other party keeps their copy)"""
        messages.delete_copy(message_id, get_current_user().id)
