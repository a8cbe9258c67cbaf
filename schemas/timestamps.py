"""Timestamps and ids in responses, documented as the API writes them."""

from datetime import datetime
from typing import Any

from marshmallow import fields

# ISO 8601 with microseconds and the UTC offset, as `datetime.isoformat()` writes it: a reader of
# the document sees the same text the API sends (Swagger UI would otherwise invent `…Z`).
TIMESTAMP_EXAMPLE = "2026-11-21T20:27:49.538146+00:00"
# Ids are positive 64-bit integers (the range the path converter accepts).
ID_DOC = {"example": 1, "format": "int64", "minimum": 1, "maximum": 2**63 - 1}


def timestamp(**kwargs: Any) -> fields.DateTime:
    """A response timestamp: always present, in UTC."""
    metadata = {"example": TIMESTAMP_EXAMPLE, **kwargs.pop("metadata", {})}
    return fields.DateTime(dump_only=True, required=True, metadata=metadata, **kwargs)


def iso(value: datetime | str) -> str:
    """A timestamp as the API writes it: read paths select it as that text already
    (db.UTCTimestampText), writes have the datetime."""
    return value if value.__class__ is str else value.isoformat()  # type: ignore[union-attr]
