"""The project's Blueprint: JSON request bodies are checked before they are parsed.

webargs reads a missing body, or a body that is not JSON, as `{}`: a PATCH without a body
would then succeed as a no-op and a form-encoded POST would fail on "missing" fields. The
OpenAPI document promises a required JSON body, so say so: 415 for a body that is not JSON,
422 for a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import flask_smorest
from flask import request
from flask_smorest import abort

BODY_REQUIRED = "A JSON request body is required."


def check_json_body(required: bool) -> None:
    body = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH; webargs reads the cache
    if body and not request.is_json:
        abort(415, message="Send the request body as JSON, with 'Content-Type: application/json'.")
    if required and not body:
        abort(422, message=BODY_REQUIRED, errors={"json": {"_schema": [BODY_REQUIRED]}})


class Blueprint(flask_smorest.Blueprint):
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
