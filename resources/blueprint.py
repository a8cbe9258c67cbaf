"""The project's Blueprint: flask-smorest's, with the rules for request bodies and the tuning of
the hot endpoints (profiled; see README, Performance).

- Every unusable body is refused before a view sees it: 415 for a body that is not JSON, 422 for a
  missing required one, and 422 for JSON that cannot be read or used. webargs on its own reads a
  missing or non-JSON body as `{}` (a PATCH without a body would succeed as a no-op) and answers
  400 for broken JSON.
- One schema instance per argument schema class: webargs otherwise builds a new instance (a deep
  copy of every field) for every request. Schemas hold no per-request state.
- Pagination metadata built as a plain dict instead of being dumped through a schema made anew for
  every request, and able to carry keyset paging fields (`next_before`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

import flask_smorest
import marshmallow as ma
from flask import request
from flask_smorest import abort
from webargs.flaskparser import FlaskParser

BODY_REQUIRED = "A JSON request body is required."


def check_json_body(required: bool) -> None:
    body = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH; webargs reads the cache
    if body and not request.is_json:
        abort(415, message="Send the request body as JSON, with 'Content-Type: application/json'.")
    if required and not body:
        abort(422, message=BODY_REQUIRED, errors={"json": {"_schema": [BODY_REQUIRED]}})


class Parser(FlaskParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._instances: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def _handle_invalid_json_error(self, error: Exception, req: Any, *args: Any, **kwargs: Any) -> NoReturn:
        # webargs answers 400; this API answers every unusable body alike: 422 with field errors.
        abort(422, errors={"json": {"_schema": ["Invalid JSON body."]}})

    def load_json(self, req: Any, schema: Any) -> Any:
        # Python's json accepts two kinds of body that nothing after it can use, and each was a
        # 500: nesting deeper than the recursion limit (RecursionError while decoding), and
        # escaped lone surrogates ("\ud800"), which decode to text that cannot be encoded for the
        # database or the password hasher. Both are unreadable bodies like any other.
        try:
            data = super().load_json(req, schema)
        except RecursionError as error:
            self._handle_invalid_json_error(error, req)
        if holds_lone_surrogate(data):
            self._handle_invalid_json_error(ValueError("lone surrogate"), req)
        return data


def holds_lone_surrogate(value: Any) -> bool:
    """Whether any string (key or value) of decoded JSON is not encodable Unicode. Iterative: the
    document may be nested nearly as deep as the recursion limit."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class Blueprint(flask_smorest.Blueprint):
    """A view sets `pagination.next_before` to add that field to an offset page's X-Pagination,
    or `pagination.keyset` (a dict) to send instead of the offset fields, for a keyset page."""

    ARGUMENTS_PARSER = Parser()
    PAGINATION_ARGUMENTS_PARSER = Parser()

    def arguments(self, schema: Any, *, location: str = "json", required: bool = True, **kwargs: Any) -> Any:
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json":
            return parse

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            parsed = parse(func)

            @wraps(parsed)
            def checked(*args: Any, **kw: Any) -> Any:
                check_json_body(required)
                return parsed(*args, **kw)

            return checked

        return decorator

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
        """The same fields as flask-smorest's (a test compares them)."""
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
