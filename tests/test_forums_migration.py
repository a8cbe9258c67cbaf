"""Migration 0014 (forums) on a database that already holds users, boards, comments and marks,
up and down and up again: on SQLite (where `boards` is copied into a new table) and on MariaDB.

Nothing that was there may be lost on the way: not a board, comment, like or scrap (on SQLite a
copy of `boards` with foreign keys on would delete them all through ON DELETE CASCADE), and not
a trigger, the project's or anyone's (a copy drops the triggers of the table it replaces).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from models.board_search import FTS_TABLE, MROONGA_TABLE
from tests.test_migration_parity import HEAD, SEARCH_TABLES, SEARCH_TRIGGERS, TABLES, flask_db, schema_diffs

pytestmark = pytest.mark.slow

BEFORE = "0013"
AT = "'2026-01-01 00:00:00.000000'"
FORUM_TABLES = {"forums", "forum_pins", "board_anonymous_authors"}
# 0015 (moderation) comes after 0014 and goes before it on the way down.
LATER_TABLES = {"moderation_cases", "reports", "audit_log"}
FORUMS = "0014"
# A trigger on boards and one elsewhere that names boards: neither belongs to the project.
PROBES = [
    "CREATE TABLE probe (n INTEGER)",
    "CREATE TRIGGER trg_probe_boards AFTER INSERT ON boards FOR EACH ROW BEGIN INSERT INTO probe (n) VALUES (NEW.id); END",
    "CREATE TRIGGER trg_probe_elsewhere AFTER DELETE ON probe FOR EACH ROW "
    "BEGIN UPDATE probe SET n = n WHERE n IN (SELECT id FROM boards WHERE 1 = 0); END",
]


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def migrate(url: str, *command: str) -> None:
    result = flask_db(url, *command)
    assert result.returncode == 0, result.stderr


def run(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def rows(conn: Connection, query: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(text(query))]


def fill(engine: Engine) -> None:
    """Two users, three boards (two by the first), a comment with a reply, a like of each kind,
    a scrap, and the probes."""
    user = "INSERT INTO users (username, username_lower, email, password_hash, is_admin, created_at, token_generation) VALUES "
    board = "INSERT INTO boards (title, content, author_id, created_at, updated_at, version) VALUES "
    comment = "INSERT INTO comments (board_id, parent_id, author_id, content, created_at, updated_at, version) VALUES "
    run(
        engine,
        f"{user}('Ann', 'ann', 'ann@example.com', 'h', 0, {AT}, 0), ('Bo', 'bo', 'bo@example.com', 'h', 0, {AT}, 0)",
        f"{board}('One', 'a', 1, {AT}, {AT}, 1), ('Two', 'b', 1, {AT}, {AT}, 1), ('Three', 'c', 2, {AT}, {AT}, 1)",
        f"{comment}(1, NULL, 2, 'Hi', {AT}, {AT}, 1)",
        f"{comment}(1, 1, 1, 'Hello', {AT}, {AT}, 1)",
        f"INSERT INTO board_likes (user_id, board_id, created_at) VALUES (2, 1, {AT})",
        f"INSERT INTO board_scraps (user_id, board_id, created_at) VALUES (2, 1, {AT})",
        f"INSERT INTO comment_likes (user_id, comment_id, created_at) VALUES (1, 1, {AT})",
        *PROBES,
    )


def kept(conn: Connection) -> dict[str, Any]:
    """What the migration must not touch, and the counters the triggers keep."""
    return {
        "boards": rows(conn, "SELECT id, title, author_id FROM boards ORDER BY id"),
        "comments": rows(conn, "SELECT id, parent_id, content FROM comments ORDER BY id"),
        "marks": [
            rows(conn, f"SELECT user_id FROM {table} ORDER BY user_id")
            for table in ("board_likes", "board_scraps", "comment_likes")
        ],
        "users.board_count": rows(conn, "SELECT id, board_count FROM users ORDER BY id"),
        "table_counts": rows(conn, "SELECT table_name, row_count FROM table_counts"),
        "probe": rows(conn, "SELECT n FROM probe ORDER BY n"),
    }


def triggers(engine: Engine) -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
    )
    with engine.connect() as conn:
        return set(conn.execute(text(query)).scalars())


def drop_probes(engine: Engine) -> None:
    """The probes are not the models': gone, the schema can be compared with them."""
    run(engine, "DROP TRIGGER trg_probe_elsewhere", "DROP TRIGGER trg_probe_boards", "DROP TABLE probe")


