"""`flask db upgrade` from empty, then models and migrations agree: on SQLite and on MariaDB.

Runs against an empty database: a new SQLite file, or a scratch database beside the suite's one
when TEST_DATABASE_URL points at MySQL/MariaDB.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, String, Text, UniqueConstraint, create_engine, inspect, text
from sqlalchemy.pool import NullPool

from db import NAMING_CONVENTION, Base
from models.board_search import MROONGA_TABLE, SQLITE_TABLES
from tests.conftest import make_app
from tests.databases import requires_mysql

ROOT = Path(__file__).resolve().parent.parent
TABLES = {
    "alembic_version",
    "users",
    "revoked_tokens",
    "boards",
    "table_counts",
    "board_likes",
    "board_scraps",
    "comments",
    "follows",
    "messages",
    "comment_likes",
    "idempotency_keys",
    "forums",
    "forum_pins",
    "board_anonymous_authors",
    "moderation_cases",
    "reports",
    "audit_log",
}
HEAD = "0015"  # the newest revision in migrations/versions
# The search index (models/board_search.py): outside the models, made by migration 0013's raw DDL.
SEARCH_TABLES = {"sqlite": set(SQLITE_TABLES), "mysql": {MROONGA_TABLE}}
SEARCH_TRIGGERS = {
    "sqlite": {"trg_boards_fts_insert", "trg_boards_fts_update", "trg_boards_fts_delete"},
    "mysql": {"trg_boards_search_insert", "trg_boards_search_update", "trg_boards_search_delete"},
}

pytestmark = pytest.mark.slow


def flask_db(database_url: str, *command: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, in its own process, configured only through the environment."""
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "app"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "db", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def schema_diffs(engine: Engine) -> list[Any]:
    """Alembic's autogenerate comparison, configured as the app configures `flask db migrate/check`."""
    options = make_app(engine.url.render_as_string(hide_password=False)).extensions["migrate"].configure_args
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=options), Base.metadata)


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def created(engine: Engine) -> Engine:
    """The models' schema, made without migrations: for tests of the comparison itself."""
    Base.metadata.create_all(engine)
    assert schema_diffs(engine) == []
    return engine


def test_upgrade_from_empty_matches_the_models(empty_database_url: str, engine: Engine) -> None:
    upgrade = flask_db(empty_database_url, "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr

    assert set(inspect(engine).get_table_names()) == TABLES | SEARCH_TABLES[engine.dialect.name]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
    assert schema_diffs(engine) == []
    check = flask_db(empty_database_url, "check")
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected." in check.stdout + check.stderr

    assert_constraint_names_follow_the_convention(engine)
    if engine.dialect.name in ("mysql", "mariadb"):
        assert_every_text_column_is_utf8mb4(engine)


def test_downgrade_of_the_newest_revision_and_up_again(empty_database_url: str, engine: Engine) -> None:
    """The newest revision goes down to 0005 and up again, the board count triggers of 0005
    surviving it."""
    for command in (["upgrade"], ["downgrade", "0005"], ["upgrade"]):
        result = flask_db(empty_database_url, *command)
        assert result.returncode == 0, result.stderr
    assert set(inspect(engine).get_table_names()) == TABLES | SEARCH_TABLES[engine.dialect.name]
    assert schema_diffs(engine) == []
    with engine.connect() as conn:
        triggers = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            if engine.dialect.name == "sqlite"
            else "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
        )
        assert (
            set(conn.execute(text(triggers)).scalars())
            == {
                "trg_boards_count_insert",
                "trg_boards_count_delete",
                "trg_boards_author_count_insert",
                "trg_boards_author_count_delete",
                "trg_boards_forum_count_insert",
                "trg_boards_forum_count_delete",
            }
            | SEARCH_TRIGGERS[engine.dialect.name]
        )


def test_downgrade_to_empty(empty_database_url: str, engine: Engine) -> None:
    assert flask_db(empty_database_url, "upgrade").returncode == 0
    result = flask_db(empty_database_url, "downgrade", "base")
    assert result.returncode == 0, result.stderr
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}


