"""Speed-ups of webargs' parser and of the pagination headers, per app.

resources/blueprint.py and resources/pagination.py build on these; each does what webargs or
flask-smorest does unless its speed-up is installed on the current app:

- `query_cache`: a list endpoint is called again and again with the same query string
  (`page_size=20`), and parsing it (webargs, then marshmallow) is a pure function of the schema
  and the string. The parser remembers the results of the last REMEMBERED_QUERIES distinct
  (schema, query string) pairs of the app, for query strings of up to LONGEST_REMEMBERED_QUERY
  bytes, and hands out a copy each time (views set fields on the pagination parameters). A query
  string that fails validation is never remembered: it raises its 422 again. The prefix of a
  page's Link URLs, a pure function of the request's URL, is remembered alike (`remembered`).
- `pagination_dict`: X-Pagination's fields as a plain dict, instead of a dump through a
  `PaginationMetadataSchema` that flask-smorest makes anew for every request (the same fields in
  the same order).
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import marshmallow as ma
from flask import Flask, current_app
from flask_smorest.pagination import PaginationMixin
from webargs.flaskparser import FlaskParser

import speedups

REMEMBERED_QUERIES = 512
# Longer query strings are parsed each time: unknown parameters are ignored, so padded strings
# would otherwise each hold an entry as large as the request line allows.
LONGEST_REMEMBERED_QUERY = 256
PARSED_QUERIES = "speedups.parsed_queries"
F = TypeVar("F", bound=Callable[..., Any])


class ParsedQueries:
    """An app's remembered query-string parses, least recently used first."""

    def __init__(self) -> None:
        self.results: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.lock = threading.Lock()  # threaded servers share one app

    def get(self, key: tuple[Any, ...]) -> Any:
        with self.lock:
            parsed = self.results.get(key)
            if parsed is not None:
                self.results.move_to_end(key)
        return None if parsed is None else copy.copy(parsed)

    def put(self, key: tuple[Any, ...], parsed: Any) -> None:
        with self.lock:
            self.results[key] = copy.copy(parsed)
            if len(self.results) > REMEMBERED_QUERIES:
                self.results.popitem(last=False)


def install_query_cache(app: Flask) -> bool:
    app.extensions[PARSED_QUERIES] = ParsedQueries()
    return True


def install_pagination_dict(app: Flask) -> bool:
    """Only where flask-smorest still builds the fields with the method this mixin replaces."""
    method = getattr(PaginationMixin, "_make_pagination_metadata", None)
    code = getattr(method, "__code__", None)
    if code is None or code.co_varnames[:3] != ("page", "page_size", "item_count"):
        speedups.log.warning("flask-smorest changed: X-Pagination is dumped through its schema (slower).")
        return False
    return True


class Parser(FlaskParser):
    """webargs' FlaskParser, with the current app's `query_cache`."""

    def parse(self, argmap: Any, req: Any = None, *, location: str | None = None, **kwargs: Any) -> Any:
        remembered: ParsedQueries | None = current_app.extensions.get(PARSED_QUERIES)
        if remembered is None or location != "query" or kwargs.get("validate") is not None:
            return super().parse(argmap, req, location=location, **kwargs)
        if not (
            isinstance(argmap, ma.Schema) or (isinstance(argmap, type) and issubclass(argmap, ma.Schema))
        ):
            return super().parse(argmap, req, location=location, **kwargs)
        req = req if req is not None else self.get_default_request()
        if len(req.query_string) > LONGEST_REMEMBERED_QUERY:
            return super().parse(argmap, req, location=location, **kwargs)
        key = (argmap, req.query_string, kwargs.get("unknown"), kwargs.get("error_status_code"))
        parsed = remembered.get(key)
        if parsed is None:
            parsed = super().parse(argmap, req, location=location, **kwargs)
            remembered.put(key, parsed)
        return parsed


def remembers(query_string: bytes) -> bool:
    """Whether the current app remembers what is computed from this query string."""
    return PARSED_QUERIES in current_app.extensions and len(query_string) <= LONGEST_REMEMBERED_QUERY


def remembered(pure: F) -> F:
    """`pure` (a pure function of a request's URL), remembering its last REMEMBERED_QUERIES answers;
    call it only where `remembers` the request's query string."""
    return functools.lru_cache(maxsize=REMEMBERED_QUERIES)(pure)  # type: ignore[return-value]


def pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
    """X-Pagination's offset fields: flask-smorest's, built as a plain dict where `pagination_dict`
    is installed (tests/speedups/test_smorest.py compares the two)."""
    if not speedups.installed("pagination_dict"):
        return PaginationMixin._make_pagination_metadata(page, page_size, item_count)  # type: ignore[no-any-return]
    if item_count == 0:
        return {"total": 0, "total_pages": 0}
    last_page = (item_count - 1) // page_size + 1
    metadata = {"total": item_count, "total_pages": last_page, "first_page": 1, "last_page": last_page}
    if page <= last_page:
        metadata["page"] = page
        if page > 1:
            metadata["previous_page"] = page - 1
        if page < last_page:
            metadata["next_page"] = page + 1
    return metadata
