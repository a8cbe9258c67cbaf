"""Private messages between two users (CONTRACT §10).

Privacy first: a message exists only for its two parties. Anyone else, admins included, and a
party who deleted their copy, get the same 404 as for an id that was never used.
"""

from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import get_current_user
from flask_smorest import abort

from db import commit, rollback, utcnow
from errors import ErrorSchema, error_body
from jwt_utils import auth_required
from models.message import delete_copy, mark_read, send_message
from resources.blueprint import Blueprint
from resources.idempotency import REPLAYED_DOC, created, idempotent
from resources.message_queries import list_messages, parties, read_message
from resources.pagination import PAGE_SIZES
from schemas import (
    PrivateMessageCreateSchema,
    PrivateMessageListArgsSchema,
    PrivateMessageSchema,
    PrivateMessageUpdateSchema,
)
from security.headers import set_no_store
from security.rate_limits import RATE_LIMIT_HEADERS, RateLimit, rate_limit, token_user_key

blp = Blueprint(
    "Messages",
    __name__,
    url_prefix="/messages",
    description="Private messages: only their sender and recipient ever see them.",
)
blp.after_request(set_no_store)

# CONTRACT §10: every attempt by a sender counts (a refused body too), so that a burst can never
# send more than the budget; keyed by the token's user, checked before the view runs.
MESSAGE_RATE_LIMITED = "Too many messages sent: wait before sending more."
SENT_MESSAGES = RateLimit(
    "MESSAGE_RATE_LIMIT", "messages sent per sender", MESSAGE_RATE_LIMITED, key=token_user_key
)

NOT_FOUND_DOC = {
    "schema": ErrorSchema,
    "description": "No such message for you: never sent, someone else's, or deleted from your box.",
    "example": error_body(404, "Message 1 not found."),
}
RECIPIENT_ONLY = "Only the recipient can mark a message read."
FORBIDDEN_DOC = {
    "schema": ErrorSchema,
    "description": "The sender tried to mark their own message read (error: forbidden).",
    "example": error_body(403, RECIPIENT_ONLY, "forbidden"),
}
LOCATION_HEADER = {"Location": {"description": "URL of the new message", "schema": {"type": "string"}}}
UNKNOWN_RECIPIENT = "No such user to write to (or it is yourself)."


def message_not_found(message_id: int) -> None:
    abort(404, message=f"Message {message_id} not found.")


@blp.route("")
class Messages(MethodView):
    @auth_required(blp)
    @blp.arguments(PrivateMessageListArgsSchema, location="query")
    @blp.response(200, PrivateMessageSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    @blp.doc(operationId="listMessages")
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Response:
        """List the messages you sent or received, newest first"""
        return list_messages(get_current_user().id, args, pagination_parameters)

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
        sender = get_current_user()
        sent = send_message(sender.id, data["recipient_id"], data["content"])
        if sent is None:
            rollback()
            abort(422, errors={"json": {"recipient_id": [UNKNOWN_RECIPIENT]}})
        message_id, recipient_username, created_at = sent
        body = {
            "id": message_id,
            "sender": {"id": sender.id, "username": sender.username},
            "recipient": {"id": data["recipient_id"], "username": recipient_username},
            "content": data["content"],
            "created_at": created_at.isoformat(),
            "read_at": None,
        }
        location = url_for("Messages.MessageById", message_id=message_id, _external=True)
        return created(body, {"Location": location})


@blp.route("/<id:message_id>")
class MessageById(MethodView):
    @auth_required(blp)
    @blp.response(200, PrivateMessageSchema)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.doc(operationId="getMessage")
    def get(self, message_id: int) -> Response:
        """Read a message (its sender or recipient only; reading does not mark it read)"""
        body = read_message(message_id, get_current_user().id)
        if body is None:
            message_not_found(message_id)
        return jsonify(body)

    @auth_required(blp)
    @blp.arguments(PrivateMessageUpdateSchema)
    @blp.response(200, PrivateMessageSchema)
    @blp.alt_response(403, **FORBIDDEN_DOC)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.doc(operationId="markMessageRead")
    def patch(self, data: dict[str, Any], message_id: int) -> Response:
        """Mark a message read (its recipient only; again: no change)"""
        me = get_current_user().id
        body = read_message(message_id, me)
        if body is None:
            message_not_found(message_id)
        if body["recipient"] is None or body["recipient"]["id"] != me:
            abort(403, message=RECIPIENT_ONLY, error="forbidden")
        if body["read_at"] is None:
            now = utcnow()
            if mark_read(message_id, me, now):
                commit()
                body["read_at"] = now.isoformat()
            else:  # read or deleted by a request of the same user in the meantime
                rollback()
                body = read_message(message_id, me)
                if body is None:
                    message_not_found(message_id)
        return jsonify(body)

    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(404, **NOT_FOUND_DOC)
    @blp.doc(operationId="deleteMessage")
    def delete(self, message_id: int) -> None:
        """Delete a message from your box (the other party keeps their copy)"""
        me = get_current_user().id
        found = parties(message_id, me)
        if found is None or not delete_copy(message_id, me, as_sender=found[0] == me):
            rollback()
            message_not_found(message_id)
        commit()
