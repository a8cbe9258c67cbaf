"""`json`: Flask's JSON through orjson, byte for byte what the app's own provider writes and reads.

Flask's DefaultJSONProvider runs the standard library's encoder (sorted keys, ASCII only, compact
separators in responses), a large share of the CPU of a page of boards. orjson writes the same
bytes many times faster whenever they are plain ASCII, which covers this API's bodies; anything
else is handed back to Flask's provider, so no client ever sees a different byte:
- text with characters outside printable ASCII (Flask escapes them as \\uXXXX, orjson does not),
  and DEL, which Flask escapes too;
- values orjson refuses or writes otherwise: integers beyond 64 bits, keys that are not strings,
  datetimes, dataclasses, anything Flask's `default` converts (they pass through to it, or raise
  and fall back);
- pretty-printed output (debug mode) and any call with arguments of its own.

Request bodies are read by orjson too, with the app's own reader (resources/json_bodies.py, which
refuses a key given twice) deciding whenever orjson might not answer exactly as it would (see
`OrjsonProvider.load_body`). Only orjson's public interface is used: no guard is needed.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask

from resources.json_bodies import JSONProvider, load_json

COMPACT = {"separators": (",", ":")}  # what DefaultJSONProvider.response passes outside debug
OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def install(app: Flask) -> bool:
    app.json = OrjsonProvider(app)
    return True


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


class OrjsonProvider(JSONProvider):
    def load_body(self, data: bytes) -> Any:
        """What `load_json` answers, orjson reading first (several times faster).

        The standard library reads it again when orjson refuses the text (so its errors, and what
        it alone accepts, stay as they were), when the text holds a float (orjson reads an integer
        beyond 64 bits as one; the standard library keeps it an integer), and when the text has
        more colons than the objects read have keys: every key is followed by one colon, so equal
        counts prove that no key was given twice, and only a body with colons inside its strings,
        or a duplicate, takes the slower way."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return load_json(data)
        keys = _count_keys_unless_float(value)
        if keys is not None and data.count(b":") == keys:
            return value
        return load_json(data)

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
