"""Rate-limit counters that every worker process of one instance shares, without Redis.

`SQLiteStorage` is a storage of the `limits` library (what Flask-Limiter counts with) kept in one
SQLite file, by default `instance/rate-limits.sqlite3`: each worker opens it, and SQLite's own
locking makes each check-and-count one atomic step for all of them, so that `5 per minute` means 5
for the instance, whatever WEB_CONCURRENCY is. The file holds only counters: it runs without
fsync (`synchronous=OFF`; an OS crash may forget the last minutes' counts, never corrupt the
file) and rows are deleted once their window is over. Several instances on one machine may share a
file; across machines, counters need REDIS_URL. docs/rate-limits-and-passwords.md has the costs.

`release_entry(storage, key)` gives back the newest entry of a key: a limit that counts only some
outcomes (failed logins) takes its entry before the view, atomically, and gives it back when the
outcome does not count (security/rate_limits.py), so that requests arriving together cannot all pass.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from limits.storage import MemoryStorage, MovingWindowSupport, RedisStorage, Storage

SCHEME = "board-sqlite"
PRUNE_EVERY_SECONDS = 60.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, at REAL NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hits_key_at ON hits (key, at);
CREATE INDEX IF NOT EXISTS hits_expires ON hits (expires);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL);
"""


class SQLiteStorage(Storage, MovingWindowSupport):
    """`board-sqlite:///<absolute path>`: the moving window (and plain counters) in a SQLite file."""

    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        self.path = Path((uri or "").partition("://")[2] or options.get("path", ""))
        if not self.path.is_absolute():
            raise ValueError(f"{SCHEME}:// needs an absolute file path, not {uri!r}")
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._pruned = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (sqlite3.Error, OSError)

    def _db(self) -> sqlite3.Connection:
        """This process's connection, opened on first use: never one inherited through a fork."""
        if self._connection is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: each statement commits alone unless inside BEGIN … COMMIT.
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.executescript(SCHEMA)
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def _write(self, work: Any) -> Any:
        """Run `work(connection, now)` in one write transaction, taken at once (BEGIN IMMEDIATE): the
        count it reads cannot change before its insert, in any process."""
        with self._lock:
            db = self._db()
            now = time.time()
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db, now)
                if now - self._pruned > PRUNE_EVERY_SECONDS:
                    db.execute("DELETE FROM hits WHERE expires <= ?", (now,))
                    db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
                    self._pruned = now
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

    def _read(self, sql: str, parameters: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._db().execute(sql, parameters).fetchone()

    # The moving window: one row per request counted, newest last.
    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False

        def acquire(db: sqlite3.Connection, now: float) -> bool:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM hits WHERE key = ? AND at >= ?", (key, now - expiry)
            ).fetchone()
            if count + amount > limit:
                return False
            db.executemany("INSERT INTO hits VALUES (?, ?, ?)", [(key, now, now + expiry)] * amount)
            return True

        return bool(self._write(acquire))

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        oldest, count = self._read(
            "SELECT MIN(at), COUNT(*) FROM "
            "(SELECT at FROM hits WHERE key = ? AND at >= ? ORDER BY at DESC LIMIT ?)",
            (key, now - expiry, limit),
        )
        return (oldest, count) if count else (now, 0)

    def release(self, key: str) -> None:
        """Give back the newest entry of `key` (none left: nothing happens)."""
        self._write(
            lambda db, now: db.execute(
                "DELETE FROM hits WHERE rowid = "
                "(SELECT rowid FROM hits WHERE key = ? ORDER BY at DESC, rowid DESC LIMIT 1)",
                (key,),
            )
        )

    # Plain counters (fixed windows), which `limits` requires of every storage.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        def increment(db: sqlite3.Connection, now: float) -> int:
            db.execute("DELETE FROM counters WHERE key = ? AND expires <= ?", (key, now))
            db.execute(
                "INSERT INTO counters VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = value + ?",
                (key, amount, now + expiry, amount),
            )
            return db.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()[0]

        return int(self._write(increment))

    def get(self, key: str) -> int:
        row = self._read("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._read("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._read("SELECT 1", ())
        except self.base_exceptions:
            return False
        return True

    def reset(self) -> int | None:
        def empty(db: sqlite3.Connection, now: float) -> int:
            return db.execute("DELETE FROM hits").rowcount + db.execute("DELETE FROM counters").rowcount

        return int(self._write(empty))

    def clear(self, key: str) -> None:
        def forget(db: sqlite3.Connection, now: float) -> None:
            db.execute("DELETE FROM hits WHERE key = ?", (key,))
            db.execute("DELETE FROM counters WHERE key = ?", (key,))

        self._write(forget)


def release_entry(storage: Storage, key: str) -> None:
    """Give back the newest moving-window entry of `key` in whichever storage the limiter uses: this
    file, Redis (a list, newest first, that the `limits` scripts push to and trim), or the memory
    of the in-memory fallback during a Redis outage (a list per key, newest first).
    tests/test_rate_limit_store.py holds each layout."""
    if isinstance(storage, SQLiteStorage):
        storage.release(key)
    elif isinstance(storage, RedisStorage):
        storage.get_connection().lpop(storage.prefixed_key(key))
    elif isinstance(storage, MemoryStorage):
        with storage.locks[key]:
            if entries := storage.events.get(key):
                entries.pop(0)
    else:
        raise TypeError(f"cannot give an entry back to {type(storage).__name__}")
