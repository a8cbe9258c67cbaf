"""The project's Blueprint: flask-smorest's, with a JSON body parser that refuses what it cannot use.

Python's json module accepts two kinds of body that the rest of the stack cannot handle, and each
surfaced as a 500: nesting deeper than the interpreter's recursion limit (RecursionError while
decoding), and `\\ud800`-style escapes of lone surrogates, which decode to strings that are not
valid Unicode and cannot be encoded for the database or the password hasher. Both are now a 400
"Invalid JSON body.", like any other unparseable body.
"""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import Request
from flask_smorest import abort
from marshmallow import Schema
from webargs.flaskparser import FlaskParser

INVALID_JSON = {"json": ["Invalid JSON body."]}


def holds_lone_surrogate(value: Any) -> bool:
    """Whether any string (key or value) in decoded JSON is not encodable Unicode. Iterative: the
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


class StrictJSONParser(FlaskParser):
    def load_json(self, req: Request, schema: Schema) -> Any:
        try:
            data = super().load_json(req, schema)
        except RecursionError:
            abort(400, message="The JSON body is nested too deeply.", errors=INVALID_JSON)
        if holds_lone_surrogate(data):
            abort(
                400,
                message="The JSON body holds text that is not valid Unicode (a lone surrogate escape).",
                errors=INVALID_JSON,
            )
        return data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJSONParser()
