from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models.forum import GENERAL_FORUM_ID
from schemas.numbers import MAX_ID, body_id, query_id
from schemas.text import multi_line, single_line
from schemas.timestamps import ID_DOC, iso, timestamp

__all__ = ["MAX_ID"]  # the path converter's bound (app.py), re-exported from schemas.numbers


class BodyBoolean(fields.Boolean):
    """A boolean of a JSON body: `true` or `false` only. marshmallow's Boolean also takes `1`,
    `"yes"` or `"on"`, and a client that sends those to `anonymous` made a mistake that must
    not decide whether their name shows."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is not True and value is not False:
            raise self.make_error("invalid", input=value)
        return value


class BoardAuthorSchema(Schema):
    id = fields.Integer(dump_only=True, required=True, metadata=ID_DOC)
    username = fields.String(dump_only=True, required=True, metadata={"example": "alice"})


class ForumRefSchema(Schema):
    """The forum a board lives in."""

    id = fields.Integer(dump_only=True, required=True, metadata=ID_DOC)
    name = fields.String(dump_only=True, required=True, metadata={"example": "General"})


class BoardSchema(Schema):
    id = fields.Integer(dump_only=True, required=True, metadata=ID_DOC)
    title = fields.String(dump_only=True, required=True, metadata={"example": "Hello, board"})
    content = fields.String(dump_only=True, required=True, metadata={"example": "First post!"})
    author = fields.Nested(
        BoardAuthorSchema,
        dump_only=True,
        required=True,
        allow_none=True,
        metadata={"description": "Null on an anonymous board, but for admins, who see its author."},
    )
    forum = fields.Nested(ForumRefSchema, dump_only=True, required=True)
    anonymous = fields.Boolean(
        dump_only=True,
        required=True,
        metadata={"description": "Whether the board hides its author.", "example": False},
    )
    is_mine = fields.Boolean(
        dump_only=True,
        metadata={"description": "Whether you wrote it (anonymous or not): only with a valid access token."},
    )
    created_at = timestamp()
    updated_at = timestamp()
    comment_count = fields.Integer(
        required=True,
        dump_only=True,
        metadata={"description": "Visible comments and replies (placeholders excluded).", "example": 0},
    )
    like_count = fields.Integer(dump_only=True, required=True, metadata={"example": 3})
    scrap_count = fields.Integer(dump_only=True, required=True, metadata={"example": 1})
    hidden = fields.Boolean(
        dump_only=True,
        required=True,
        metadata={
            "description": "Hidden by moderation: only its author and admins see it (true); false "
            "for everyone else, who never see a hidden board.",
            "example": False,
        },
    )
    liked = fields.Boolean(
        dump_only=True,
        metadata={"description": "Whether you like it: only on reads with a valid access token."},
    )
    scrapped = fields.Boolean(
        dump_only=True,
        metadata={"description": "Whether you scrapped it: only on reads with a valid access token."},
    )


# The fields its author writes (updated_at moves with them): its ETag's If-Match part.
BOARD_WRITABLE = ("title", "content", "updated_at")


def written_json(title: str, content: str, updated_at: datetime | str) -> dict[str, Any]:
    """The writable fields of a stored board as its representation shows them, for If-Match."""
    return {"title": title, "content": content, "updated_at": iso(updated_at)}


# The fields board_json reads, by name; the reader's marks come after them when there is one.
BOARD_FIELDS = (
    "id",
    "title",
    "content",
    "author_id",
    "username",
    "created_at",
    "updated_at",
    "comment_count",
    "like_count",
    "scrap_count",
    "forum_id",
    "forum_name",
    "anonymous",
    "hidden",
)
# The reader's: their marks, and whether they wrote it (`is_mine`, compared in SQL with the
# stored author, never with the author the body shows, which is null on an anonymous board).
MARK_FIELDS = ("liked", "scrapped", "is_mine")
RowsJson = Callable[..., list[dict[str, Any]]]


def board_json(board: Mapping[str, Any], marked: bool = False, *, reveal: bool = False) -> dict[str, Any]:
    """Exactly `BoardSchema().dump(...)` of the same board (a test holds them equal), from named
    fields (a dict, a row's `._mapping`): BOARD_FIELDS, and MARK_FIELDS when `marked` (the
    reader's marks, only when a token says who reads). `reveal`: the reader is an admin, who sees
    the author of an anonymous board."""
    fields = BOARD_FIELDS + MARK_FIELDS if marked else BOARD_FIELDS
    return _board(*itemgetter(*fields)(board), reveal=reveal)


def board_rows_json(columns: Iterable[str], marked: bool) -> RowsJson:
    """board_json for the rows of a statement whose columns are named `columns`: each field is
    found by its name once, here, and then read by position (a row's `._mapping` per row cost
    a page of boards a tenth of its time). The function takes the rows and `reveal`."""
    names = list(columns)
    positions = [names.index(name) for name in (BOARD_FIELDS + MARK_FIELDS if marked else BOARD_FIELDS)]
    if positions == list(range(len(names))):  # the columns are the fields, in their order

        def in_order(rows: Iterable[Sequence[Any]], reveal: bool = False) -> list[dict[str, Any]]:
            return [_board(*row, reveal=reveal) for row in rows]

        return in_order
    pick = itemgetter(*positions)

    def picked(rows: Iterable[Sequence[Any]], reveal: bool = False) -> list[dict[str, Any]]:
        return [_board(*pick(row), reveal=reveal) for row in rows]

    return picked


def _board(
    id: int,
    title: str,
    content: str,
    author_id: int,
    username: str,
    created_at: datetime | str,
    updated_at: datetime | str,
    comment_count: int,
    like_count: int,
    scrap_count: int,
    forum_id: int,
    forum_name: str,
    anonymous: Any,
    hidden: Any,
    liked: Any = None,
    scrapped: Any = None,
    is_mine: Any = None,
    *,
    reveal: bool = False,
) -> dict[str, Any]:
    # Marshmallow walking its fields cost a page of boards more than its SQL: the same dict, by hand.
    # Every board body is built here, so that an anonymous board's author is hidden in one place.
    anonymous = bool(anonymous)
    body = {
        "id": id,
        "title": title,
        "content": content,
        "author": None if anonymous and not reveal else {"id": author_id, "username": username},
        "forum": {"id": forum_id, "name": forum_name},
        "anonymous": anonymous,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "comment_count": comment_count,
        "like_count": like_count,
        "scrap_count": scrap_count,
        "hidden": bool(hidden),
    }
    if liked is not None:
        body["liked"] = bool(liked)
        body["scrapped"] = bool(scrapped)
        body["is_mine"] = bool(is_mine)
    return body


class BoardReplaceSchema(Schema):
    """A whole board: PUT. Its forum and whether it is anonymous stay as they were written."""

    title = single_line(min_length=1, max_length=200, required=True, metadata={"example": "Hello, board"})
    content = multi_line(max_length=20000, load_default="", metadata={"example": "First post!"})


class BoardCreateSchema(BoardReplaceSchema):
    """A new board: POST."""

    forum_id = body_id(
        load_default=GENERAL_FORUM_ID,
        metadata={"description": "The forum it goes to (default: General, id 1).", "example": 1},
    )
    anonymous = BodyBoolean(
        load_default=False,
        metadata={
            "description": "Hide your name on it (default: false). Refused where the forum says "
            "`never`; where it says `always` every board is anonymous, whatever is sent.",
            "example": False,
        },
    )


class BoardUpdateSchema(Schema):
    """Some fields of a board: PATCH."""

    title = single_line(min_length=1, max_length=200, metadata={"example": "New title"})
    content = multi_line(max_length=20000, metadata={"example": "Edited: first post!"})


class BoardListArgsSchema(Schema):
    author_id = query_id(
        metadata={
            "description": "Only this author's boards (their anonymous boards too, to the author alone)"
        }
    )
    forum_id = query_id(metadata={"description": "Only this forum's boards (404 if there is no such forum)"})
    q = single_line(
        min_length=1,
        max_length=100,
        metadata={
            "description": "Search: terms separated by spaces. A board matches when every term occurs in "
            "its title or its content, as a substring, whatever the case or script (`게시판` finds "
            "`자유게시판에서`, `sql` finds `PostgreSQL`). Every character is literal: quotes, `*`, `-`, "
            "`%` or `OR` are searched as they are. Terms of three characters or more are looked up in a "
            "full-text index; a query made only of one- and two-character terms reads every board "
            "(slower on a large site). For example `게시판 sql`.",
            # No `example`: Swagger UI's Try it out would fill it in and filter every listing.
        },
    )
    before = query_id(
        metadata={
            "description": "Keyset paging: only boards with an id below this one, newest first. Pass "
            "`next_before` from the previous page's X-Pagination header; it stays fast at any depth. "
            "Not with `page` (> 1). X-Pagination then holds `page_size` and `next_before` "
            "(absent on the last page), and no total. Not with `sort=top` or `sort=relevance`.",
        },
    )
    sort = fields.String(
        load_default="new",
        validate=validate.OneOf(["new", "top", "relevance"]),
        metadata={
            "description": "`new`: newest first. `top`: most liked first, ties newest first. "
            "`relevance` (only with `q`): boards whose title holds every term first, then the others; "
            "newest first within each group."
        },
    )

    @validates_schema
    def search_has_terms(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Spaces alone hold no term to search for; relevance ranks by the terms, so it needs some.
        if "q" in data and not data["q"].split():
            raise ValidationError("Enter at least one search term.", "q")
        if data["sort"] == "relevance" and "q" not in data:
            raise ValidationError("sort=relevance ranks search results: send it with q.", "sort")

    @validates_schema
    def before_pages_newest_first(self, data: dict[str, Any], **kwargs: Any) -> None:
        # A keyset is by id: a cursor on (like_count, id) would move under the reader as likes
        # come in (docs/likes-and-scraps.md). sort=top pages with page numbers.
        if "before" in data and data["sort"] != "new":
            raise ValidationError(
                f"Keyset paging is newest first only: page sort={data['sort']} with page.", "before"
            )
