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
"""

from __future__ import annotations

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


class OrjsonProvider(DefaultJSONProvider):
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
