"""speedups/sqlite_text.py: a UTCTimestampText column read on SQLite is what `isoformat()` of the
aware datetime writes, rearranged from the stored text or the long way alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text, type_coerce

from db import UTCDateTime, UTCTimestampText
from speedups import sqlite_text


@pytest.fixture(params=["rearranged", "parsed"])
def stamps(request, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'stamps.db'}")
    if request.param == "rearranged":
        assert sqlite_text.install_on(engine.dialect)
    table = Table("stamps", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    table.metadata.create_all(engine)
    yield engine, table
    engine.dispose()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC),  # isoformat leaves zero microseconds out
        datetime(2026, 11, 30, 1, 2, 3, 1, tzinfo=UTC),
        datetime(2026, 11, 30, 1, 2, 3, 100000, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        None,
    ],
)
def test_read_as_text_it_is_what_isoformat_writes(stamps, value) -> None:
    engine, table = stamps
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=value))
        read = conn.execute(select(type_coerce(table.c.at, UTCTimestampText()))).scalar_one()
    assert read == (None if value is None else value.isoformat())


@pytest.mark.parametrize("stored", ["2026-11-30 01:02:03", "2026-11-30 01:02:03.5", "2026-11-30"])
def test_text_in_another_form_reads_as_text_the_long_way(stamps, stored) -> None:
    engine, table = stamps
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO stamps (id, at) VALUES (1, :at)"), {"at": stored})
        as_text = conn.execute(select(type_coerce(table.c.at, UTCTimestampText()))).scalar_one()
        as_datetime = conn.execute(select(table.c.at)).scalar_one()
    assert as_text == as_datetime.isoformat()


def test_only_the_engines_of_apps_with_the_speedup(tmp_path) -> None:
    from sqlalchemy.dialects.mysql import pymysql

    from tests.conftest import make_app

    stored = text("SELECT '2026-11-30 01:02:03.000000' AS at").columns(at=UTCTimestampText())
    for setting in ("on", "off"):
        app = make_app(f"sqlite:///{tmp_path / f'{setting}.db'}", SPEEDUPS=setting)
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
            with engine.connect() as conn:
                assert conn.execute(stored).scalar_one() == "2026-11-30T01:02:03+00:00"
            assert (engine.dialect in sqlite_text._INSTALLED) is (setting == "on")
            engine.dispose()
    assert sqlite_text.install_on(pymysql.dialect()) is False
