"""The project's Blueprint: flask-smorest's, with the rules for request bodies, the pagination of
resources/pagination.py, and the parser speed-up of speedups/smorest.py.

- Every unusable body is refused before a view sees it: 415 for a body that is not JSON, 422 for a
  missing required one, and 422 for JSON that cannot be read or used, or that gives a key twice.
  webargs on its own reads a missing or non-JSON body as `{}` (a PATCH without a body would
  succeed as a no-op), answers 400 for broken JSON and keeps the last of duplicated keys.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

import flask_smorest
from flask import request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import missing
from webargs.flaskparser import is_json_request

from db import transaction
from resources.json_bodies import DuplicateKeyError, read_body
from resources.pagination import PagingMixin
from speedups import smorest

BODY_REQUIRED = "A JSON request body is required."
NOT_JSON = "Send the request body as JSON, with 'Content-Type: application/json'."


def check_json_body(required: bool) -> None:
    body = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH; webargs reads the cache
    if body and not request.is_json:
        abort(415, message=NOT_JSON)
    if required and not body:
        abort(422, message=BODY_REQUIRED, errors={"json": {"_schema": [BODY_REQUIRED]}})


def duplicate_key_message(key: str) -> str:
    shown = key if len(key) <= 50 else key[:50] + "…"  # the key is the client's: not all of it
    return f"Duplicate key {shown!r} in a JSON object: give each key once."


class Parser(smorest.Parser):
    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return missing
        return read_body(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error: Exception, req: Any, *args: Any, **kwargs: Any) -> NoReturn:
        # webargs answers 400; this API answers every unusable body alike: 422 with field errors.
        abort(422, errors={"json": {"_schema": ["Invalid JSON body."]}})

    def load_json(self, req: Any, schema: Any) -> Any:
        # A key given twice: which value was meant cannot be known. Then three kinds of body that
        # webargs lets through to a 500, each an unreadable body like any other: nesting deeper
        # than the recursion limit (RecursionError while decoding); an integer of more digits
        # than Python converts (ValueError: "Exceeds the limit (4300 digits) for integer string
        # conversion"); and escaped lone surrogates ("\ud800"), which decode to text that cannot
        # be encoded for the database or the password hasher (resources/json_bodies.py).
        try:
            return super().load_json(req, schema)
        except DuplicateKeyError as duplicate:
            abort(422, errors={"json": {"_schema": [duplicate_key_message(duplicate.key)]}})
        except (RecursionError, ValueError) as error:
            self._handle_invalid_json_error(error, req)


def unit_of_work(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a view inside the request's one transaction: committed when the view returns, rolled
    back when it raises (an abort, a service's refusal, a bug)."""

    @wraps(view)
    def in_transaction(*args: Any, **kwargs: Any) -> Any:
        with transaction():
            return view(*args, **kwargs)

    return in_transaction


class Blueprint(PagingMixin, flask_smorest.Blueprint):
    """flask-smorest's Blueprint, with this API's pagination (resources/pagination.py); every view
    it registers runs in the request's unit of work (`unit_of_work`)."""

    ARGUMENTS_PARSER = Parser()
    PAGINATION_ARGUMENTS_PARSER = Parser()

    def add_url_rule(
        self, rule: str, endpoint: str | None = None, view_func: Any = None, **kwargs: Any
    ) -> None:
        if isinstance(view_func, type) and issubclass(view_func, MethodView):
            if unit_of_work not in view_func.decorators:
                view_func.decorators = [*view_func.decorators, unit_of_work]
        elif view_func is not None:
            view_func = unit_of_work(view_func)
        super().add_url_rule(rule, endpoint, view_func, **kwargs)

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
