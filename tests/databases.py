"""Test databases: a fresh SQLite file per test, or one MySQL/MariaDB database emptied per test.

On a server, creating the schema costs far more than emptying it (measured in the README), so the
schema is made once per session and every test starts from empty tables whose AUTO_INCREMENT
counters are reset: the same "fresh database" a test sees on SQLite, ids starting at 1.
Under pytest-xdist (`-n 2`) each worker has a database of its own on the server, `<name>_gw0`,
`<name>_gw1`…, created when missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool

from db import Base
from models.forum import insert_general


def _of_this_worker(url: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parsed = make_url(url)
    if parsed.get_backend_name() != "mysql":
        return url
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


TEST_DATABASE_URL = _of_this_worker(os.environ.get("TEST_DATABASE_URL", ""))
ON_MYSQL = make_url(TEST_DATABASE_URL).get_backend_name() == "mysql" if TEST_DATABASE_URL else False

requires_mysql = pytest.mark.skipif(
    not ON_MYSQL, reason="needs a MariaDB/MySQL server: TEST_DATABASE_URL=mysql+pymysql://… (make test-mysql)"
)


class SharedDatabase:
    """The server database named by TEST_DATABASE_URL, reused by every test of the session."""

    def __init__(self, url: str) -> None:
        self.url = url
        # One connection kept for the session: a new MySQL connection costs ~20 ms (see docs/production.md).
        self.engine: Engine = create_engine(url, pool_size=1)

    def create_schema(self) -> None:
        """Drop whatever an earlier run left (its tables may be from older models), then create."""
        create_database(self.url)
        with self.engine.begin() as conn:
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in inspect(conn).get_table_names():
                conn.execute(text(f"DROP TABLE `{table}`"))
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
            Base.metadata.create_all(conn)

    def empty(self) -> None:
        """Delete every row and restart the id counters of the tables that were written to."""
        try:
            self._empty()
        except ProgrammingError:  # a test dropped a table: start over
            self.create_schema()

    def _empty(self) -> None:
        with self.engine.begin() as conn:
            # A connection leaked by an earlier test must fail this loudly, not hang it for a year.
            conn.execute(text("SET SESSION lock_wait_timeout = 10, innodb_lock_wait_timeout = 10"))
            used = set(
                conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = DATABASE() AND auto_increment > 1"
                    )
                ).scalars()
            )
            for table in reversed(Base.metadata.sorted_tables):  # children before parents
                conn.execute(table.delete())
            # The board counter row, as migrations and create_all() make it (a test may delete it).
            conn.execute(text("INSERT INTO table_counts (table_name, row_count) VALUES ('boards', 0)"))
            insert_general(conn)  # every board's default forum, as migrations and create_all() make it
            for table in Base.metadata.sorted_tables:
                if table.name in used:
                    conn.execute(text(f"ALTER TABLE `{table.name}` AUTO_INCREMENT = 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def create_database(url: str) -> None:
    """The database `url` names, made on its server if it is not there yet (utf8mb4)."""
    parsed = make_url(url)
    server = create_engine(
        parsed._replace(database=None), poolclass=NullPool
    )  # no database: a server connection
    try:
        with server.begin() as conn:
            conn.execute(
                text(
                    f"CREATE DATABASE IF NOT EXISTS `{parsed.database}`"
                    " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            )
    finally:
        server.dispose()


@contextmanager
def scratch_database(base_url: str, suffix: str) -> Iterator[str]:
    """An empty database beside the shared one (`<name>_<suffix>`), dropped afterwards."""
    url = make_url(base_url)
    name = f"{url.database}_{suffix}"
    admin = create_engine(url._replace(database=None), poolclass=NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        scratch = url.set(database=name).render_as_string(hide_password=False)
        create_database(scratch)
        yield scratch
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()
