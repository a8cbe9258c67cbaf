"""The full-text index of boards' titles and contents, kept by triggers on `boards`.

It lives outside the models' metadata: SQLite's FTS5 virtual table and MariaDB's Mroonga table are
objects Alembic cannot describe, so `flask db check` skips them by name (`include_name`), and
`create_all` (tests) makes them with the DDL below, a copy of migration 0013's.

- SQLite: an FTS5 table over `boards` (external content: it stores only the index, and reads
  the text from `boards`) with the trigram tokenizer, which folds case and indexes every three
  characters, so that any substring of three characters or more is found through it. The
  triggers run inside the writer's transaction: a rollback takes the index change back too, and
  a cascade from a user's deletion fires them as well.
- MariaDB: a Mroonga table holding a copy of each board's text, with a bigram full-text index
  (TokenBigramSplitSymbolAlphaDigit splits Latin letters, digits and symbols into bigrams too,
  NormalizerAuto folds width and Latin case). The copy is stored through LOWER(), the server's
  own case mapping, since this Groonga's normalizer leaves Greek and Cyrillic capitals as they
  are; the query's terms go through LOWER() too. InnoDB's own FULLTEXT finds words and word prefixes only:
  `sql` misses `PostgreSQL`, `학과` misses `컴퓨터학과는` (docs/performance.md). Mroonga tables are not
  transactional: a trigger's write stays even if the transaction that fired it rolls back
  (docs/production.md says what that means and how to rebuild).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Column, Integer, MetaData, String, Table, Text, event

from models.board import Board

FTS_TABLE = "board_fts"
MROONGA_TABLE = "board_search"
# FTS5 keeps the index in these shadow tables of board_fts (no _content: the text stays in boards,
# no _docsize: columnsize=0, since nothing ranks by length).
SQLITE_TABLES = (FTS_TABLE, f"{FTS_TABLE}_data", f"{FTS_TABLE}_idx", f"{FTS_TABLE}_config")
SEARCH_TABLES = frozenset((*SQLITE_TABLES, MROONGA_TABLE))

# A separate metadata: these tables are for building queries, never for create_all or Alembic.
search_metadata = MetaData()
board_fts = Table(FTS_TABLE, search_metadata, Column("rowid", Integer), Column("title", Text))
board_search = Table(
    MROONGA_TABLE,
    search_metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200)),
    Column("content", Text),
)

_FTS_INSERT = f"INSERT INTO {FTS_TABLE} (rowid, title, content) VALUES (NEW.id, NEW.title, NEW.content);"
# External content: FTS5 removes a row's entries given the text it indexed, which is OLD's.
_FTS_DELETE = (
    f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, content) "
    "VALUES ('delete', OLD.id, OLD.title, OLD.content);"
)
SQLITE_DDL = {
    FTS_TABLE: f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, content, content='boards', "
    "content_rowid='id', columnsize=0, tokenize='trigram case_sensitive 0')",
    "trg_boards_fts_insert": f"CREATE TRIGGER trg_boards_fts_insert AFTER INSERT ON boards BEGIN {_FTS_INSERT} END",
    "trg_boards_fts_delete": f"CREATE TRIGGER trg_boards_fts_delete AFTER DELETE ON boards BEGIN {_FTS_DELETE} END",
    # OF title, content: likes, scraps and comments move counters of boards, not their text.
    "trg_boards_fts_update": "CREATE TRIGGER trg_boards_fts_update AFTER UPDATE OF title, content ON boards "
    f"BEGIN {_FTS_DELETE} {_FTS_INSERT} END",
}

MROONGA_PARSER = 'tokenizer "TokenBigramSplitSymbolAlphaDigit", normalizer "NormalizerAuto"'
_MROONGA_COPY = f"REPLACE INTO {MROONGA_TABLE} (id, title, content) VALUES (NEW.id, LOWER(NEW.title), LOWER(NEW.content));"
MYSQL_DDL = {
    MROONGA_TABLE: f"CREATE TABLE {MROONGA_TABLE} (id INTEGER NOT NULL, title VARCHAR(200) NOT NULL, "
    "content MEDIUMTEXT NOT NULL, PRIMARY KEY (id), "
    f"FULLTEXT INDEX ft_{MROONGA_TABLE}_title_content (title, content) COMMENT '{MROONGA_PARSER}'"
    ") ENGINE=Mroonga DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
    # REPLACE: a row left by an insert that was rolled back (Mroonga keeps it) is overwritten.
    "trg_boards_search_insert": "CREATE TRIGGER trg_boards_search_insert AFTER INSERT ON boards "
    f"FOR EACH ROW BEGIN {_MROONGA_COPY} END",
    # Counter updates (likes, comments) fire it too: only a change of the text, byte for byte
    # (the collation would call `e` and `é` equal), rewrites the copy.
    "trg_boards_search_update": "CREATE TRIGGER trg_boards_search_update AFTER UPDATE ON boards FOR EACH ROW "
    "BEGIN IF NOT (BINARY NEW.title <=> BINARY OLD.title AND BINARY NEW.content <=> BINARY OLD.content) "
    f"THEN {_MROONGA_COPY} END IF; END",
    "trg_boards_search_delete": "CREATE TRIGGER trg_boards_search_delete AFTER DELETE ON boards "
    f"FOR EACH ROW BEGIN DELETE FROM {MROONGA_TABLE} WHERE id = OLD.id; END",
}


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic's filter for `flask db check` and autogenerate: the search tables are made by raw
    DDL (migration 0013, `create_all` through the listeners below), never by the models."""
    return not (type_ == "table" and name in SEARCH_TABLES)


for _statement in SQLITE_DDL.values():
    event.listen(Board.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in MYSQL_DDL.values():
    for _dialect in ("mysql", "mariadb"):
        event.listen(Board.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
# drop_all drops boards (and its triggers); the index tables are not in its metadata.
event.listen(
    Board.__table__, "before_drop", DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}").execute_if(dialect="sqlite")
)
for _dialect in ("mysql", "mariadb"):
    event.listen(
        Board.__table__,
        "before_drop",
        DDL(f"DROP TABLE IF EXISTS {MROONGA_TABLE}").execute_if(dialect=_dialect),
    )
