"""SQLite writers queue on `<database>-writers` instead of sleeping in SQLite's busy handler
(speedups/sqlite_writers.py): the lock is held from a transaction's first write to its end, reads never
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
from speedups import sqlite_writers
from speedups.sqlite_writers import QueuedWritersConnection, lock_path
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


@pytest.fixture(autouse=True)
def forget_unusable_files() -> Iterator[None]:
    yield
    sqlite_writers._unusable.clear()


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


def test_a_second_writer_waits_on_the_lock_file_then_writes(database, monkeypatch) -> None:
    """The second writer queues on the file (not in SQLite's busy handler) while the first holds
    it, and takes it as soon as the first commits."""
    waits: list[bool] = []
    original = sqlite_writers._wait_for

    def spy(fd: int, timeout: float) -> bool:
        waits.append(original(fd, timeout))
        return waits[-1]

    monkeypatch.setattr(sqlite_writers, "_wait_for", spy)
    first, second = connect(database), connect(database)
    first.execute("UPDATE t SET n = n + 1")
    done: list[object] = []

    def write() -> None:
        second.execute("UPDATE t SET n = n + 10")
        second.commit()
        done.append("ok")

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.2)
    assert done == [], "the second writer waits while the first holds the lock"
    first.commit()
    thread.join(5)
    assert done == ["ok"]
    assert waits == [True, True]  # the first took the free lock; the second got it once released
    assert first.execute("SELECT n FROM t").fetchone() == (11,)
    first.close()
    second.close()


def test_a_writer_waits_no_longer_than_its_timeout(database, probe) -> None:
    """A lock held for long (a migration, a forgotten shell): after its timeout on the file the
    writer goes on to SQLite, whose busy handler refuses it after its own timeout, as before:
    "database is locked", never a worker stuck until gunicorn kills it."""
    first, second = connect(database), connect(database, timeout=0.2)
    first.execute("UPDATE t SET n = n + 1")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("UPDATE t SET n = n + 10")
    assert 0.2 <= time.monotonic() - started < 2
    second.rollback()
    first.commit()
    assert not probe()
    first.close()
    second.close()


def test_an_unusable_lock_file_leaves_writes_to_sqlite(database, caplog) -> None:
    Path(lock_path(str(database))).mkdir()  # cannot be opened as a file, even by root
    conn = connect(database)
    conn.execute("SELECT n FROM t").fetchall()
    conn.execute("UPDATE t SET n = 5")
    conn.commit()
    conn.execute("UPDATE t SET n = 6")
    conn.commit()
    assert conn.execute("SELECT n FROM t").fetchone() == (6,)
    assert sum("will not queue" in record.getMessage() for record in caplog.records) == 1
    conn.close()


def test_with_connection_releases_the_lock(database, probe) -> None:
    conn = connect(database)
    with conn:
        conn.execute("UPDATE t SET n = 3")
        assert probe()
    assert not probe()
    conn.close()


def test_a_lock_released_from_another_thread_frees_its_owner(database, probe) -> None:
    """A pool may close a connection from another thread: its owner queues again afterwards."""
    first = connect(database)
    first.execute("UPDATE t SET n = 1")
    closer = threading.Thread(target=first.close)
    closer.start()
    closer.join(5)
    assert not probe()
    second = connect(database)
    second.execute("UPDATE t SET n = 2")
    assert probe(), "this thread holds no lock any more: its next write queues again"
    second.commit()
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
