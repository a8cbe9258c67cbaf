"""Each hand-built board body is exactly what BoardSchema dumps for the same data: named, and
anonymous as its readers see it (author hidden) and as admins do (author shown)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db import connection, db
from models import Board, BoardLike
from schemas.board import BoardSchema, board_json, board_rows_json
from services.boards import BOARD_BY_ID, BOARD_BY_ID_MARKED, BOARD_ROWS_MARKED, MARKED_ROW_JSON, ROW_JSON

CREATED = datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC)
EDITED = datetime(2026, 12, 1, 4, 5, 6, tzinfo=UTC)  # zero microseconds: isoformat leaves them out
FIELDS = {
    "id": 7,
    "title": "Hello, board",
    "content": "First post!",
    "comment_count": 2,
    "like_count": 3,
    "scrap_count": 1,
    "hidden": False,
}
ALICE = {"id": 4, "username": "alice"}
GENERAL = {"id": 1, "name": "General"}
# (anonymous, reveal): a named board, an anonymous one as its readers see it, as admins see it.
SHOWN = [(False, False), (True, False), (True, True)]


def schema_dump(anonymous: bool, author: dict | None, **marks: bool) -> dict:
    board = {**FIELDS, "author": author, "forum": GENERAL, "anonymous": anonymous}
    return BoardSchema().dump({**board, "created_at": CREATED, "updated_at": EDITED, **marks})


@pytest.mark.parametrize(("anonymous", "reveal"), SHOWN, ids=["named", "masked", "revealed"])
@pytest.mark.parametrize(
    "marks",
    [
        {},
        {"liked": True, "scrapped": False, "is_mine": True},
        {"liked": False, "scrapped": True, "is_mine": False},
    ],
)
def test_board_shape_from_a_dict_is_the_schemas_dump(marks, anonymous, reveal):
    named = {**FIELDS, "author_id": 4, "username": "alice", "created_at": CREATED, "updated_at": EDITED}
    named |= {"forum_id": 1, "forum_name": "General", "anonymous": anonymous}
    author = None if anonymous and not reveal else ALICE
    built = board_json({**named, **marks}, bool(marks), reveal=reveal)
    assert built == schema_dump(anonymous, author, **marks)
    assert built["author"] == author


@pytest.mark.parametrize("marked", [False, True])
@pytest.mark.parametrize(("anonymous", "reveal"), SHOWN, ids=["named", "masked", "revealed"])
def test_board_shape_from_a_row_is_the_schemas_dump(app, make_user, marked, anonymous, reveal):
    """The read path's row (named columns, timestamps selected as text, marks as 0/1 from SQL)
    against the schema's dump of the ORM object that holds the same row."""
    alice = make_user("alice")
    with app.test_request_context():
        board = Board(
            title="Hello",
            content="Text",
            author_id=alice["id"],
            anonymous=anonymous,
            created_at=CREATED,
            updated_at=EDITED,
        )
        db.session.add(board)
        db.session.flush()
        db.session.add(BoardLike(user_id=alice["id"], board_id=board.id))
        db.session.flush()
        params = {"board_id": board.id}
        if marked:
            params["viewer"] = alice["id"]
        row = connection().execute(BOARD_BY_ID_MARKED if marked else BOARD_BY_ID, params).one()
        stored = {column.key: getattr(board, column.key) for column in Board.__table__.c}
        author = None if anonymous and not reveal else {"id": alice["id"], "username": "alice"}
        expected = BoardSchema().dump(stored | {"author": author, "forum": GENERAL})
        if marked:
            expected |= {"liked": True, "scrapped": False, "is_mine": True}
        assert board_json(row._mapping, marked, reveal=reveal) == expected
        assert (MARKED_ROW_JSON if marked else ROW_JSON)([row], reveal) == [expected]
        # The columns in another order: every field is still read by its name.
        shuffled = list(reversed(BOARD_ROWS_MARKED.selected_columns))
        reordered = BOARD_BY_ID_MARKED.with_only_columns(*shuffled)
        row = connection().execute(reordered, {"board_id": board.id, "viewer": alice["id"]}).one()
        expected |= {"liked": True, "scrapped": False, "is_mine": True}
        assert board_rows_json(reordered.selected_columns.keys(), marked=True)([row], reveal) == [expected]
