"""Database handle, declarative base and column types shared by every model."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, g
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    TypeDecorator,
    event,
    make_url,
    text,
    type_coerce,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, SessionTransaction
from sqlalchemy.types import TypeEngine

from speedups import sqlite_text

if TYPE_CHECKING:
    from alembic.migration import MigrationContext

# Stable constraint names: Alembic can only alter or drop what it can name, on MySQL and SQLite alike.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# utf8mb4: MySQL's "utf8" has no 4-byte characters (emoji). With the database down, a request
# should answer 503 quickly rather than hang: PyMySQL waits 10 s for a TCP connection by default,
# and forever for a server that accepted one but never answers (its read timeout also bounds the
# handshake). 30 s is gunicorn's worker timeout: no request could use a longer wait anyway.
MYSQL_CONNECT_ARGS = {"charset": "utf8mb4", "connect_timeout": 3, "read_timeout": 30, "write_timeout": 30}


def engine_options(database_url: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """SQLAlchemy engine options for a database URL, under any given explicitly.

    On a server database, a pooled connection the server has closed (restart, wait_timeout) is
    replaced before use instead of failing the request, and none is kept past common idle limits.
    On MySQL the connection is utf8mb4 (4-byte characters: emoji) and gives up quickly on a dead
    server, unless the URL says otherwise (e.g. `?read_timeout=3600` for a long migration).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return dict(overrides or {})
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_recycle": 280}
    if url.get_backend_name() == "mysql":
        options["connect_args"] = {k: v for k, v in MYSQL_CONNECT_ARGS.items() if k not in url.query}
    return {**options, **(overrides or {})}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Where an app context keeps its connection (see `connection`).
_CONNECTION = "_board_api_connection"


def connection() -> Connection:
    """The app context's database connection: taken from the pool at its first statement and
    given back when the context (a request, a CLI command) ends.

    The app's own SQL runs here directly, and `db.session` runs here too (`RequestSession`), so a
    request that never needs the ORM never builds a Session: about a tenth of a simple read's
    CPU. One connection per context also means one transaction: what Core statements and the ORM
    do in a request is committed or rolled back together.
    """
    conn: Connection | None = g.get(_CONNECTION)
    if conn is None:
        conn = db.engine.connect()
        setattr(g, _CONNECTION, conn)
    return conn


