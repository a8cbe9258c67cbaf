"""The paging query parameters (`page`, `page_size`) and the X-Pagination header's fields.

flask-smorest's own parameters schema reads `page` with marshmallow's lenient Integer; these are
strict query integers like every other (schemas/numbers.py).
"""

from __future__ import annotations

import functools
from typing import Any

from flask_smorest.pagination import PaginationParameters
from marshmallow import EXCLUDE, Schema, post_load, validate

from schemas.numbers import QueryInteger


@functools.cache
def pagination_parameters_schema(default_size: int, max_size: int) -> type[Schema]:
    """The schema of `page` and `page_size` (default `default_size`, at most `max_size`),
    loading flask-smorest's PaginationParameters."""

    class PaginationParametersSchema(Schema):
        class Meta:
            unknown = EXCLUDE

        page = QueryInteger(
            load_default=1, validate=validate.Range(min=1), metadata={"description": "Page number, from 1"}
        )
        page_size = QueryInteger(
            load_default=default_size,
            validate=validate.Range(min=1, max=max_size),
            metadata={"description": "Items per page"},
        )

        @post_load
        def make_paginator(self, data: dict[str, Any], **kwargs: Any) -> PaginationParameters:
            return PaginationParameters(**data)

    return PaginationParametersSchema


def _count(description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "description": description}


# The X-Pagination header's JSON object, as a JSON Schema: offset pages carry the first five
# (and previous_page / next_page when they exist), keyset pages `page_size` and `next_before`.
PAGINATION_METADATA = {
    "type": "object",
    "properties": {
        "total": _count("Items in the whole list (offset pages only)"),
        "total_pages": _count("Pages in the whole list (offset pages only)"),
        "first_page": _count("1, when the list is not empty"),
        "last_page": _count("The last page's number, when the list is not empty"),
        "page": _count("This page's number, when it is within the list"),
        "previous_page": _count("The page before this one, when there is one"),
        "next_page": _count("The page after this one, when there is one"),
        "page_size": _count("Items per page (keyset pages, with `before`)"),
        "next_before": {
            "type": "integer",
            "format": "int64",
            "description": "Pass it as `before` for the next page, newest first, when there is one "
            "(GET /boards and GET /boards/feed)",
        },
    },
    "additionalProperties": False,
    "example": {"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2},
}
