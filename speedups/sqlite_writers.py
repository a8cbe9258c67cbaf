"""SQLite writers queue on a lock file instead of sleeping in SQLite's busy handler.

SQLite lets one writer at a time into a database. A connection that finds the write lock taken
calls its busy handler, which sleeps and retries: 1 ms, then 2, 5, 10, 15, 20, 25… (SQLite's
default schedule), however soon the lock comes free. With two gunicorn workers writing, a like
that collides with the other worker's (each holds the lock for a fraction of a millisecond)
waits a whole millisecond or more doing nothing: measured with `make bench`, writes ran at a
fraction of what their CPU cost allows, and p99 grew with each step of the schedule.

Here a connection takes an exclusive `flock` on `<database>-writers` before its transaction's
first write (INSERT, UPDATE, DELETE, REPLACE) and gives it back when the transaction ends
(commit, rollback, `with connection:`, close). A writer waiting on `flock` is woken the moment
the lock is released, instead of sleeping in steps. Readers never touch the file (WAL lets them
read beside a writer).

Nothing SQLite guarantees depends on this file: it only orders writers that would have waited
anyway, and SQLite's own locking still decides. So whenever the queue cannot help, a writer goes
on without it, to SQLite's busy handler as before:
- the lock is held longer than the connection's `timeout` (5 s by default; a long migration, a
  `flask shell` left in a transaction): the writer stops waiting for the file, and SQLite's busy
  handler gives its usual "database is locked" (a 503) instead of the worker hanging;
- the file cannot be opened (a read-only folder, a file left by another user): logged once;
- this thread already holds the lock through another connection: it does not wait for itself;
- writers that do not use the file (the sqlite3 shell, `executescript`, DDL).

Used only for file databases (not `:memory:` or URI names), through sqlite3's `factory`
connection argument (db.engine_options).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Threads holding the lock through some connection: a thread never waits for itself.
_holders: set[int] = set()
_unusable: set[str] = set()  # lock files that could not be opened (logged once each)


def lock_path(database: str) -> str | None:
    """The lock file of a database file; None for an in-memory or URI database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-writers"


class QueuedWritersConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions queue on the database's lock file."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock_path = lock_path(os.fspath(database))
        self._lock_fd: int | None = None
        self._owner: int | None = None  # the thread holding the lock through this connection
        self._timeout = float(kwargs.get("timeout", args[0] if args else 5.0))

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or QueuedWritersCursor)

    # sqlite3's shortcuts make a plain cursor of their own: route them through ours.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, parameters)

    def queue_for_write(self) -> None:
        me = threading.get_ident()
        if self._owner is not None or self._lock_path is None or me in _holders:
            return
        fd = self._lock_file()
        if fd is None or not _wait_for(fd, self._timeout):
            return  # SQLite's busy handler decides, as without the queue
        self._owner = me
        _holders.add(me)

    def _lock_file(self) -> int | None:
        if self._lock_fd is None and self._lock_path not in _unusable:
            try:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)  # type: ignore[arg-type]
            except OSError as error:
                _unusable.add(self._lock_path)  # type: ignore[arg-type]
                log.warning("SQLite writers will not queue on %s: %s", self._lock_path, error)
        return self._lock_fd

    def _done(self) -> None:
        if self._owner is not None:
            _holders.discard(self._owner)
            self._owner = None
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)  # type: ignore[arg-type]

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._done()

    def __exit__(self, *exc_info: Any) -> Any:  # `with connection:` commits or rolls back in C
        try:
            return super().__exit__(*exc_info)
        finally:
            if not self.in_transaction:
                self._done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._done()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def _wait_for(fd: int, timeout: float) -> bool:
    """Take the lock, waiting at most `timeout` seconds: polled, 20 µs at first (a writer holds it
    for a fraction of a millisecond), then less and less often, up to every 2 ms."""
    deadline = time.monotonic() + timeout
    pause = 0.00002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
        time.sleep(pause)
        pause = min(pause * 1.5, 0.002)


class QueuedWritersCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._queue_if_write(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        self._queue_if_write(sql)
        return super().executemany(sql, parameters)

    def _queue_if_write(self, sql: str) -> None:
        if sql.lstrip()[:7].upper().startswith(WRITES):
            self.connection.queue_for_write()  # type: ignore[attr-defined]
