"""Reading a row in order to change it: the row stays as read until the transaction ends.

An edit or a delete reads the row (to check who may write it, and If-Match), then writes it.
Another writer slipping in between would either be overwritten unseen or, with a write
conditional on the version read, make this one fail although nobody sent a condition. So the
read takes the row's write lock, and concurrent writers of one row queue behind each other:
without If-Match each one succeeds in turn (the last write wins); with If-Match the tag is
checked against the row that is then written, atomically.

- MariaDB/MySQL: `SELECT … FOR UPDATE`, a locking read. It also reads the latest committed row,
  where a plain read would see the transaction's snapshot, taken at its first read (the token
  check), possibly older than the lock.
- SQLite has no row locks, and a plain read takes no lock: the transaction becomes the
  database's writer with a first statement that writes nothing new, `UPDATE … SET updated_at =
  updated_at … RETURNING` the columns asked for, so that it is one statement on both databases.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Executable, Row, Table, bindparam, select, update

from db import connection
from models.counters import untouched


@functools.cache
def _statement(table: Table, columns: tuple[str, ...], dialect: str) -> Executable:
    wanted = [table.c[name] for name in columns]
    where = table.c.id == bindparam("row_id")
    if dialect == "sqlite":
        # The onupdate columns (updated_at) set to themselves: no value changes, nothing moves.
        return update(table).where(where).values(untouched(table)).returning(*wanted)
    return select(*wanted).where(where).with_for_update()


def lock_row(table: Table, row_id: int, *columns: str) -> Row[Any] | None:
    """The row `row_id` of `table` (the named columns), locked for writing until the end of the
    request's transaction; None when there is no such row."""
    conn = connection()
    return conn.execute(_statement(table, columns, conn.dialect.name), {"row_id": row_id}).one_or_none()
