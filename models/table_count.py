"""Row counts kept exact by database triggers, so that a list's total needs no COUNT(*).

COUNT(*) reads every row (or every index entry): 1,000,000 boards take tens of milliseconds on
SQLite, far more than the page itself. A trigger-maintained count is exact whoever writes
(the API, `flask seed`, a cascade on SQLite, an operator's SQL) and costs one indexed UPDATE per
inserted or deleted row, inside the writer's own transaction.
"""

from sqlalchemy import DDL, BigInteger, String, Table, event
from sqlalchemy.orm import Mapped, mapped_column

from db import db


class TableCount(db.Model):
    __tablename__ = "table_counts"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_count: Mapped[int] = mapped_column(BigInteger)


def trigger_statements(table: str, unless_hidden: bool = False) -> list[str]:
    """The same SQL creates the triggers on SQLite and MySQL/MariaDB (the migrations hold a copy).

    `unless_hidden`: the count is of visible rows. Moderation moves it when it hides or restores
    a row (services/moderation.py), so deleting a hidden row moves nothing; rows are always
    inserted visible."""
    statements = []
    for event_name, sign in (("insert", "+"), ("delete", "-")):
        condition = " AND OLD.hidden = 0" if unless_hidden and event_name == "delete" else ""
        statements.append(
            f"CREATE TRIGGER trg_{table}_count_{event_name} AFTER {event_name.upper()} ON {table} FOR EACH ROW "
            f"BEGIN UPDATE table_counts SET row_count = row_count {sign} 1 WHERE table_name = '{table}'"
            f"{condition}; END"
        )
    return statements


def keep_count(table: Table, unless_hidden: bool = False) -> None:
    """Count `table`'s rows (its visible ones, `unless_hidden`) in table_counts, for databases
    made by `create_all` (tests); migrations create the same triggers."""
    event.listen(
        TableCount.__table__,
        "after_create",
        DDL(f"INSERT INTO table_counts (table_name, row_count) VALUES ('{table.name}', 0)"),
    )
    for statement in trigger_statements(table.name, unless_hidden):
        event.listen(table, "after_create", DDL(statement))
