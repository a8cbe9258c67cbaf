"""How the app reads JSON request bodies: as the standard library's `json.loads` does, except that
an object giving a key twice is refused (`DuplicateKeyError`: which value was meant cannot be
known) and so is text that no encoding can store (`LoneSurrogateError`, an escaped "\\ud800").

`JSONProvider` is the app's JSON provider (`app.json`): `request.get_json()` and webargs' parser
(resources/blueprint.py) both read bodies through its `loads`. The `json` speed-up replaces it with
a subclass that reads and writes faster and answers the same (speedups/json_provider.py).
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from flask.json.provider import DefaultJSONProvider


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice: which value was meant cannot be known."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Duplicate key {key!r} in a JSON object.")
        self.key = key


class LoneSurrogateError(ValueError):
    """Decoded text holds an escaped lone surrogate ("\\ud800"): no encoding can store it."""


def read_body(data: bytes) -> Any:
    """A request body's JSON, read by the current app's provider (the same value either way)."""
    return current_app.json.loads(data)


def load_json(data: bytes) -> Any:
    """The standard library's reading (as webargs does it), with the two refusals."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:  # as webargs reports it: an unreadable body
        raise json.JSONDecodeError(
            f"Bytes decoding error : {exc.reason}", str(exc.object), exc.start
        ) from exc
    value = json.loads(text, object_pairs_hook=_refuse_duplicates)
    if holds_lone_surrogate(value):
        raise LoneSurrogateError("lone surrogate")
    return value


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return obj


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


class JSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Request bodies (`request.get_json()`, webargs) as `load_json` reads them."""
        if kwargs:
            return super().loads(s, **kwargs)
        return self.load_body(s.encode() if isinstance(s, str) else s)

    def load_body(self, data: bytes) -> Any:
        return load_json(data)
