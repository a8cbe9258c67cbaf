from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from models.anonymous_author import author_label
from schemas.board import BoardAuthorSchema, BodyBoolean
from schemas.numbers import body_id
from schemas.text import multi_line
from schemas.timestamps import iso

MAX_LENGTH = 2000
# A page of top-level comments embeds this many replies of each; /comments/<id>/replies has all.
EMBEDDED_REPLIES = 20


class CommentSchema(Schema):
    """A comment or a reply; a placeholder of a deleted comment has `deleted`, empty content and
    a null author."""

    id = fields.Integer(required=True, dump_only=True, metadata={"example": 1})
    board_id = fields.Integer(required=True, dump_only=True, metadata={"example": 1})
    parent_id = fields.Integer(
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The top-level comment this replies to; null on a top-level comment."},
    )
    content = fields.String(required=True, dump_only=True, metadata={"example": "Nice post!"})
    author = fields.Nested(
        BoardAuthorSchema,
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Null on the placeholder of a deleted comment, and on an anonymous "
            "comment but for admins, who see its author."
        },
    )
    created_at = fields.DateTime(required=True, dump_only=True)
    updated_at = fields.DateTime(required=True, dump_only=True)
    deleted = fields.Boolean(
        required=True,
        dump_only=True,
        metadata={"description": "A placeholder kept while the deleted comment still has replies."},
    )
    like_count = fields.Integer(required=True, dump_only=True, metadata={"example": 0})
    anonymous = fields.Boolean(
        required=True,
        dump_only=True,
        metadata={"description": "Whether the comment hides its author.", "example": False},
    )
    author_label = fields.String(
        required=True,
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Who wrote it, as everyone sees it: the username; on an anonymous comment "
            '"writer" (the board\'s writer) or "anonymous N" (the board\'s Nth anonymous commenter); '
            "null on a placeholder.",
            "example": "alice",
        },
    )
    reply_count = fields.Integer(
        required=True,
        dump_only=True,
        metadata={
            "description": "Its replies that everyone sees (0 on a reply): hidden ones are left out.",
            "example": 0,
        },
    )
    hidden = fields.Boolean(
        required=True,
        dump_only=True,
        metadata={
            "description": "Hidden by moderation: only its author and admins see it (true); false "
            "for everyone else, who never see a hidden comment.",
            "example": False,
        },
    )
    liked = fields.Boolean(
        dump_only=True,
        metadata={"description": "Whether you like it: only on reads with a valid access token."},
    )
    replies = fields.List(
        fields.Nested(lambda: CommentSchema()),
        required=True,
        dump_only=True,
        metadata={"description": f"Its first {EMBEDDED_REPLIES} replies, oldest first ([] on a reply)."},
    )


def comment_json(
    comment: Mapping[str, Any],
    replies: list[dict[str, Any]] | None = None,
    marked: bool = False,
    *,
    reveal: bool = False,
) -> dict[str, Any]:
    """Exactly `CommentSchema().dump(...)` of the same comment (a test holds them equal), for the
    read paths, from named fields: a row's `._mapping` (the columns of services.comments.FIELDS,
    and `liked`) or a dict with the same keys. A page of 20 comments with 20 replies each is 420
    objects, far too many to walk through marshmallow. `marked`: the fields hold the reader's
    `liked` (0/1 from SQL), read only when a token says who reads. `reveal`: the reader is an
    admin, who sees the author of an anonymous comment; everyone else sees its label alone."""
    deleted = comment["deleted"]
    author_id = comment["author_id"]
    anonymous = bool(comment["anonymous"])
    if deleted:
        label = None
    elif anonymous:
        label = author_label(comment["author_number"])
    else:
        label = comment["username"]
    body = {
        "id": comment["id"],
        "board_id": comment["board_id"],
        "parent_id": comment["parent_id"],
        "content": "" if deleted else comment["content"],
        "author": None
        if deleted or author_id is None or (anonymous and not reveal)
        else {"id": author_id, "username": comment["username"]},
        "created_at": iso(comment["created_at"]),
        "updated_at": iso(comment["updated_at"]),
        "deleted": bool(deleted),
        "like_count": comment["like_count"],
        "anonymous": anonymous,
        "author_label": label,
        "reply_count": comment["reply_count"],
        "hidden": bool(comment["hidden"]),
        "replies": replies or [],
    }
    # Said by the caller, not asked of the mapping: a row's mapping answers a missing key by
    # raising KeyError, and even `in` costs calls on every comment of a page.
    if marked:
        body["liked"] = bool(comment["liked"])
    return body


# The fields its author writes (updated_at moves with them): its ETag's If-Match part.
COMMENT_WRITABLE = ("content", "updated_at", "deleted")


def written_json(content: str, updated_at: datetime | str, deleted: bool) -> dict[str, Any]:
    """The writable fields of a stored comment as its representation shows them, for If-Match."""
    return {"content": "" if deleted else content, "updated_at": iso(updated_at), "deleted": deleted}


class CommentCreateSchema(Schema):
    content = multi_line(
        min_length=1, max_length=MAX_LENGTH, required=True, metadata={"example": "Nice post!"}
    )
    anonymous = BodyBoolean(
        load_default=False,
        metadata={
            "description": 'Hide your name on it (default: false): it then shows "writer" or '
            '"anonymous N". Refused where the board\'s forum says `never`; where it says `always` '
            "every comment is anonymous, whatever is sent.",
            "example": False,
        },
    )
    parent_id = body_id(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "Reply to this top-level comment of the same board (omit, or null, for a "
            "new thread)."
        },
    )


class CommentUpdateSchema(Schema):
    content = multi_line(
        min_length=1, max_length=MAX_LENGTH, required=True, metadata={"example": "Edited: nice post!"}
    )
