"""speedups/sqlite_writers.py: a write transaction on SQLite holds the database's write turn from
its first write to its end (commit, rollback, close), readers hold none, a second writer waits its
turn, and a turn not had in time is given up rather than waited for forever."""

from __future__ import annotations

import fcntl
import gc
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from speedups import sqlite_writers
from speedups.sqlite_writers import LOCK_SUFFIX, QueuedWriter
from tests.conftest import make_app


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "writers.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    return path


def connect(path: Path, timeout: float = 5.0) -> QueuedWriter:
    return sqlite3.connect(path, timeout=timeout, factory=QueuedWriter)  # type: ignore[return-value]


@pytest.fixture
def other_worker(database) -> Iterator[int]:
    """The lock file opened apart, as another worker process has it."""
    fd = os.open(f"{database}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT)
    yield fd
    os.close(fd)


def turn_is_free(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_write_transaction_holds_the_turn_from_its_first_write_to_its_end(database, end) -> None:
    conn = connect(database)
    conn.execute("SELECT count(*) FROM t").fetchall()
    other = os.open(f"{database}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT)
    try:
        assert turn_is_free(other)  # a read takes no turn
        conn.execute("INSERT INTO t (v) VALUES ('a')")
        assert conn.in_transaction and not turn_is_free(other)
        conn.execute("UPDATE t SET v = 'b'")  # still the same turn
        assert not turn_is_free(other)
        getattr(conn, end)()
        assert turn_is_free(other)
    finally:
        os.close(other)
        conn.close()
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone()[0] == (1 if end == "commit" else 0)


def test_a_connection_dropped_in_its_write_transaction_gives_the_turn_back(database, other_worker) -> None:
    conn = connect(database)
    conn.execute("INSERT INTO t (v) VALUES ('a')")
    assert not turn_is_free(other_worker)
    del conn
    gc.collect()
    assert turn_is_free(other_worker)
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def test_a_write_that_fails_before_its_transaction_begins_gives_the_turn_back(database, other_worker) -> None:
    conn = connect(database)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        conn.execute("INSERT INTO missing (v) VALUES ('a')")
    assert not conn.in_transaction and turn_is_free(other_worker)
    with pytest.raises(sqlite3.IntegrityError):  # inside its transaction: the turn stays to the end
        conn.execute("INSERT INTO t (v) VALUES (NULL)")
    assert conn.in_transaction and not turn_is_free(other_worker)
    conn.rollback()
    assert turn_is_free(other_worker)
    conn.close()


def test_a_second_writer_waits_for_the_first_to_commit(database) -> None:
    first = connect(database)
    second = sqlite3.connect(database, timeout=10, factory=QueuedWriter, check_same_thread=False)
    second.execute("PRAGMA busy_timeout = 0")  # without its turn it would fail at once, not wait
    first.execute("INSERT INTO t (v) VALUES ('first')")
    order: list[str] = []

    def write() -> None:
        second.execute("INSERT INTO t (v) VALUES ('second')")
        order.append("second wrote")
        second.commit()

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)
    assert order == []  # waiting in the queue, not in SQLite's busy loop
    order.append("first commits")
    first.commit()
    writer.join(10)
    assert order == ["first commits", "second wrote"]
    rows = [v for (v,) in first.execute("SELECT v FROM t ORDER BY id")]
    assert rows == ["first", "second"]
    first.close()
    second.close()


def test_another_workers_turn_is_waited_for_until_the_busy_timeout_then_given_up(
    database, other_worker
) -> None:
    fcntl.flock(other_worker, fcntl.LOCK_EX)  # another worker holds the turn and hangs
    conn = connect(database, timeout=0.3)
    started = time.monotonic()
    conn.execute("INSERT INTO t (v) VALUES ('a')")  # SQLite's own lock is free: it writes
    waited = time.monotonic() - started
    conn.commit()
    assert 0.3 <= waited < 3
    fcntl.flock(other_worker, fcntl.LOCK_UN)
    assert turn_is_free(other_worker)
    conn.close()


WRITER = """
import sys, threading, time
from pathlib import Path
from sqlalchemy import create_engine, text
from speedups import sqlite_writers

database, name = Path(sys.argv[1]), sys.argv[2]
engine = create_engine(f"sqlite:///{database}", pool_size=8)
assert sqlite_writers.install_on(engine)
failures = []


def write(n):
    try:
        for i in range(25):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": f"{name}-{n}-{i}"})
    except BaseException as error:
        failures.append(error)


(database.parent / f"{name}.ready").touch()
while not (database.parent / "go").exists():
    time.sleep(0.001)
threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
sys.exit(repr(failures) if failures else 0)
"""


def test_sixteen_writers_in_two_processes_lose_no_write(database) -> None:
    """Threads queue on their process's lock, processes on the file's: every write lands once."""
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(database), name], stderr=subprocess.PIPE, text=True
        )
        for name in ("a", "b")
    ]
    deadline = time.monotonic() + 60
    while not all((database.parent / f"{name}.ready").exists() for name in ("a", "b")):
        assert time.monotonic() < deadline and all(w.poll() is None for w in writers)
        time.sleep(0.01)
    (database.parent / "go").touch()
    for writer in writers:
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(DISTINCT v) FROM t").fetchone()[0] == 2 * 8 * 25


def test_a_database_in_memory_takes_no_turn(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    conn = connect(":memory:")  # type: ignore[arg-type]
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES ('a')")
    conn.commit()
    assert list(tmp_path.iterdir()) == []
    assert not sqlite_writers.install_on(create_engine("sqlite://"))
    assert sqlite_writers.database_file("file:x?mode=memory&cache=shared", uri=True) is None
    assert sqlite_writers.database_file("file:/data/a.db?mode=rw", uri=True) == "/data/a.db"


def test_the_apps_connections_queue_their_writes(tmp_path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'app.db'}", SPEEDUPS="sqlite_writers")
    with app.app_context():
        from db import connection

        assert isinstance(connection().connection.dbapi_connection, QueuedWriter)
    plain = make_app(f"sqlite:///{tmp_path / 'plain.db'}", SPEEDUPS="off")
    with plain.app_context():
        from db import connection

        assert type(connection().connection.dbapi_connection) is sqlite3.Connection