def assert_constraint_names_follow_the_convention(engine: Engine) -> None:
    """The names the migrations gave are the models' names: Alembic can find them to alter or drop."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        expected = {
            "fk": {c.name for c in table.foreign_key_constraints},
            "uq": {c.name for c in table.constraints if isinstance(c, UniqueConstraint)},
            "ix": {i.name for i in table.indexes},
        }
        found = {
            "fk": {fk["name"] for fk in inspector.get_foreign_keys(table.name)},
            "uq": {uq["name"] for uq in inspector.get_unique_constraints(table.name)},
            # MySQL backs each unique constraint with an index of the same name.
            "ix": {ix["name"] for ix in inspector.get_indexes(table.name)} - expected["uq"],
        }
        assert found == expected, table.name
        for kind, names in expected.items():
            assert all(name.startswith(f"{kind}_{table.name}_") for name in names), (kind, names)


def assert_every_text_column_is_utf8mb4(engine: Engine) -> None:
    with engine.connect() as conn:
        collations = conn.execute(
            text(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns"
                " WHERE table_schema = DATABASE() AND collation_name IS NOT NULL"
            )
        ).all()
    assert len(collations) >= 8  # username, email, title, content, jti, …
    assert [row for row in collations if not row.collation_name.startswith("utf8mb4_")] == []


def test_the_comparison_notices_a_schema_that_drifted(created: Engine) -> None:
    """The parity check has teeth: an index missing from the database is reported."""
    on = " ON revoked_tokens" if created.dialect.name in ("mysql", "mariadb") else ""
    with created.begin() as conn:
        conn.execute(text(f"DROP INDEX ix_revoked_tokens_expires_at{on}"))
    diffs = schema_diffs(created)
    assert [(d[0], d[1].name) for d in diffs] == [("add_index", "ix_revoked_tokens_expires_at")]


def test_the_comparison_skips_the_search_index_and_nothing_else(created: Engine) -> None:
    """The search index is raw DDL outside the models (models/board_search.py): `include_name`
    skips exactly its tables, so a table nobody declared is still reported."""
    assert SEARCH_TABLES[created.dialect.name] <= set(inspect(created).get_table_names())
    with created.begin() as conn:
        conn.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    diffs = schema_diffs(created)
    assert [(d[0], d[1].name) for d in diffs] == [("remove_table", "stray")]


@requires_mysql
@pytest.mark.parametrize(
    ("table", "column", "definition", "expected"),
    [
        # Alembic alone passes both of these: db.compare_type catches them.
        ("boards", "created_at", "DATETIME NOT NULL", "UTCDateTime"),
        ("users", "email", "VARCHAR(254) COLLATE utf8mb4_unicode_ci NOT NULL", "String"),
        # Alembic's own comparison.
        ("boards", "title", "VARCHAR(100) NOT NULL", "String"),
        ("boards", "content", "TEXT NOT NULL", "Text"),
    ],
)
def test_mysql_type_drift_is_reported(
    created: Engine, table: str, column: str, definition: str, expected: str
) -> None:
    with created.begin() as conn:
        conn.execute(text(f"ALTER TABLE {table} MODIFY {column} {definition}"))
    diffs = schema_diffs(created)
    assert len(diffs) == 1, diffs
    (op, _, found_table, found_column, _, _, metadata_type) = diffs[0][0]
    assert (op, found_table, found_column) == ("modify_type", table, column)
    assert type(metadata_type).__name__ == expected


def test_models_name_every_constraint_and_size_every_string() -> None:
    assert set(NAMING_CONVENTION) == {"ix", "uq", "ck", "fk", "pk"}
    for table in Base.metadata.sorted_tables:
        assert table.primary_key.name == f"pk_{table.name}"
        for column in table.columns:
            if isinstance(column.type, String) and not isinstance(column.type, Text):
                assert column.type.length, f"{table.name}.{column.name} has no length (MySQL needs one)"
