"""Offset pagination that stays cheap: one COUNT and one page query, whatever the page number."""

import json
from typing import Any

from sqlalchemy import Select

from db import db
from services.pages import Page, PageRequest

# CONTRACT §5: page_size defaults to 20, at most 100 (flask-smorest's own default is 10).
PAGE_SIZES = {"page_size": 20, "max_page_size": 100}

# The header's value is JSON text, so it is documented as a string (see app.BoardApi).
PAGINATION_HEADER_DOC = {
    "description": "Pagination metadata as JSON: total, total_pages, first_page, last_page, page, "
    "and previous_page / next_page when they exist.",
    "schema": {
        "type": "string",
        "example": json.dumps(
            {"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2}
        ),
    },
}


def paginate(stmt: Select[Any], count_stmt: Select[Any], pagination: Any) -> list[Any]:
    """Rows of `stmt` for the requested page; `count_stmt` counts them all for the X-Pagination
    header (without the joins that only serve to load each row's relations).

    A page past the end is empty without asking the database: a huge page number must not
    reach SQL as an OFFSET it cannot hold.
    """
    return page_of(stmt, db.session.scalar(count_stmt) or 0, pagination)


def page_of(stmt: Select[Any], total: int, pagination: Any) -> list[Any]:
    """Rows of `stmt` for the requested page, when the total is already known (a counter column)."""
    pagination.item_count = total
    offset = pagination.first_item
    if offset >= total:
        return []
    page = stmt.limit(pagination.page_size).offset(offset)
    return list(db.session.execute(page).scalars().unique())


def respond_page(page: Page, pagination: Any) -> list[dict[str, Any]]:
    """A service's Page as the view's answer: its items for the body, its total (and the next
    keyset, if any) for the X-Pagination and Link headers."""
    pagination.item_count = page.total
    if page.next_before is not None:
        pagination.next_before = page.next_before
    return page.items


def page_request(pagination: Any) -> PageRequest:
    """What a list service takes, from flask-smorest's pagination parameters."""
    return PageRequest(page=pagination.page, page_size=pagination.page_size)
