"""SQLite writers queue on `<database>-writers` instead of sleeping in SQLite's busy handler
(sqlite_writers.py): the lock is held from a transaction's first write to its end, reads never
take it, and the app's engine uses it."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import db
from sqlite_writers import QueuedWritersConnection, lock_path
from tests.conftest import make_app


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "board.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)")
        setup.execute("INSERT INTO t VALUES (1, 0)")
    return path


def connect(database: Path, timeout: float = 5.0) -> sqlite3.Connection:
    return sqlite3.connect(
        database, timeout=timeout, factory=QueuedWritersConnection, check_same_thread=False
    )


@pytest.fixture
def probe(database: Path) -> Iterator:
    """held() tells whether some connection holds the writers' lock (asked from a file of its own)."""
    fd = os.open(lock_path(str(database)), os.O_RDWR | os.O_CREAT)

    def held() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False

    yield held
    os.close(fd)


def test_the_lock_file_sits_beside_a_file_database_only() -> None:
    assert lock_path("/srv/board.db") == "/srv/board.db-writers"
    assert lock_path(":memory:") is None
    assert lock_path("") is None
    assert lock_path("file:board?mode=memory") is None


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_write_holds_the_lock_until_its_transaction_ends(database, probe, end) -> None:
    conn = connect(database)
    conn.execute("SELECT n FROM t").fetchall()
    assert not probe(), "a read takes no lock"
    conn.execute("UPDATE t SET n = n + 1")
    conn.execute("SELECT n FROM t").fetchall()
    assert probe()
    getattr(conn, end)()
    assert not probe()
    if end != "close":
        conn.close()


def test_a_refused_write_holds_the_lock_until_the_rollback(database, probe) -> None:
    conn = connect(database)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO t VALUES (1, 5)")
    assert probe()
    conn.rollback()
    assert not probe()
    conn.close()


def test_a_second_writer_waits_on_the_lock_not_in_sqlite(database) -> None:
    """The second writer has no busy timeout at all: without the queue, SQLite would refuse it at
    once ("database is locked"). Queued, it waits for the first one's commit, then writes."""
    first, second = connect(database), connect(database, timeout=0)
    first.execute("UPDATE t SET n = n + 1")
    done: list[object] = []

    def write() -> None:
        try:
            second.execute("UPDATE t SET n = n + 10")
            second.commit()
            done.append("ok")
        except sqlite3.Error as exc:  # pragma: no cover - the failure this test is about
            done.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.2)
    assert done == [], "the second writer waits while the first holds the lock"
    first.commit()
    thread.join(5)
    assert done == ["ok"]
    assert first.execute("SELECT n FROM t").fetchone() == (11,)
    first.close()
    second.close()


def test_one_thread_never_waits_for_itself(database) -> None:
    """Two connections of one thread: the second write goes to SQLite's busy handler (here a
    0.1 s timeout, then "database is locked"), instead of waiting forever for its own thread."""
    first, second = connect(database), connect(database, timeout=0.1)
    first.execute("UPDATE t SET n = n + 1")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("UPDATE t SET n = n + 10")
    assert time.monotonic() - started < 2
    first.commit()
    second.rollback()
    second.execute("UPDATE t SET n = n + 10")
    second.commit()
    assert first.execute("SELECT n FROM t").fetchone() == (11,)
    first.close()
    second.close()


def test_the_apps_engine_queues_its_writers(tmp_path, probe, database) -> None:
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        connection = db.session.connection()
        assert isinstance(connection.connection.dbapi_connection, QueuedWritersConnection)
        connection.exec_driver_sql("UPDATE t SET n = 7")
        assert probe()
        db.session.commit()
        assert not probe()
        db.session.remove()
