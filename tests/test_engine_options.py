"""Engine options follow from the database URL, so operators only have to set DATABASE_URL."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url, text

from app import create_app
from db import db, engine_options
from tests.conftest import TEST_SECRET, make_app
from tests.databases import TEST_DATABASE_URL, requires_mysql

MYSQL = "mysql+pymysql://board:pw@db.example:3306/board"
MYSQL_DEFAULTS = {
    "pool_pre_ping": True,
    "pool_recycle": 280,
    "connect_args": {"charset": "utf8mb4", "connect_timeout": 3, "read_timeout": 30, "write_timeout": 30},
}


@pytest.mark.parametrize(
    ("url", "overrides", "expected"),
    [
        ("sqlite:///board.db", None, {}),
        ("sqlite:///board.db", {"echo": True}, {"echo": True}),
        ("sqlite:///board.db", {"connect_args": {"timeout": 30}}, {"connect_args": {"timeout": 30}}),
        (MYSQL, None, MYSQL_DEFAULTS),
        ("mysql://board:pw@db.example/board", None, MYSQL_DEFAULTS),  # mysqlclient takes the same
        # What the URL says wins over the defaults; explicit options win over everything.
        (
            f"{MYSQL}?charset=utf8mb4&read_timeout=3600",
            None,
            {**MYSQL_DEFAULTS, "connect_args": {"connect_timeout": 3, "write_timeout": 30}},
        ),
        (MYSQL, {"pool_recycle": 60}, {**MYSQL_DEFAULTS, "pool_recycle": 60}),
        ("postgresql://board:pw@db.example/board", None, {"pool_pre_ping": True, "pool_recycle": 280}),
    ],
)
def test_engine_options(url: str, overrides: dict | None, expected: dict) -> None:
    assert engine_options(url, overrides) == expected


def test_database_url_from_the_environment_gets_the_server_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", MYSQL)
    app = create_app({"TESTING": True, "JWT_SECRET_KEY": TEST_SECRET})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == MYSQL_DEFAULTS
    with app.app_context():
        pool = db.engine.pool
        assert (pool._pre_ping, pool._recycle) == (True, 280)


@requires_mysql
def test_the_connection_speaks_utf8mb4_without_being_told() -> None:
    """A DATABASE_URL without `?charset=` still gets a utf8mb4 connection (PyMySQL's own default
    since 1.0, made explicit for every driver): emoji fit, nothing is transcoded on the way."""
    url = make_url(TEST_DATABASE_URL)
    bare = url.set(query={k: v for k, v in url.query.items() if k != "charset"})
    app = make_app(bare.render_as_string(hide_password=False))
    with app.app_context():
        row = db.session.execute(
            text("SELECT @@character_set_client, @@character_set_connection, @@character_set_results")
        ).one()
        db.engine.dispose()
    assert tuple(row) == ("utf8mb4", "utf8mb4", "utf8mb4")
