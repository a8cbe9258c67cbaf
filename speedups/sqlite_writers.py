"""SQLite's writers take turns in a queue instead of SQLite's busy loop.

SQLite lets one connection write at a time. A writer that finds the database locked is put to
sleep by SQLite's busy handler for 1, 2, 5, 10, 15, 20, 25 … up to 100 ms, and then tries again:
under a few workers that write at once (posting, liking), a write of under a millisecond waits
tens, and whoever happens to wake when the lock is free goes next. Here a write transaction
first takes its turn: a lock of the process (for its threads), then an OS lock on the file
`<database>-writers.lock` (for the other workers), both released as the transaction ends (commit,
rollback, close). The next writer gets the turn as soon as it is free (a thread of the same
process at once, another process within 0.1 to 2 ms), with no sleep of SQLite's schedule.

- Readers take no turn: WAL lets them read beside the writer.
- A turn is taken where Python's sqlite3 itself begins the transaction: before the first
  INSERT, UPDATE, DELETE or REPLACE (a statement that starts with a comment is not recognised:
  it writes the old way).
- A turn not had within the connection's busy timeout (a writer that hangs) is given up: the
  write goes ahead without it and SQLite's own wait decides, as without this speed-up.
- A database in memory has one connection per database: nothing to queue.

It applies to the engines of the apps it is installed on (new connections: the pool is emptied).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

LOCK_SUFFIX = "-writers.lock"
_WRITES = ("insert", "update", "delete", "replace")
# The wait between two tries of the other workers' lock: doubled from the first to the last.
_FIRST_POLL, _LAST_POLL = 0.0001, 0.002


@dataclass
class Turn:
    """The write turn of one database file in this process: a lock for its threads, and the lock
    file, opened for each turn (a process that opened many databases, a test run, keeps no
    descriptor of each)."""

    threads: threading.Lock
    path: str
    fd: int = -1

    def take(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self.threads.acquire(timeout=max(timeout, 0)):
            return False
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:  # a read-only folder, say: SQLite's own wait decides
            self.threads.release()
            return False
        poll = _FIRST_POLL
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    self.threads.release()
                    return False
                time.sleep(poll)
                poll = min(poll * 2, _LAST_POLL)

    def give_back(self) -> None:
        fd, self.fd = self.fd, -1
        os.close(fd)  # releases the file's lock
        self.threads.release()


_TURNS: dict[str, Turn] = {}
_TURNS_LOCK = threading.Lock()
# A forked child starts with no turn held: a lock its parent held at the fork would never be freed.
os.register_at_fork(after_in_child=_TURNS.clear)


def turn_of(path: str) -> Turn:
    turn = _TURNS.get(path)
    if turn is None:
        with _TURNS_LOCK:
            turn = _TURNS.setdefault(path, Turn(threading.Lock(), path + LOCK_SUFFIX))
    return turn


def database_file(database: Any, uri: bool = False) -> str | None:
    """The file a sqlite3.connect() argument names; None for a database in memory."""
    name = os.fspath(database)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if uri and name.startswith("file:"):
        parts = urlsplit(name)
        if "mode=memory" in parts.query:
            return None
        name = unquote(parts.path)
    if name in ("", ":memory:") or name.startswith("file::memory:"):
        return None
    return os.path.abspath(name)


def is_write(sql: str) -> bool:
    return sql.lstrip()[:7].lower().startswith(_WRITES)


class QueuedWriter(sqlite3.Connection):
    """A sqlite3 connection whose write transactions take their turn first."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._path = database_file(database, bool(kwargs.get("uri")))
        self._wait = float(kwargs.get("timeout", args[0] if args else 5.0))
        self._turn: Turn | None = None

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or QueuedCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().executemany(sql, parameters)

    def before(self, sql: str) -> None:
        # At a transaction's first write only: a writer that gave its turn up holds SQLite's own
        # lock from then on, and must not queue again behind the turn's holder, who waits for it.
        if self._turn is None and self._path is not None and not self.in_transaction and is_write(sql):
            turn = turn_of(self._path)
            if turn.take(self._wait):
                self._turn = turn

    def after(self) -> None:
        """After a statement: a write that began no transaction (it failed first) ends its turn."""
        if self._turn is not None and not self.in_transaction:
            self.give_back()

    def give_back(self) -> None:
        turn, self._turn = getattr(self, "_turn", None), None  # (an __init__ that failed set none)
        if turn is not None:
            turn.give_back()

    def commit(self) -> None:
        try:
            super().commit()
        except BaseException:
            if self.in_transaction:  # a failed COMMIT leaves it open: undone, not left holding the turn
                super().rollback()
            raise
        finally:
            self.after()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.after()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_back()

    def __del__(self) -> None:
        # Dropped without a close (sqlite3 then closes it, rolling back): the turn goes with it.
        self.give_back()


class QueuedCursor(sqlite3.Cursor):
    connection: QueuedWriter

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.connection.before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after()

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        self.connection.before(sql)
        try:
            return super().executemany(sql, parameters)
        finally:
            self.connection.after()


def install(app: Flask) -> bool:
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    return install_on(engine)


def install_on(engine: Engine) -> bool:
    """Queue the writers of `engine`'s connections, if it is a SQLite file's."""
    if engine.dialect.name != "sqlite" or engine.dialect.driver != "pysqlite":
        return False
    if database_file(engine.url.database or "", uri=bool(engine.url.query.get("uri"))) is None:
        return False  # in memory: one connection, nothing to queue (and nothing to close)
    if event.contains(engine, "do_connect", _connect):
        return True

    event.listen(engine, "do_connect", _connect)
    engine.dispose()  # connections made before now are of the plain kind
    return True


def _connect(
    dialect: Any, conn_rec: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> sqlite3.Connection:
    return sqlite3.connect(*cargs, **{**cparams, "factory": QueuedWriter})
