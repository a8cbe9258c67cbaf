"""Text fields that refuse control characters, for every text input.

A NUL or another C0/C1 control character in a title, a comment or a search term is never what a
person meant: it truncates searches in some databases, corrupts terminals and logs, and hides
text. Such input is a 422 like any other invalid value. Multi-line text (contents, comments,
messages) may hold tab, line feed and carriage return; single-line text (titles, names, search
terms) may not. The rule is a `pattern`, so the OpenAPI document states it too.
"""

from typing import Any

from marshmallow import fields, validate

# ECMA and Python read these patterns alike; `(?![\s\S])` is the end of input in both (`$` would
# let a final newline through in Python).
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*(?![\s\S])"
MULTI_LINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*(?![\s\S])"

SINGLE_LINE = validate.Regexp(SINGLE_LINE_PATTERN, error="Control characters are not allowed.")
MULTI_LINE = validate.Regexp(
    MULTI_LINE_PATTERN, error="Control characters other than tab and line breaks are not allowed."
)


def single_line(*, max_length: int, min_length: int = 0, **kwargs: Any) -> fields.String:
    """A one-line text input of at most `max_length` characters, without control characters."""
    return fields.String(validate=[_length(min_length, max_length), SINGLE_LINE], **kwargs)


def multi_line(*, max_length: int, min_length: int = 0, **kwargs: Any) -> fields.String:
    """A multi-line text input: tab, CR and LF allowed, other control characters refused."""
    return fields.String(validate=[_length(min_length, max_length), MULTI_LINE], **kwargs)


def _length(min_length: int, max_length: int) -> validate.Length:
    # No minimum of 0: marshmallow would then say "Length must be between 0 and N." instead of
    # "Longer than maximum length N.", and the OpenAPI document would carry a useless minLength.
    return validate.Length(min=min_length or None, max=max_length)