PROJECT_TRIGGERS = {
    "trg_boards_count_insert",
    "trg_boards_count_delete",
    "trg_boards_author_count_insert",
    "trg_boards_author_count_delete",
}
FORUM_TRIGGERS = {"trg_boards_forum_count_insert", "trg_boards_forum_count_delete"}
PROBE_TRIGGERS = {"trg_probe_boards", "trg_probe_elsewhere"}


def search_triggers(engine: Engine) -> set[str]:
    return SEARCH_TRIGGERS["sqlite" if engine.dialect.name == "sqlite" else "mysql"]


def search_tables(engine: Engine) -> set[str]:
    return SEARCH_TABLES["sqlite" if engine.dialect.name == "sqlite" else "mysql"]


def assert_search_index_holds(engine: Engine, titles: dict[int, str]) -> None:
    """The search index of 0013 survived the copy of boards: sound, and finding each board by
    its title (SQLite: FTS5's own check and the database's; MariaDB: the Mroonga copy)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('integrity-check')")
            for board_id, title in titles.items():
                query = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :title"
                assert rows_with(conn, query, title=f'"{title}"') == [(board_id,)], title
        else:
            query = f"SELECT id, title FROM {MROONGA_TABLE} ORDER BY id"
            assert rows(conn, query) == [(board_id, title.lower()) for board_id, title in titles.items()]


def rows_with(conn: Connection, query: str, **params: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(text(query), params)]


TITLES = {1: "One", 2: "Two", 3: "Three"}


def test_upgrade_puts_every_board_in_general_and_loses_nothing(
    empty_database_url: str, engine: Engine
) -> None:
    migrate(empty_database_url, "upgrade", BEFORE)
    fill(engine)
    with engine.connect() as conn:
        before = kept(conn)

    migrate(empty_database_url, "upgrade")
    with engine.connect() as conn:
        assert kept(conn) == before
        forums = rows(
            conn, "SELECT id, name, name_lower, category, description, anonymous, board_count FROM forums"
        )
        assert forums == [(1, "General", "general", "general", "", "optional", 3)]
        assert rows(
            conn, "SELECT id, forum_id, anonymous, anonymous_commenter_count FROM boards ORDER BY id"
        ) == [
            (1, 1, 0, 0),
            (2, 1, 0, 0),
            (3, 1, 0, 0),
        ]
        assert rows(conn, "SELECT id, anonymous, author_number FROM comments ORDER BY id") == [
            (1, 0, None),
            (2, 0, None),
        ]
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
    assert triggers(engine) == PROJECT_TRIGGERS | FORUM_TRIGGERS | PROBE_TRIGGERS | search_triggers(engine)
    assert set(inspect(engine).get_table_names()) == TABLES | search_tables(engine) | {"probe"}
    assert_search_index_holds(engine, TITLES)

    # Every trigger works: a new board (in General by default), then an anonymous one, which
    # its author's public count leaves out; a deletion moves every count back.
    board = (
        "INSERT INTO boards (title, content, author_id, anonymous, created_at, updated_at, version) VALUES "
    )
    run(engine, f"{board}('Four', '', 2, 0, {AT}, {AT}, 1)", f"{board}('Five', '', 2, 1, {AT}, {AT}, 1)")
    with engine.connect() as conn:
        assert rows(conn, "SELECT forum_id FROM boards WHERE id > 3") == [(1,), (1,)]
        assert rows(conn, "SELECT board_count FROM forums") == [(5,)]
        assert rows(conn, "SELECT id, board_count FROM users ORDER BY id") == [(1, 2), (2, 2)]
        assert rows(conn, "SELECT row_count FROM table_counts WHERE table_name = 'boards'") == [(5,)]
        assert rows(conn, "SELECT n FROM probe ORDER BY n") == [(4,), (5,)]
    run(engine, "DELETE FROM boards WHERE id IN (4, 5)")
    with engine.connect() as conn:
        assert rows(conn, "SELECT board_count FROM forums") == [(3,)]
        assert rows(conn, "SELECT id, board_count FROM users ORDER BY id") == [(1, 2), (2, 1)]
        assert rows(conn, "SELECT row_count FROM table_counts WHERE table_name = 'boards'") == [(3,)]
    assert_search_index_holds(engine, TITLES)
    drop_probes(engine)
    assert schema_diffs(engine) == []


def test_a_board_cannot_name_a_forum_that_does_not_exist(empty_database_url: str, engine: Engine) -> None:
    """The copy of boards on SQLite keeps foreign keys working (they were off during it)."""
    migrate(empty_database_url, "upgrade", BEFORE)
    fill(engine)
    migrate(empty_database_url, "upgrade")
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        run(
            engine,
            f"INSERT INTO boards (title, content, author_id, forum_id, created_at, updated_at, version) VALUES ('x', '', 1, 9, {AT}, {AT}, 1)",
        )
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        run(engine, "DELETE FROM forums WHERE id = 1")


def test_downgrade_keeps_every_board_and_up_again(empty_database_url: str, engine: Engine) -> None:
    migrate(empty_database_url, "upgrade", BEFORE)
    fill(engine)
    with engine.connect() as conn:
        before = kept(conn)
    migrate(empty_database_url, "upgrade")
    migrate(empty_database_url, "downgrade", BEFORE)
    with engine.connect() as conn:
        assert kept(conn) == before
    assert set(inspect(engine).get_table_names()) == (TABLES - FORUM_TABLES - LATER_TABLES) | search_tables(
        engine
    ) | {"probe"}
    assert {c["name"] for c in inspect(engine).get_columns("boards")}.isdisjoint(
        {"forum_id", "anonymous", "anonymous_commenter_count"}
    )
    assert triggers(engine) == PROJECT_TRIGGERS | PROBE_TRIGGERS | search_triggers(engine)
    assert_search_index_holds(engine, TITLES)
    # 0008's counters work again as they did.
    run(
        engine,
        f"INSERT INTO boards (title, content, author_id, created_at, updated_at, version) VALUES ('Four', '', 2, {AT}, {AT}, 1)",
    )
    with engine.connect() as conn:
        assert rows(conn, "SELECT id, board_count FROM users ORDER BY id") == [(1, 2), (2, 2)]
        assert rows(conn, "SELECT row_count FROM table_counts WHERE table_name = 'boards'") == [(4,)]

    migrate(empty_database_url, "upgrade")
    with engine.connect() as conn:
        assert rows(conn, "SELECT id, board_count FROM forums") == [(1, 4)]
        assert rows(conn, "SELECT DISTINCT forum_id FROM boards") == [(1,)]
    assert_search_index_holds(engine, {**TITLES, 4: "Four"})
    drop_probes(engine)
    assert schema_diffs(engine) == []


def test_the_downgrade_refuses_to_unmask_anonymous_authors(empty_database_url: str, engine: Engine) -> None:
    migrate(empty_database_url, "upgrade", FORUMS)
    run(
        engine,
        f"INSERT INTO users (username, username_lower, email, password_hash, is_admin, created_at, token_generation) VALUES ('Ann', 'ann', 'ann@example.com', 'h', 0, {AT}, 0)",
        f"INSERT INTO boards (title, content, author_id, anonymous, created_at, updated_at, version) VALUES ('Secret', '', 1, 1, {AT}, {AT}, 1)",
    )
    result = flask_db(empty_database_url, "downgrade", BEFORE)
    assert result.returncode != 0
    assert "Anonymous boards or comments exist: without forums, each would show its author." in result.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == FORUMS
        assert rows(conn, "SELECT title, anonymous FROM boards") == [("Secret", 1)]
    migrate(empty_database_url, "upgrade")
    assert schema_diffs(engine) == []
