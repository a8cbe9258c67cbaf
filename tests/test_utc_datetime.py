"""UTCDateTime: aware UTC datetimes in, the same out (on SQLite, from the text it stores)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from db import UTCDateTime


@pytest.fixture
def stamps(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'stamps.db'}")
    table = Table("stamps", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    table.metadata.create_all(engine)
    yield engine, table
    engine.dispose()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC),  # no microseconds
        datetime(2026, 11, 30, 10, 2, 3, 7, tzinfo=timezone(timedelta(hours=9))),  # stored as UTC
        datetime(1, 1, 1, tzinfo=UTC),
        None,
    ],
)
def test_a_written_datetime_reads_back_equal_and_in_utc(stamps, value) -> None:
    engine, table = stamps
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=value))
        read = conn.execute(select(table.c.at)).scalar_one()
    assert read == value
    if value is not None:
        assert read.tzinfo is UTC
        assert read.isoformat() == value.astimezone(UTC).isoformat()


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-11-30 01:02:03", datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)),  # CURRENT_TIMESTAMP's form
        ("2026-11-30 01:02:03.000100", datetime(2026, 11, 30, 1, 2, 3, 100, tzinfo=UTC)),
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),  # a date alone: the general parser
    ],
)
def test_text_written_by_hand_or_by_sql_reads_too(stamps, stored, expected) -> None:
    engine, table = stamps
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO stamps (id, at) VALUES (1, :at)"), {"at": stored})
        assert conn.execute(select(table.c.at)).scalar_one() == expected
