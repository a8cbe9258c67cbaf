"""Flask's JSON responses through orjson, byte for byte what Flask's own provider writes.

Flask's DefaultJSONProvider runs the standard library's encoder (sorted keys, ASCII only, compact
separators in responses): a tenth of the CPU of a page of boards. orjson writes the same bytes
about ten times faster whenever they are plain ASCII, which covers this API's bodies; anything
else is handed back to Flask's provider, so no client ever sees a different byte:
- text with characters outside printable ASCII (Flask escapes them as \\uXXXX, orjson does not),
  and DEL, which Flask escapes too;
- values orjson refuses or writes otherwise: integers beyond 64 bits, keys that are not strings,
  datetimes, dataclasses, anything Flask's `default` converts (they pass through to it, or raise
  and fall back);
- pretty-printed output (debug mode) and any call with arguments of its own.

Request bodies are read by `load_json` (webargs' parser and `request.get_json()` alike): orjson
too, with the standard library's json module deciding whenever orjson might not answer exactly as
it would (see `load_json`), and a JSON object with a key given twice refused (`DuplicateKeyError`)
instead of keeping the last value silently.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

COMPACT = {"separators": (",", ":")}  # what DefaultJSONProvider.response passes outside debug
OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice: which value was meant cannot be known."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Duplicate key {key!r} in a JSON object.")
        self.key = key


class LoneSurrogateError(ValueError):
    """Decoded text holds an escaped lone surrogate ("\\ud800"): no encoding can store it."""


def load_json(data: bytes) -> Any:
    """A request body's JSON: exactly what the standard library's `json.loads` reads, except that
    a duplicated key raises DuplicateKeyError, and text no encoding can store LoneSurrogateError.

    orjson reads it first (several times faster); the standard library reads it again when orjson
    refuses the text (so its errors, and what it alone accepts, stay as they were), when the text
    holds a float (orjson reads an integer beyond 64 bits as one; the standard library keeps it an
    integer), and when the text has more colons than the objects read have keys: every key is
    followed by one colon, so equal counts prove that no key was given twice, and only a body with
    colons inside its strings, or a duplicate, takes the slower way.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _load_json_exactly(data)
    keys = _count_keys_unless_float(value)
    if keys is not None and data.count(b":") == keys:
        return value
    return _load_json_exactly(data)


def _count_keys_unless_float(value: Any) -> int | None:
    """The number of keys in all the objects of a decoded document, or None when it holds a float."""
    keys = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if item.__class__ is dict:
            keys += len(item)
            pending.extend(item.values())
        elif item.__class__ is list:
            pending.extend(item)
        elif item.__class__ is float:
            return None
    return keys


def _load_json_exactly(data: bytes) -> Any:
    """The standard library's reading (as webargs did it), with the two refusals of load_json."""
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


class OrjsonProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """`request.get_json()` reads bodies as webargs' parser does (load_json)."""
        if kwargs:
            return super().loads(s, **kwargs)
        return load_json(s.encode() if isinstance(s, str) else s)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs == COMPACT:
            try:
                encoded = orjson.dumps(obj, default=self._refuse, option=OPTIONS)
            except TypeError:  # orjson.JSONEncodeError: Flask's encoder decides, as before
                encoded = None
            if encoded is not None and encoded.isascii() and b"\x7f" not in encoded:
                return encoded.decode()
        return super().dumps(obj, **kwargs)

    @staticmethod
    def _refuse(value: Any) -> Any:
        """Every type orjson does not write itself goes back to Flask's encoder, whole."""
        raise TypeError
