"""Paginated lists: the parameters, the X-Pagination and Link headers, and cheap page queries.

Every list answers with two headers that say the same thing:
- `X-Pagination`, a JSON object: `total`, `total_pages`, `first_page`, `last_page`, `page`,
  `previous_page`, `next_page` (those that exist) for an offset page; `page_size` and
  `next_before` for a keyset page (`before`, on GET /boards and the feed);
- `Link` (RFC 8288): absolute URLs of the first, previous, next and last pages (`rel="first"`,
  `"prev"`, `"next"`, `"last"`) where X-Pagination has those pages, or of the next keyset page;
  each keeps the request's other query parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Response, jsonify, request
from flask_smorest.utils import unpack_tuple_response
from marshmallow import Schema
from sqlalchemy import Select
from werkzeug.sansio.utils import get_current_url

from db import db
from schemas.pagination import PAGINATION_METADATA, pagination_parameters_schema
from services.pages import Page, PageRequest
from speedups import smorest

# page_size defaults to 20, at most 100 (flask-smorest's own default is 10).
PAGE_SIZES = {"page_size": 20, "max_page_size": 100}

# Header values are text on the wire: OpenAPI 3.0 describes X-Pagination's JSON text by its
# media type and the object's schema (`content`), not as a header `schema` of type object, which
# would mean the "simple" style `total,42,total_pages,3` (and fail every validator that reads it).
PAGINATION_HEADER_DOC = {
    "description": "Pagination metadata, a JSON object: total, total_pages, first_page, last_page, "
    "page, and previous_page / next_page when they exist; page_size and next_before instead on a "
    "keyset page (`before`).",
    "content": {"application/json": {"schema": PAGINATION_METADATA}},
}
LINK_HEADER_DOC = {
    "description": 'Links to other pages (RFC 8288), absolute URLs: rel="first", "prev", "next", '
    '"last" where those pages exist (a keyset page: "next"), with the other query parameters kept.',
    "schema": {
        "type": "string",
        "example": '<http://127.0.0.1:5000/boards?page_size=20&page=1>; rel="first", '
        '<http://127.0.0.1:5000/boards?page_size=20&page=2>; rel="next", '
        '<http://127.0.0.1:5000/boards?page_size=20&page=3>; rel="last"',
    },
}
# Offset pages: each rel and the X-Pagination field that names its page.
OFFSET_RELS = (
    ("first", "first_page"),
    ("prev", "previous_page"),
    ("next", "next_page"),
    ("last", "last_page"),
)


def page_links(metadata: dict[str, Any], keyset: bool) -> str | None:
    """The Link header of a page with this X-Pagination metadata, None when it links nowhere."""
    if keyset:
        name, targets = "before", [("next", metadata["next_before"])] if "next_before" in metadata else []
    else:
        name, targets = "page", [(rel, metadata[field]) for rel, field in OFFSET_RELS if field in metadata]
    if not targets:
        return None
    req = request._get_current_object()  # type: ignore[attr-defined]  # once, not per attribute
    where = (req.scheme, req.host, req.root_path, req.path, req.query_string, name)
    prefix = (_remembered_link_prefix if smorest.remembers(req.query_string) else _link_prefix)(*where)
    return ", ".join(f'<{prefix}{value}>; rel="{rel}"' for rel, value in targets)


def _link_prefix(scheme: str, host: str, root_path: str, path: str, query: bytes, name: str) -> str:
    """`<this page's absolute URL>?<the other parameters>&<name>=`, the parameters read as Werkzeug
    reads them (request.args) and written again, so that a link holds nothing but a well-formed
    URL."""
    base_url = get_current_url(scheme, host, root_path, path)
    pairs = parse_qsl(query.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    kept = urlencode([(key, value) for key, value in pairs if key != name])
    return f"{base_url}?{kept}&{name}=" if kept else f"{base_url}?{name}="


# A list is asked for again and again at the same URL: its links' prefix is a pure function of
# it, remembered like the parsed parameters (the `query_cache` speed-up).
_remembered_link_prefix = smorest.remembered(_link_prefix)


class PagingMixin:
    """flask-smorest's pagination inside the view (`pagination_parameters`), with strict
    parameters (schemas/pagination.py), flask-smorest's X-Pagination metadata (built faster by the
    `pagination_dict` speed-up) and the Link header.

    A view sets `pagination.next_before` to add that field to an offset page's X-Pagination,
    or `pagination.keyset` (a dict) to send instead of the offset fields, for a keyset page."""

    PAGINATION_HEADER_NAME = "X-Pagination"
    PAGINATION_ARGUMENTS_PARSER: Any

    def paginate(self, *, page_size: int, max_page_size: int) -> Callable[[Callable[..., Any]], Any]:
        schema = pagination_parameters_schema(page_size, max_page_size)
        parser = self.PAGINATION_ARGUMENTS_PARSER

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                page_params = parser.parse(schema, request, location="query")
                result, status, headers = unpack_tuple_response(
                    func(*args, pagination_parameters=page_params, **kwargs)
                )
                return result, status, self._pagination_headers(page_params, headers)

            # What flask-smorest's _prepare_pagination_doc documents: the parameters, the 422.
            wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))  # type: ignore[attr-defined]
            wrapper._apidoc["pagination"] = {  # type: ignore[attr-defined]
                "parameters": {"in": "query", "schema": schema},
                "response": {parser.DEFAULT_VALIDATION_STATUS: "UNPROCESSABLE_ENTITY"},
            }
            return wrapper

        return decorator

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
        return smorest.pagination_metadata(page, page_size, item_count)

    def _pagination_headers(self, page_params: Any, headers: Any) -> Any:
        metadata = getattr(page_params, "keyset", None)
        keyset = metadata is not None
        if metadata is None:
            metadata = self._make_pagination_metadata(
                page_params.page, page_params.page_size, page_params.item_count
            )
            if (next_before := getattr(page_params, "next_before", None)) is not None:
                metadata["next_before"] = next_before
        headers = {} if headers is None else headers
        headers[self.PAGINATION_HEADER_NAME] = json.dumps(metadata)
        if (links := page_links(metadata, keyset)) is not None:
            headers["Link"] = links
        return headers

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        resp_doc.setdefault("headers", {}).update({self.PAGINATION_HEADER_NAME: "PAGINATION", "Link": "LINK"})


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


def page_request(pagination: Any, before: int | None = None) -> PageRequest:
    """What a list service takes: the parsed paging parameters (and `before`, on keyset lists)."""
    return PageRequest(pagination.page, pagination.page_size, before)


def respond_page(page: Page, pagination: Any, schema: Schema | None = None) -> Response:
    """A list service's page as the response: its items as the JSON array (dumped by `schema`
    when they are not JSON-ready: datetimes, say); the total (or, on a keyset page, the page
    size) and `next_before` for the X-Pagination and Link headers."""
    if page.total is None:
        pagination.item_count = len(page.items)  # flask-smorest insists; a keyset page has no total
        pagination.keyset = {"page_size": pagination.page_size}
        if page.next_before is not None:
            pagination.keyset["next_before"] = page.next_before
    else:
        pagination.item_count = page.total
        if page.next_before is not None:
            pagination.next_before = page.next_before
    return jsonify(page.items if schema is None else schema.dump(page.items))
