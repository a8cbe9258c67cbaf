"""Where revocations live: the database table, or Redis when `REDIS_URL` is set.

Only blocklist.py uses these; it picks one store at app start (`app.extensions["blocklist"]`).
Both answer the same primitives, keyed by token id (jti) or token family id, each entry
kept until a given expiry:

- `revoke(entries)`: remember each key until its expiry;
- `revoke_once(key, expires_at)`: the same for one key, atomically: False when it was revoked
  already (two requests racing to use one refresh token: only one may win);
- `revoked_among(keys)`: which of these keys are revoked, in one round trip;
- `user_and_revoked(user_id, keys)`: the token's user row (TOKEN_USER_COLUMNS, None when gone)
  and `revoked_among(keys)`, read together: one statement for the database store;
- `prune(now)`: forget entries past their expiry; how many went.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Select, bindparam, delete, exists, func, insert, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db import connection
from models import RevokedToken
from models.user import TOKEN_USER_BY_ID, TOKEN_USER_COLUMNS


def redis_options(timeout: float = 2) -> dict[str, Any]:
    """Settings of every Redis client of the app (revocations, rate limits). One immediate retry
    re-dials a pooled connection that broke unnoticed (a restart behind a proxy, a failover); a
    real outage fails within the timeouts, not after redis-py's default ten retries with backoff.
    """
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout, "retry": Retry(NoBackoff(), 1)}


class RevocationStore(Protocol):
    def revoke(self, entries: Mapping[str, datetime]) -> None: ...

    def revoke_once(self, key: str, expires_at: datetime) -> bool: ...

    def revoked_among(self, keys: list[str]) -> set[str]: ...

    def user_and_revoked(self, user_id: int, keys: list[str]) -> tuple[Sequence[Any] | None, set[str]]: ...

    def prune(self, now: datetime) -> int: ...


@functools.cache
def _lookup_statement(arity: int) -> Select[Any]:
    """Built once per number of keys: building a statement costs more than running it."""
    keys = [bindparam(f"k{i}") for i in range(arity)]
    return select(RevokedToken.jti).where(RevokedToken.jti.in_(keys))


@functools.cache
def _user_and_revoked_statement(arity: int) -> Select[Any]:
    """The token user's row plus one EXISTS flag per key: one indexed lookup each, one round trip."""
    flags = [exists().where(RevokedToken.jti == bindparam(f"k{i}")) for i in range(arity)]
    return TOKEN_USER_BY_ID.add_columns(*flags)


def user_row(user_id: int) -> Sequence[Any] | None:
    return connection().execute(TOKEN_USER_BY_ID, {"user_id": user_id}).first()


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    """Insert an entry, or push an existing one's expiry later (never earlier): one statement per
    dialect, built once. Two requests revoking one key at once both succeed."""
    table = RevokedToken.__table__
    if dialect == "sqlite":
        statement = sqlite_insert(table)
        return statement.on_conflict_do_update(
            index_elements=[table.c.jti],
            set_={"expires_at": func.max(table.c.expires_at, statement.excluded.expires_at)},
        )
    statement = mysql_insert(table)
    return statement.on_duplicate_key_update(
        expires_at=func.greatest(table.c.expires_at, statement.inserted.expires_at)
    )


# A key revoked already inserts nothing (rowcount 0): the primary key decides between racers.
INSERT_ONCE = (
    insert(RevokedToken)
    .prefix_with("OR IGNORE", dialect="sqlite")
    .prefix_with("IGNORE", dialect="mysql")
    .prefix_with("IGNORE", dialect="mariadb")
)
PRUNE = delete(RevokedToken).where(RevokedToken.expires_at < bindparam("now"))


class DatabaseStore:
    """The `revoked_tokens` table: one indexed primary-key lookup per check. Its writes are part
    of the caller's unit of work."""

    def revoke(self, entries: Mapping[str, datetime]) -> None:
        """Revoking twice is harmless; the later expiry wins."""
        conn = connection()
        rows = [{"jti": key, "expires_at": expires_at} for key, expires_at in entries.items()]
        conn.execute(_upsert_statement(conn.dialect.name), rows)

    def revoke_once(self, key: str, expires_at: datetime) -> bool:
        return connection().execute(INSERT_ONCE, {"jti": key, "expires_at": expires_at}).rowcount == 1

    def revoked_among(self, keys: list[str]) -> set[str]:
        params = {f"k{i}": key for i, key in enumerate(keys)}
        rows = connection().execute(_lookup_statement(len(keys)), params)
        return set(rows.scalars())

    def user_and_revoked(self, user_id: int, keys: list[str]) -> tuple[Sequence[Any] | None, set[str]]:
        params: dict[str, Any] = {f"k{i}": key for i, key in enumerate(keys)}
        params["user_id"] = user_id
        row = connection().execute(_user_and_revoked_statement(len(keys)), params).first()
        if row is None:
            # The user is gone (rare): the token may still be revoked, which is answered first.
            return None, self.revoked_among(keys)
        width = len(TOKEN_USER_COLUMNS)
        return row[:width], {key for key, flag in zip(keys, row[width:], strict=True) if flag}

    def prune(self, now: datetime) -> int:
        return connection().execute(PRUNE, {"now": now}).rowcount


class RedisStore:
    """One Redis key per entry, with a TTL of the entry's remaining life: Redis forgets it the
    moment the tokens it covers would have expired anyway, so there is nothing to prune.

    The TTL is computed from this machine's clock (the one that judges `exp`), not set as an
    absolute time, so a Redis server whose clock drifts cannot shorten a revocation.
    A Redis outage raises redis.ConnectionError, which the app answers with a 503: never is a
    token let through because its revocation could not be checked.
    """

    PREFIX = "board-api:revoked:"

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, **redis_options())  # with a connection pool

    def revoke(self, entries: Mapping[str, datetime]) -> None:
        now = time.time()
        pipe = self.client.pipeline(transaction=False)
        for key, expires_at in entries.items():
            ttl = math.ceil(expires_at.timestamp() - now)
            if ttl > 0:  # an already expired token needs no entry
                pipe.set(self.PREFIX + key, b"1", ex=ttl)
        if len(pipe):
            pipe.execute()

    def revoke_once(self, key: str, expires_at: datetime) -> bool:
        ttl = max(1, math.ceil(expires_at.timestamp() - time.time()))
        return bool(self.client.set(self.PREFIX + key, b"1", ex=ttl, nx=True))

    def revoked_among(self, keys: list[str]) -> set[str]:
        values = self.client.mget([self.PREFIX + key for key in keys])
        return {key for key, value in zip(keys, values, strict=True) if value is not None}

    def user_and_revoked(self, user_id: int, keys: list[str]) -> tuple[Sequence[Any] | None, set[str]]:
        """Two servers, two round trips: the user row from the database, one MGET from Redis."""
        return user_row(user_id), self.revoked_among(keys)

    def prune(self, now: datetime) -> int:
        return 0  # the TTLs already did it

    def ttl(self, key: str) -> int:
        """Seconds until Redis forgets `key` (-2 when it holds no such key)."""
        return int(self.client.ttl(self.PREFIX + key))
