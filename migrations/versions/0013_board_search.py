"""board search: a full-text index of boards' titles and contents, kept by triggers

SQLite: an FTS5 table with the trigram tokenizer over boards (external content). MariaDB/MySQL:
a Mroonga table with a bigram full-text index (the Mroonga storage engine must be installed:
docs/production.md). Both are filled from the boards already there. models/board_search.py holds
the same statements for create_all, and says why each is as it is.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 06:00:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FTS_INSERT = "INSERT INTO board_fts (rowid, title, content) VALUES (NEW.id, NEW.title, NEW.content);"
FTS_DELETE = (
    "INSERT INTO board_fts (board_fts, rowid, title, content) VALUES ('delete', OLD.id, OLD.title, OLD.content);"
)
SQLITE = [
    "CREATE VIRTUAL TABLE board_fts USING fts5(title, content, content='boards', "
    "content_rowid='id', columnsize=0, tokenize='trigram case_sensitive 0')",
    f"CREATE TRIGGER trg_boards_fts_insert AFTER INSERT ON boards BEGIN {FTS_INSERT} END",
    f"CREATE TRIGGER trg_boards_fts_delete AFTER DELETE ON boards BEGIN {FTS_DELETE} END",
    "CREATE TRIGGER trg_boards_fts_update AFTER UPDATE OF title, content ON boards "
    f"BEGIN {FTS_DELETE} {FTS_INSERT} END",
    "INSERT INTO board_fts (board_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER trg_boards_fts_update",
    "DROP TRIGGER trg_boards_fts_delete",
    "DROP TRIGGER trg_boards_fts_insert",
    "DROP TABLE board_fts",
]

MROONGA_COPY = "REPLACE INTO board_search (id, title, content) VALUES (NEW.id, LOWER(NEW.title), LOWER(NEW.content));"
MYSQL = [
    "CREATE TABLE board_search (id INTEGER NOT NULL, title VARCHAR(200) NOT NULL, "
    "content MEDIUMTEXT NOT NULL, PRIMARY KEY (id), "
    "FULLTEXT INDEX ft_board_search_title_content (title, content) "
    "COMMENT 'tokenizer \"TokenBigramSplitSymbolAlphaDigit\", normalizer \"NormalizerAuto\"'"
    ") ENGINE=Mroonga DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
    "CREATE TRIGGER trg_boards_search_insert AFTER INSERT ON boards "
    f"FOR EACH ROW BEGIN {MROONGA_COPY} END",
    "CREATE TRIGGER trg_boards_search_update AFTER UPDATE ON boards FOR EACH ROW "
    "BEGIN IF NOT (BINARY NEW.title <=> BINARY OLD.title AND BINARY NEW.content <=> BINARY OLD.content) "
    f"THEN {MROONGA_COPY} END IF; END",
    "CREATE TRIGGER trg_boards_search_delete AFTER DELETE ON boards "
    "FOR EACH ROW BEGIN DELETE FROM board_search WHERE id = OLD.id; END",
    "INSERT INTO board_search (id, title, content) SELECT id, LOWER(title), LOWER(content) FROM boards",
]
MYSQL_DOWN = [
    "DROP TRIGGER trg_boards_search_delete",
    "DROP TRIGGER trg_boards_search_update",
    "DROP TRIGGER trg_boards_search_insert",
    "DROP TABLE board_search",
]
MROONGA_MISSING = (
    "The search index needs MariaDB's Mroonga storage engine: install Debian's mariadb-plugin-mroonga "
    "(or run INSTALL SONAME 'ha_mroonga' as an administrator), then migrate again (docs/production.md)."
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        statements = SQLITE
    else:
        support = bind.execute(
            sa.text("SELECT support FROM information_schema.engines WHERE engine = 'Mroonga'")
        ).scalar()
        if support not in ("YES", "DEFAULT"):
            raise RuntimeError(MROONGA_MISSING)
        statements = MYSQL
    for statement in statements:
        op.execute(statement)


def downgrade():
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else MYSQL_DOWN:
        op.execute(statement)
