"""Each hot-path JSON builder against its marshmallow schema's dump of the same data: the schema
is the truth, the builder only a faster way to the same body (from named fields)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.comment import CommentSchema, comment_json
from schemas.message import PrivateMessageSchema, message_json

WHEN = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)
LATER = datetime(2026, 11, 30, 8, 30, 0, tzinfo=UTC)


def comment_fields(**changes: Any) -> dict[str, Any]:
    """A comment's named fields as the reads select them (timestamps as the JSON's text)."""
    fields = {
        "id": 7,
        "board_id": 3,
        "parent_id": None,
        "content": "Nice post!",
        "author_id": 2,
        "username": "bob",
        "created_at": WHEN.isoformat(),
        "updated_at": LATER.isoformat(),
        "deleted": False,
        "like_count": 4,
        "reply_count": 1,
        "hidden": False,
        "anonymous": False,
        "author_number": None,
    }
    return {**fields, **changes}


def comment_object(
    fields: dict[str, Any], replies: list[dict[str, Any]], reveal: bool = False
) -> dict[str, Any]:
    """The comment as the object CommentSchema documents (author nested, datetimes)."""
    shown = {name: fields[name] for name in CommentSchema().fields if name in fields}
    deleted = fields["deleted"]
    hidden = fields["anonymous"] and not reveal
    author = (
        None
        if deleted or fields["author_id"] is None or hidden
        else {"id": fields["author_id"], "username": fields["username"]}
    )
    if deleted:
        shown["author_label"] = None
    elif fields["anonymous"]:
        shown["author_label"] = {0: "writer"}.get(
            fields["author_number"], f"anonymous {fields['author_number']}"
        )
    else:
        shown["author_label"] = fields["username"]
    if "liked" in fields:
        shown["liked"] = bool(fields["liked"])
    return {
        **shown,
        "content": "" if deleted else fields["content"],
        "author": author,
        "created_at": datetime.fromisoformat(fields["created_at"]),
        "updated_at": datetime.fromisoformat(fields["updated_at"]),
        "replies": replies,
    }


def comment_dump(
    fields: dict[str, Any], replies: list[dict[str, Any]], reveal: bool = False
) -> dict[str, Any]:
    """CommentSchema's dump of the same comment (`replies` as objects)."""
    return CommentSchema().dump(comment_object(fields, replies, reveal))


@pytest.mark.parametrize("reveal", [False, True], ids=["masked", "revealed"])
@pytest.mark.parametrize(("number", "label"), [(0, "writer"), (3, "anonymous 3")])
def test_comment_shape_of_an_anonymous_comment(reveal, number, label):
    """Its label for everyone; its author for admins alone."""
    fields = comment_fields(anonymous=True, author_number=number)
    built = comment_json(fields, reveal=reveal)
    assert built == comment_dump(fields, [], reveal)
    assert (built["author"], built["author_label"]) == (
        {"id": 2, "username": "bob"} if reveal else None,
        label,
    )


@pytest.mark.parametrize("liked", [None, 0, 1], ids=["no_reader", "not_liked", "liked"])
def test_comment_shape_with_replies(liked):
    extra = {} if liked is None else {"liked": liked}
    reply_fields = comment_fields(id=8, parent_id=7, author_id=5, username="alice", reply_count=0, **extra)
    reply = comment_json(reply_fields, marked=liked is not None)
    assert reply == comment_dump(reply_fields, [])
    fields = comment_fields(**extra)
    built = comment_json(fields, [reply], marked=liked is not None)
    assert built == comment_dump(fields, [comment_object(reply_fields, [])])
    assert ("liked" in built) is (liked is not None)


def test_comment_shape_of_a_placeholder():
    """A deleted comment kept for its replies: no content, no author, whatever the row still says."""
    fields = comment_fields(deleted=True, content="", author_id=None, username=None, like_count=0)
    built = comment_json(fields)
    assert built == comment_dump(fields, [])
    assert (built["content"], built["author"], built["deleted"]) == ("", None, True)


def test_comment_shape_of_a_write_from_datetimes():
    """A create answers from the values it inserted: datetimes, not the reads' text."""
    fields = comment_fields(created_at=WHEN, updated_at=WHEN)
    as_text = comment_fields(created_at=WHEN.isoformat(), updated_at=WHEN.isoformat())
    assert comment_json(fields) == comment_dump(as_text, [])


def message_fields(
    sender: tuple[int | None, str | None], recipient: tuple[int | None, str | None], read_at: datetime | None
) -> dict[str, Any]:
    return {
        "id": 7,
        "sender_id": sender[0],
        "sender_username": sender[1],
        "recipient_id": recipient[0],
        "recipient_username": recipient[1],
        "content": "text",
        "created_at": WHEN,
        "read_at": read_at,
    }


@pytest.mark.parametrize(
    ("sender", "recipient", "read_at"),
    [((1, "a"), (2, "b"), WHEN), ((None, None), (2, "b"), None), ((1, "a"), (None, None), None)],
    ids=["read", "sender_deleted", "recipient_deleted"],
)
def test_message_shape(sender, recipient, read_at):
    built = message_json(message_fields(sender, recipient, read_at))
    dumped = PrivateMessageSchema().dump(
        {
            "id": 7,
            "sender": None if sender[0] is None else {"id": sender[0], "username": sender[1]},
            "recipient": None if recipient[0] is None else {"id": recipient[0], "username": recipient[1]},
            "content": "text",
            "created_at": WHEN,
            "read_at": read_at,
        }
    )
    assert built == dumped
