"""The Blueprint every resource uses: flask-smorest's, with one rule for unreadable bodies."""

from typing import Any, NoReturn

import flask_smorest
from flask_smorest import abort
from webargs.flaskparser import FlaskParser


class Parser(FlaskParser):
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
    ARGUMENTS_PARSER = Parser()
