"""How a counter shown in lists moves (comment_count, reply_count, like_count, …).

A counter is a column of the row it counts for, moved by an atomic `UPDATE … SET n = n + k` in
the same transaction as the row that moves it: never read-modify-write in Python (two writers
would both read 3 and both write 4), never COUNT(*) per row of a page.

The statements are built once, at import, with bind parameters (building a statement costs more
than running it), and run on the request's connection (db.connection), outside the ORM's unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, ColumnElement, Update, bindparam, case, update
from sqlalchemy.orm import InstrumentedAttribute

from db import connection


def untouched(table: Any) -> dict[str, Any]:
    """Columns with an `onupdate` default (updated_at) keep their value: a counter moved by other
    people (a comment, a like) is not an edit of the row, and must not look like one."""
    return {column.name: column for column in table.c if column.onupdate is not None}


def counter_update(
    counter: InstrumentedAttribute[int] | Column[int], by: int, *conditions: ColumnElement[bool]
) -> Update:
    """`UPDATE t SET counter = counter + by WHERE id = :row_id AND conditions`, built once.

    `conditions` make the move conditional (e.g. "only on a comment that is not deleted"): the
    row is then checked and moved in one statement, under its row lock, whatever races with it.
    """
    column = _column(counter)
    return counter_moves(column, by).where(column.table.c.id == bindparam("row_id"), *conditions)


def counter_moves(counter: InstrumentedAttribute[int] | Column[int], by: int | ColumnElement[int]) -> Update:
    """`UPDATE t SET counter = counter + by`, for the caller's WHERE; updated_at untouched. `by`
    may be an expression of the row (move_many's CASE on the id)."""
    column = _column(counter)
    return update(column.table).values({column.name: column + by, **untouched(column.table)})


def _column(counter: InstrumentedAttribute[int] | Column[int]) -> Column[int]:
    if isinstance(counter, Column):
        return counter
    return counter.class_.__table__.c[counter.key]  # type: ignore[no-any-return]


def move(statement: Update, row_id: int, **params: Any) -> bool:
    """Run a `counter_update` statement on one row; False when no row matched (gone, or its
    conditions were false), and nothing moved."""
    result = connection().execute(statement, {"row_id": row_id, **params})
    return result.rowcount == 1


def move_many(counter: InstrumentedAttribute[int], amounts: Mapping[int, int]) -> None:
    """Add `amounts[id]` to the counter of each row, in one statement (CASE on the id): the cost of
    deleting a user's comments does not grow with the number of boards they commented on."""
    if not amounts:
        return
    ids = _column(counter).table.c.id
    delta = case({row_id: amount for row_id, amount in amounts.items()}, value=ids, else_=0)
    connection().execute(counter_moves(counter, delta).where(ids.in_(sorted(amounts))))
