"""SQLite's stored timestamps turned into their JSON text without a datetime (db.UTCTimestampText).

SQLite stores a UTCDateTime as text ('2026-11-30 01:02:03.456789'). Read through the column type,
SQLAlchemy parses it with a regular expression, db.UTCDateTime attaches the zone, and a read path
that only serialises the value formats it back with `isoformat()`; a page of boards does that
twice a board, a page of comments with replies more. Here the text SQLAlchemy writes is
rearranged into what `isoformat()` gives ('2026-11-30T01:02:03.456789+00:00'); any other text
takes the long way.

It applies to the engines (their dialects) of the apps it is installed on.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.engine import Dialect

_INSTALLED: weakref.WeakSet[Dialect] = weakref.WeakSet()


def install(app: Flask) -> bool:
    with app.app_context():
        dialect = app.extensions["sqlalchemy"].engine.dialect
    return install_on(dialect)


def install_on(dialect: Dialect) -> bool:
    """Rearrange the timestamps read through `dialect`, if it is SQLite's."""
    if dialect.name != "sqlite":
        return False
    _INSTALLED.add(dialect)
    return True


def text_processor(dialect: Dialect, iso: Callable[[Any], str | None]) -> Callable[[Any], str | None] | None:
    """The result processor of a UTCTimestampText on `dialect`; None where this is not installed.
    `iso` reads any text other than SQLAlchemy's own the long way."""
    if dialect not in _INSTALLED:
        return None

    def rearrange(value: str | None) -> str | None:
        if value is not None and len(value) == 26 and value[10] == " " and value[19] == ".":
            if value.endswith(".000000"):  # isoformat leaves zero microseconds out
                return f"{value[:10]}T{value[11:19]}+00:00"
            return f"{value[:10]}T{value[11:]}+00:00"
        return iso(value)

    return rearrange
