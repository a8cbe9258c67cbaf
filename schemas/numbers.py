"""Integer inputs, strict, for every integer a client sends: in a JSON body and in a query string.

marshmallow's Integer takes whatever Python's `int()` takes: in a body `1.5` (truncated to 1),
`"1"` and `1.0`; in a query string `" 7 "`, `1_0` (10), U+0661 (an Arabic-Indic one), `+7`. A client
that sends those made a mistake, and a reading it did not mean (a message to user 1 for `1.5`)
is worse than a 422. So a body integer is a JSON integer (not a number with a fraction or an
exponent, not a string, not a boolean), and a query integer is ASCII digits and nothing else.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields, validate

# Ids fit a signed 64-bit column: a larger number is a validation error, not an SQL overflow.
MAX_ID = 2**63 - 1
ID_RANGE = validate.Range(min=1, max=MAX_ID)


class BodyInteger(fields.Integer):
    """An integer field of a JSON body: JSON integers only."""

    def __init__(self, **kwargs: Any) -> None:
        # strict: only int (bool aside, which Number refuses itself), never a float or a string.
        super().__init__(strict=True, **kwargs)


class QueryInteger(fields.Integer):
    """An integer query parameter: ASCII digits only (no sign, space, underscore or other
    script's digits), so positive by construction."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "Not a valid integer: digits 0-9 only."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-any-return]


def body_id(**kwargs: Any) -> BodyInteger:
    """An id in a JSON body (recipient_id, parent_id)."""
    metadata = {"format": "int64", **kwargs.pop("metadata", {})}
    return BodyInteger(validate=ID_RANGE, metadata=metadata, **kwargs)


def query_id(**kwargs: Any) -> QueryInteger:
    """An id in a query string (author_id, before, with)."""
    metadata = {"format": "int64", **kwargs.pop("metadata", {})}
    return QueryInteger(validate=ID_RANGE, metadata=metadata, **kwargs)
