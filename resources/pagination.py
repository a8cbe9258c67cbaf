"""Offset pagination that stays cheap: one COUNT and one page query, whatever the page number."""

from typing import Any

from sqlalchemy import Select

from db import db


def paginate(stmt: Select[Any], count_stmt: Select[Any], pagination: Any) -> list[Any]:
    """Rows of `stmt` for the requested page; `count_stmt` counts them all for the X-Pagination
    header (without the joins that only serve to load each row's relations).

    A page past the end is empty without asking the database: a huge page number must not
    reach SQL as an OFFSET it cannot hold.
    """
    total = db.session.scalar(count_stmt) or 0
    pagination.item_count = total
    offset = pagination.first_item
    if offset >= total:
        return []
    page = stmt.limit(pagination.page_size).offset(offset)
    return list(db.session.execute(page).scalars().unique())
