"""Offset pagination that stays cheap: one COUNT and one page query, whatever the page number."""

import json
from typing import Any

import flask_smorest
from sqlalchemy import Select

from db import db


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, whose X-Pagination header can carry keyset paging fields.

    A view sets `pagination.next_before` to add that field to an offset page's header, or
    `pagination.keyset` (a dict) to send it instead of the offset fields, for a keyset page.
    """

    def _set_pagination_metadata(self, page_params: Any, result: Any, headers: Any) -> tuple[Any, Any]:
        metadata = getattr(page_params, "keyset", None)
        if metadata is None:
            metadata = self._make_pagination_metadata(
                page_params.page, page_params.page_size, page_params.item_count
            )
            if (next_before := getattr(page_params, "next_before", None)) is not None:
                metadata["next_before"] = next_before
        headers = {} if headers is None else headers
        headers[self.PAGINATION_HEADER_NAME] = json.dumps(metadata)
        return result, headers


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
