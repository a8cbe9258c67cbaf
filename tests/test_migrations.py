"""Migrations build the schema from empty, and agree with the models (what `flask db check` asks)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from db import db
from models.board_search import SQLITE_TABLES, include_name

ROOT = Path(__file__).resolve().parent.parent


def flask(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "app"}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def empty_sqlite(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'migrated.db'}"


def test_upgrade_from_empty_then_check(empty_sqlite):
    upgrade = flask("db", "upgrade", database_url=empty_sqlite)
    assert upgrade.returncode == 0, upgrade.stderr
    check = flask("db", "check", database_url=empty_sqlite)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr

    tables = set(inspect(create_engine(empty_sqlite)).get_table_names())
    assert tables == {
        "alembic_version",
        "users",
        "boards",
        "revoked_tokens",
        "table_counts",
        "board_likes",
        "board_scraps",
        "comments",
        "follows",
        "messages",
        "comment_likes",
        "idempotency_keys",
        "moderation_cases",
        "reports",
        "audit_log",
        *SQLITE_TABLES,
        "forums",
        "forum_pins",
        "board_anonymous_authors",
    }


def test_models_and_migrations_agree(empty_sqlite):
    assert flask("db", "upgrade", database_url=empty_sqlite).returncode == 0
    engine = create_engine(empty_sqlite)
    with engine.connect() as connection:
        # include_name: the search index is raw DDL outside the models (models/board_search.py).
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_to_empty_and_back(empty_sqlite):
    assert flask("db", "upgrade", database_url=empty_sqlite).returncode == 0
    downgrade = flask("db", "downgrade", "base", database_url=empty_sqlite)
    assert downgrade.returncode == 0, downgrade.stderr
    assert set(inspect(create_engine(empty_sqlite)).get_table_names()) == {"alembic_version"}
    assert flask("db", "upgrade", database_url=empty_sqlite).returncode == 0
