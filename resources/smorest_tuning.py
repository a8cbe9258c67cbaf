"""Speed-ups for flask-smorest, found by profiling the hot endpoints (docs/performance.md).

- `SchemaReusingParser`: webargs otherwise builds a new instance of an argument schema class
  (a deep copy of every field) for every request, for `@blp.arguments(SomeSchema)` and for the
  pagination parameters alike. Schemas keep no per-request state: one instance serves all.
- `SchemaReusingParser` also remembers what it parsed out of the last 512 distinct (schema,
  query string) pairs it saw (per parser), for query strings of up to 256 bytes: a list endpoint is called again and again with the same `page_size=20`,
  and parsing it (webargs, then marshmallow) was a tenth of a page of boards with a token.
  Parsing a query string is a pure function of the schema and the string; a copy of the
  result is handed out each time (views set fields on the pagination parameters). Query
  strings that fail validation are not remembered: each raises its 422 again.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any

import marshmallow as ma
from webargs.flaskparser import FlaskParser

REMEMBERED_QUERIES = 512
# Longer query strings are parsed each time: unknown parameters are ignored, so padded strings
# would otherwise each hold an entry as large as the request line allows.
LONGEST_REMEMBERED_QUERY = 256


class SchemaReusingParser(FlaskParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._instances: dict[type[ma.Schema], ma.Schema] = {}
        self._parsed_queries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._parsed_lock = threading.Lock()  # threaded servers share one parser

    def parse(self, argmap: Any, req: Any = None, *, location: str | None = None, **kwargs: Any) -> Any:
        schema_like = isinstance(argmap, ma.Schema) or (
            isinstance(argmap, type) and issubclass(argmap, ma.Schema)
        )
        if location != "query" or not schema_like or kwargs.get("validate") is not None:
            return super().parse(argmap, req, location=location, **kwargs)
        req = req if req is not None else self.get_default_request()
        if len(req.query_string) > LONGEST_REMEMBERED_QUERY:
            return super().parse(argmap, req, location=location, **kwargs)
        key = (argmap, req.query_string, kwargs.get("unknown"), kwargs.get("error_status_code"))
        with self._parsed_lock:
            parsed = self._parsed_queries.get(key)
            if parsed is not None:
                self._parsed_queries.move_to_end(key)
        if parsed is not None:
            return copy.copy(parsed)
        parsed = super().parse(argmap, req, location=location, **kwargs)
        with self._parsed_lock:
            self._parsed_queries[key] = copy.copy(parsed)
            if len(self._parsed_queries) > REMEMBERED_QUERIES:
                self._parsed_queries.popitem(last=False)
        return parsed

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)
