"""Private messages. Named `PrivateMessage…`: `MessageSchema` is the
`{"message": …}` body of schemas/auth.py, and OpenAPI component names must differ."""

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from schemas.numbers import body_id, query_id
from schemas.text import multi_line

MAX_CONTENT = 1000


class MessagePartySchema(Schema):
    id = fields.Integer(required=True, dump_only=True, metadata={"example": 2})
    username = fields.String(required=True, dump_only=True, metadata={"example": "bob"})


class PrivateMessageSchema(Schema):
    id = fields.Integer(required=True, dump_only=True, metadata={"example": 1})
    sender = fields.Nested(
        MessagePartySchema,
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={"description": "null once the sender's account is deleted"},
    )
    recipient = fields.Nested(
        MessagePartySchema,
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={"description": "null once the recipient's account is deleted"},
    )
    content = fields.String(required=True, dump_only=True, metadata={"example": "Hi Bob, about your post…"})
    created_at = fields.DateTime(required=True, dump_only=True)
    read_at = fields.DateTime(
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={"description": "When the recipient marked it read; null while unread"},
    )


def message_json(message: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly `PrivateMessageSchema().dump(...)` of the same message (a test holds them equal),
    from named fields: a row's `._mapping` (the columns of services.messages.MESSAGE_ROWS) or a
    dict with the same keys. Marshmallow walking the fields would cost more than a page's SQL."""
    sender_id, recipient_id, read_at = message["sender_id"], message["recipient_id"], message["read_at"]
    return {
        "id": message["id"],
        "sender": None if sender_id is None else {"id": sender_id, "username": message["sender_username"]},
        "recipient": None
        if recipient_id is None
        else {"id": recipient_id, "username": message["recipient_username"]},
        "content": message["content"],
        "created_at": message["created_at"].isoformat(),
        "read_at": None if read_at is None else read_at.isoformat(),
    }


class PrivateMessageCreateSchema(Schema):
    recipient_id = body_id(
        required=True, metadata={"description": "The user to write to (not yourself)", "example": 2}
    )
    content = multi_line(
        required=True, min_length=1, max_length=MAX_CONTENT, metadata={"example": "Hi Bob, about your post…"}
    )


class PrivateMessageUpdateSchema(Schema):
    read = fields.Boolean(
        required=True,
        validate=validate.OneOf([True], error="A message cannot be marked unread."),
        metadata={"description": "Only `true`: marks the message read (recipient only)", "example": True},
    )


class PrivateMessageListArgsSchema(Schema):
    with_ = query_id(
        data_key="with",
        metadata={"description": "Only the conversation with this user (sent to or received from them)"},
    )
    unread = fields.Boolean(
        load_default=False,
        metadata={"description": "`true`: only received messages not read yet"},
    )