class RequestSession(FlaskSession):
    """`db.session`, on its app context's `connection()`.

    It takes over the transaction the context's Core statements may have begun on that connection
    (join_transaction_mode "control_fully"), so `db.session.commit()` and `rollback()` end that
    work too, whether or not the ORM itself was used. One database: SQLALCHEMY_BINDS is not used.
    The connection is the current context's: ORM objects stay in the context that loaded them
    (only tests and scripts nest app contexts).
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        return bind if bind is not None else connection()

    def begin(self, nested: bool = False) -> SessionTransaction:
        """Also `begin_nested()`: the transaction or savepoint takes the connection at once, so
        that it holds the Core statements that follow (a savepoint would otherwise start only at
        the session's first ORM statement, and `with db.session.begin():` commit no Core work)."""
        transaction = super().begin(nested)
        self.connection()
        return transaction

    def commit(self) -> None:
        if g.get(_CONNECTION) is not None:
            self.connection()  # join the transaction Core statements began, so that it is committed
        super().commit()

    def rollback(self) -> None:
        super().rollback()
        _rollback_connection()  # Core statements' transaction, if the session never joined it


def commit() -> None:
    """Commit the context's work: through `db.session` when the context has one (it may hold ORM
    changes to flush), else on the connection, without building a Session just to commit."""
    if db.session.registry.has():
        db.session.commit()
        return
    conn: Connection | None = g.get(_CONNECTION)
    if conn is not None:  # else nothing was done: no connection is taken to commit nothing
        conn.commit()


def rollback() -> None:
    """Roll the context's work back (opening no connection when there is none)."""
    if db.session.registry.has():
        db.session.rollback()
    else:
        _rollback_connection()


# Callables to run once the context's transaction has committed (see `after_commit`).
_AFTER_COMMIT = "_board_api_after_commit"
# Set by `keep_on_refusal`: the unit of work commits even though the request ends in a refusal.
_KEEP_ON_REFUSAL = "_board_api_keep_on_refusal"


@contextmanager
def transaction() -> Iterator[None]:
    """The unit of work of a request (or a CLI command): everything done inside is committed
    together when the block ends, or rolled back together when it raises, whatever the error.

    The view layer owns it (resources/blueprint.py runs every view inside one); services and
    models only run statements. What must happen only once the work is durable (a mail) is
    handed to `after_commit`; what a refusal itself must leave behind, to `keep_on_refusal`.
    """
    try:
        yield  # the connection is taken at the first statement: a view that runs none takes none
    except Exception as error:
        g.pop(_AFTER_COMMIT, None)
        # A database error leaves nothing worth keeping (the statement itself may have failed).
        if g.pop(_KEEP_ON_REFUSAL, False) and not isinstance(error, SQLAlchemyError):
            commit()
        else:
            rollback()
        raise
    except BaseException:
        g.pop(_AFTER_COMMIT, None)
        g.pop(_KEEP_ON_REFUSAL, None)
        rollback()
        raise
    g.pop(_KEEP_ON_REFUSAL, None)
    commit()
    for callback in g.pop(_AFTER_COMMIT, ()):
        callback()


@contextmanager
def savepoint() -> Iterator[None]:
    """Undo one step alone: a statement that fails inside (a duplicate key, say) rolls back to
    here, and the rest of the request's work stays. The exception still propagates."""
    with db.session.begin_nested():
        yield


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` after the current unit of work commits; never when it rolls back."""
    g.setdefault(_AFTER_COMMIT, []).append(callback)


def keep_on_refusal() -> None:
    """Commit the current unit of work's statements even if the request then ends in a refusal
    (an exception other than a database error), instead of rolling them back: for what the
    refusal must leave behind, such as the revoked login of a replayed refresh token. Its
    `after_commit` callbacks still run only for a request that succeeds."""
    setattr(g, _KEEP_ON_REFUSAL, True)


def _rollback_connection() -> None:
    """Roll back the transaction on the context's connection, if any: also one left inactive by
    an invalidated connection (a lost server), which must be rolled back before the next use."""
    conn: Connection | None = g.get(_CONNECTION)
    if conn is not None:
        conn.rollback()  # no transaction (the session's own rollback ended it): nothing happens


# Objects stay usable after commit: a view commits, then serialises what it changed.
db = SQLAlchemy(
    model_class=Base,
    session_options={
        "expire_on_commit": False,
        "class_": RequestSession,
        "join_transaction_mode": "control_fully",
    },
)


def init_database(app: Flask) -> None:
    """Flask-SQLAlchemy, and the context's connection closed when the context ends."""
    db.init_app(app)
    app.teardown_appcontext(lambda _: release())


def release() -> None:
    """End the context's database work: roll back what was not committed, give the connection
    back to the pool and drop the session. The context ends so; a job that goes on without the
    database (a mail to send) calls it itself. The next statement takes a connection again."""
    conn: Connection | None = g.pop(_CONNECTION, None)
    try:
        if conn is not None:
            conn.close()  # returned to the pool even when its rollback fails (then invalidated)
    finally:
        try:
            db.session.remove()  # its transaction, if any, was the connection's: no I/O left
        except BaseException:
            db.session.registry.clear()
            raise


def exact_string(length: int) -> String:
    """A string column compared byte for byte on every database, for values the app normalises
    itself (lower-cased usernames and emails). MySQL's default utf8mb4_unicode_ci would also fold
    accents and more ('josé' = 'jose', 'straße' = 'strasse'): unique would mean something else there
    than on SQLite."""
    return String(length).with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive (MySQL DATETIME has no zone) with microseconds."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect):  # type: ignore[no-untyped-def]
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class UTCTimestampText(UTCDateTime):
    """A UTCDateTime column read as the text that its JSON shows (`datetime.isoformat()` of the
    aware value), for read paths that only serialize it: `UTCTimestampText.of(column)`. On SQLite
    the stored text can be rearranged instead of parsed and formatted again (speedups/sqlite_text.py)."""

    cache_ok = True

    @classmethod
    def of(cls, column: Any) -> Any:
        """`column` (a UTCDateTime) selected as this text, under its own name."""
        return type_coerce(column, cls()).label(column.key)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        parse = super().result_processor(dialect, coltype)

        def iso(value: Any) -> str | None:
            if value is None:
                return None
            return (parse(value) if parse else value).isoformat()  # type: ignore[no-any-return]

        return sqlite_text.text_processor(dialect, iso) or iso


def compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Alembic's type comparison (`compare_type`), plus what it misses on MySQL.

    Alembic compares type arguments only when both sides have them: a DATETIME column passes for
    UTCDateTime's DATETIME(6) (microseconds would be cut off, and an ETag computed before a write
    would differ from one computed after it), and a column without exact_string's collation passes
    too. True: they differ; None: let Alembic decide.
    """
    dialect = context.dialect
    if isinstance(metadata_type, TypeDecorator):
        expected = metadata_type.load_dialect_impl(dialect)
    else:
        expected = metadata_type.dialect_impl(dialect)
    fsp_differs = (
        hasattr(inspected_type, "fsp")
        and hasattr(expected, "fsp")
        and ((inspected_type.fsp or 0) != (expected.fsp or 0))
    )
    collation = getattr(expected, "collation", None) if dialect.name in ("mysql", "mariadb") else None
    collation_differs = bool(collation) and _mysql_collation(context, inspected_column) != collation
    return True if fsp_differs or collation_differs else None


def _mysql_collation(context: MigrationContext, column: Column[Any]) -> str | None:
    """The column's actual collation (reflection leaves out one equal to the table's default)."""
    query = text(
        "SELECT collation_name FROM information_schema.columns"
        " WHERE table_schema = DATABASE() AND table_name = :table AND column_name = :column"
    )
    return context.connection.scalar(query, {"table": column.table.name, "column": column.name})


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite enforces foreign keys only when asked; WAL lets readers run beside a writer.

    synchronous=NORMAL is SQLite's recommended pairing with WAL: a commit no longer waits for an
    fsync (4 ms each on the benchmark machine, which capped writes at ~250/s), yet the database
    can never be corrupted and a crash of the app loses nothing; only an OS crash or power cut
    may lose the last commits. Production on MySQL/MariaDB keeps that server's own settings.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
