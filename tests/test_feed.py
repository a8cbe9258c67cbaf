"""GET /boards/feed: the boards of the users the caller follows, newest first, paged
like GET /boards (offset pages with a total, keyset pages with `before`), in its board shape."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, text

from db import db
from models import User
from services import boards as board_service
from tests.conftest import error
from tests.support import count_statements, create_board, pagination, seed_boards, validation_error

NO_TOKEN = error(
    401, "authorization_required", "An access token is required: send 'Authorization: Bearer <token>'."
)


@pytest.fixture
def people(client, make_user):
    """Reader follows alice and bob, not carol; 9 boards by the three, round-robin (ids 1..9)."""
    reader, alice, bob, carol = (make_user(name) for name in ("reader", "alice", "bob", "carol"))
    for followee in (alice, bob):
        assert client.put(f"/users/{followee['id']}/follow", headers=reader["headers"]).status_code == 200
    boards = [
        create_board(client, author, title=f"Post {n}") for n, author in enumerate([alice, bob, carol] * 3)
    ]
    return {"reader": reader, "alice": alice, "bob": bob, "carol": carol, "boards": boards}


def feed(client, user, query: str = "") -> tuple[list[dict], dict]:
    response = client.get(f"/boards/feed?{query}", headers=user["headers"])
    assert response.status_code == 200, response.json
    return response.json, pagination(response)


def test_the_feed_holds_the_followees_boards_newest_first_in_the_board_shape(client, people):
    boards, meta = feed(client, people["reader"])
    # As created, plus the reader's own marks (none yet) and whether they wrote it (no).
    expected = [
        {**board, "liked": False, "scrapped": False, "is_mine": False}
        for board in reversed(people["boards"])
        if board["author"]["username"] != "carol"
    ]
    assert boards == expected
    assert meta == {"total": 6, "total_pages": 1, "first_page": 1, "last_page": 1, "page": 1}
    # Exactly what GET /boards says of the same boards (the shape other issues extend).
    everything = {
        board["id"]: board for board in client.get("/boards", headers=people["reader"]["headers"]).json
    }
    assert boards == [everything[board["id"]] for board in boards]


def test_offset_pages_and_keyset_pages(client, people):
    ids = [board["id"] for board in reversed(people["boards"]) if board["author"]["username"] != "carol"]
    boards, meta = feed(client, people["reader"], "page_size=4")
    assert [b["id"] for b in boards] == ids[:4]
    assert meta == {
        "total": 6,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 1,
        "next_page": 2,
        "next_before": ids[3],
    }
    boards, meta = feed(client, people["reader"], "page_size=4&page=2")
    assert ([b["id"] for b in boards], meta.get("next_before")) == (ids[4:], None)

    boards, meta = feed(client, people["reader"], f"page_size=4&before={ids[3]}")
    assert ([b["id"] for b in boards], meta) == (ids[4:], {"page_size": 4})
    boards, meta = feed(client, people["reader"], f"page_size=2&before={ids[1]}")
    assert ([b["id"] for b in boards], meta) == (ids[2:4], {"page_size": 2, "next_before": ids[3]})
    assert feed(client, people["reader"], "before=1") == ([], {"page_size": 20})


def test_the_feed_follows_follows_and_deletions(client, people):
    reader, alice, carol = people["reader"], people["alice"], people["carol"]
    client.put(f"/users/{carol['id']}/follow", headers=reader["headers"])
    assert feed(client, reader)[1]["total"] == 9
    client.delete(f"/users/{alice['id']}/follow", headers=reader["headers"])
    boards, meta = feed(client, reader)
    assert meta["total"] == 6
    assert {board["author"]["username"] for board in boards} == {"bob", "carol"}
    newest_of_bob = next(board for board in boards if board["author"]["username"] == "bob")
    client.delete(f"/boards/{newest_of_bob['id']}", headers=people["bob"]["headers"])
    boards, meta = feed(client, reader)
    assert (meta["total"], len(boards)) == (5, 5)
    assert newest_of_bob["id"] not in {board["id"] for board in boards}


def test_an_empty_feed(client, people):
    assert feed(client, people["carol"]) == ([], {"total": 0, "total_pages": 0})


def test_the_feed_needs_an_access_token(client, people):
    response = client.get("/boards/feed")
    assert (response.status_code, response.json) == (401, NO_TOKEN)
    refresh = {"Authorization": f"Bearer {people['reader']['refresh_token']}"}
    assert client.get("/boards/feed", headers=refresh).json["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("before=5&page=2", {"before": ["Use either before or page, not both."]}),
        (
            "before=0",
            {"before": ["Must be greater than or equal to 1 and less than or equal to 9223372036854775807."]},
        ),
        ("before=x", {"before": ["Not a valid integer: digits 0-9 only."]}),
        (
            "page_size=101",
            {"page_size": ["Must be greater than or equal to 1 and less than or equal to 100."]},
        ),
    ],
)
def test_invalid_queries_are_422(client, people, query, errors):
    response = client.get(f"/boards/feed?{query}", headers=people["reader"]["headers"])
    assert (response.status_code, response.json) == (422, validation_error("query", errors))


def test_feed_is_not_a_board_id(client, people):
    """/boards/feed is its own route, and /boards/<id> still reads boards."""
    board = people["boards"][0]
    assert client.get(f"/boards/{board['id']}").json == board
    assert client.delete("/boards/feed", headers=people["reader"]["headers"]).status_code == 405


@pytest.fixture
def crowd(app, client, make_user):
    """A reader following 4 of 8 authors of 120 boards (ids 1..120, round-robin)."""
    reader = make_user("reader")
    authors = [make_user(f"author{n}") for n in range(8)]
    for author in authors[::2]:
        client.put(f"/users/{author['id']}/follow", headers=reader["headers"])
    seed_boards(app, [author["id"] for author in authors], 120, title="Board {n}")
    return reader, authors


@pytest.mark.parametrize("walk", [True, False], ids=["walk-by-id", "author-index"])
def test_both_plans_give_the_same_pages(client, crowd, monkeypatch, walk):
    """A large feed walks boards by id, a small one reads the author index: same answers."""
    monkeypatch.setattr(board_service, "walks_by_id", lambda feed, table, reach: walk)
    reader, _ = crowd
    expected = [n for n in range(120, 0, -1) if (n - 1) % 8 % 2 == 0]
    boards, meta = feed(client, reader, "page_size=7&page=3")
    assert [board["id"] for board in boards] == expected[14:21]
    assert meta["total"] == 60
    walked, query = [], "page_size=25"
    while True:
        boards, meta = feed(client, reader, query)
        walked += [board["id"] for board in boards]
        if "next_before" not in meta:
            break
        query = f"page_size=25&before={meta['next_before']}"
    assert walked == expected


@pytest.mark.parametrize("query", ["", "&page=2", "&before=60"])
@pytest.mark.parametrize("walk", [True, False], ids=["walk-by-id", "author-index"])
def test_a_feed_page_costs_a_constant_number_of_statements(app, client, crowd, monkeypatch, query, walk):
    monkeypatch.setattr(board_service, "walks_by_id", lambda feed, table, reach: walk)
    reader, _ = crowd
    with count_statements(app) as auth:
        client.get("/auth/me", headers=reader["headers"])
    for size in (1, 30):
        with count_statements(app) as statements:
            response = client.get(f"/boards/feed?page_size={size}{query}", headers=reader["headers"])
        assert len(response.json) == size
        # Authentication, then the feed's total (which also picks the plan) and the page.
        assert len(statements) == len(auth) + 2, "\n".join(statements)


def rows_crossed(app, request) -> int:
    """How much the statements of `request()` read, whatever the machine's speed: SQLite's
    virtual-machine steps (in hundreds), or MariaDB's rows read by its handlers (the test server
    is private: nothing else reads meanwhile)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        handler_reads = text(
            "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS"
            " WHERE VARIABLE_NAME LIKE 'HANDLER_READ%'"
        )
        with engine.connect() as conn:
            before = conn.execute(handler_reads).scalar_one()
            request()
            return int(conn.execute(handler_reads).scalar_one() - before)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    def watch(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.connection.dbapi_connection.set_progress_handler(count, 100)

    event.listen(engine, "before_cursor_execute", watch)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    return steps


def test_the_walk_starts_at_the_newest_followed_board(app, client, crowd, monkeypatch):
    """3,000 boards by an author the reader does not follow, newer than every followed one: the walk
    by id starts below them (at the newest followee's board) instead of crossing them on every page."""
    monkeypatch.setattr(board_service, "walks_by_id", lambda feed, table, reach: True)
    reader, authors = crowd
    first_page, meta = feed(client, reader, "page_size=5")
    quiet = rows_crossed(app, lambda: feed(client, reader, "page_size=5"))
    seed_boards(app, [authors[1]["id"]], 3000)
    assert feed(client, reader, "page_size=5") == (first_page, meta)
    after_burst = rows_crossed(app, lambda: feed(client, reader, "page_size=5"))
    # Crossing the burst reads 3,000 rows more; starting below it, what the page cost before.
    assert after_burst < 2 * quiet + 20, (quiet, after_burst)


@pytest.mark.parametrize(
    ("feed", "table", "reach", "walk"),
    [
        (500_000, 1_000_000, 20, True),  # half of the table: 40 boards walked to find 20
        (500, 1_000, 20, True),
        (2_000, 1_000_000, 20, False),  # 10,000 walked against 2,000 read and sorted
        (20, 1_000_000, 20, False),
        (500_000, 1_000_000, 10**6, False),  # a deep offset page: the walk would cross the table
    ],
)
def test_the_plan_follows_the_share_of_the_feed_in_the_table(feed, table, reach, walk):
    assert board_service.walks_by_id(feed, table, reach) is walk


def test_board_count_follows_every_insert_and_delete(app, client, make_user):
    """Users.board_count (the feed's total) is kept by triggers, whoever writes the boards."""
    alice, bob = make_user("alice"), make_user("bob")
    seed_boards(app, [alice["id"], bob["id"]], 5)
    board = create_board(client, alice)

    def board_counts() -> list[int]:
        with app.app_context():
            return list(db.session.scalars(db.select(User.board_count).order_by(User.id)))

    assert board_counts() == [4, 2]
    client.delete(f"/boards/{board['id']}", headers=alice["headers"])
    assert board_counts() == [3, 2]


def test_the_total_is_an_integer_in_the_header(client, people):
    """MySQL's SUM is a DECIMAL: the header must still be JSON numbers."""
    response = client.get("/boards/feed", headers=people["reader"]["headers"])
    assert json.loads(response.headers["X-Pagination"])["total"] == 6


@pytest.mark.slow
def test_the_migration_counts_the_boards_already_written(empty_database_url):
    """0008 on a database with boards: board_count starts right, and the triggers keep it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from tests.test_migration_parity import flask_db

    assert flask_db(empty_database_url, "upgrade", "0005").returncode == 0
    engine = create_engine(empty_database_url, poolclass=NullPool)
    users = "INSERT INTO users (id, username, username_lower, email, password_hash, is_admin, created_at)"
    boards = "INSERT INTO boards (title, content, author_id, created_at, updated_at, version)"
    with engine.begin() as conn:
        for n in (1, 2, 3):
            conn.execute(
                text(f"{users} VALUES ({n}, 'u{n}', 'u{n}', 'u{n}@x.org', 'x', false, '2026-01-01')")
            )
        for author in (1, 1, 1, 2):
            conn.execute(text(f"{boards} VALUES ('t', '', {author}, '2026-01-01', '2026-01-01', 1)"))
    upgrade = flask_db(empty_database_url, "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.begin() as conn:
        conn.execute(text(f"{boards} VALUES ('t', '', 3, '2026-01-01', '2026-01-01', 1)"))
        conn.execute(text("DELETE FROM boards WHERE author_id = 2"))
        counts = conn.execute(text("SELECT board_count, follower_count FROM users ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in counts] == [(3, 0), (0, 0), (1, 0)]
