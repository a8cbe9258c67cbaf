"""SQLite writers queue on a lock file instead of sleeping in SQLite's busy handler.

SQLite lets one writer at a time into a database. A connection that finds the write lock taken
calls its busy handler, which sleeps and retries: 1 ms, then 2, 5, 10, 15, 20, 25… (SQLite's
default schedule), however soon the lock comes free. With two gunicorn workers writing, a like
that collides with the other worker's (each holds the lock for a fraction of a millisecond)
waits a whole millisecond or more doing nothing: measured with `make bench`, writes ran at a
fraction of what their CPU cost allows, and p99 grew with each step of the schedule.

Here a connection takes an exclusive `flock` on `<database>-writers` before its transaction's
first write (INSERT, UPDATE, DELETE, REPLACE) and gives it back when the transaction ends
(commit, rollback or close). A writer waiting on `flock` is woken the moment the lock is released,
so writers queue in order instead of sleeping in steps. Readers never touch it (WAL lets them read
beside a writer). What SQLite guarantees is unchanged: the lock file only orders writers that
would have waited anyway, and SQLite's own locking still decides (a writer that does not use this
file, e.g. the sqlite3 shell, is waited for by the busy handler, as before).

Used only for file databases (not `:memory:`), through sqlite3's `factory` connection argument
(db.engine_options). One thread never waits for a lock it already holds through another
connection: it falls back to SQLite's busy handler, as before, rather than wait for itself.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Any

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_held = threading.local()  # how many write locks this thread holds, across its connections


def lock_path(database: str) -> str | None:
    """The lock file of a database file; None for an in-memory or URI database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-writers"


class QueuedWritersConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions queue on the database's lock file."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        path = lock_path(os.fspath(database))
        self._lock_fd = None if path is None else os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._holding = False

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or QueuedWritersCursor)

    # sqlite3's shortcuts make a plain cursor of their own: route them through ours.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, parameters)

    def queue_for_write(self) -> None:
        if self._holding or self._lock_fd is None or getattr(_held, "count", 0):
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._holding = True
        _held.count = 1

    def _done(self) -> None:
        if self._holding:
            self._holding = False
            _held.count = 0
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

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._done()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


class QueuedWritersCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if sql.lstrip()[:7].upper().startswith(WRITES):
            self.connection.queue_for_write()  # type: ignore[attr-defined]
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        if sql.lstrip()[:7].upper().startswith(WRITES):
            self.connection.queue_for_write()  # type: ignore[attr-defined]
        return super().executemany(sql, parameters)
