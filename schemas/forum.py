"""Forums and pins: the shapes a client reads, and what an admin writes."""

from typing import Any

from marshmallow import Schema, fields, validate

from models.forum import ANONYMITY, CATEGORY_LENGTH, DESCRIPTION_LENGTH, NAME_LENGTH
from schemas.text import multi_line
from schemas.timestamps import ID_DOC, timestamp

# One line, no control characters, and no space at either end: " Careers" and "Careers" would
# look alike in every list. `(?![\s\S])` is the end of input in Python and ECMA alike.
_EDGE = r"[^\s\x00-\x1f\x7f-\x9f]"
NAME_PATTERN = rf"^{_EDGE}(?:[^\x00-\x1f\x7f-\x9f]*{_EDGE})?(?![\s\S])"
TRIMMED = validate.Regexp(NAME_PATTERN, error="No control characters, and no space at either end.")
ANONYMITY_DOC = (
    "Anonymous posting in this forum: `never` (boards and comments always show their author), "
    "`optional` (each writer chooses), `always` (every board and comment is anonymous)."
)
CATEGORY_DOC = "What kind of forum it is (e.g. department, careers, clubs); stored lower-case."


def _name(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=NAME_LENGTH), TRIMMED], **kwargs)


def _category(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=CATEGORY_LENGTH), TRIMMED], **kwargs)


def _anonymous(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(ANONYMITY), **kwargs)


class ForumSchema(Schema):
    id = fields.Integer(dump_only=True, required=True, metadata=ID_DOC)
    name = fields.String(
        dump_only=True,
        required=True,
        metadata={"example": "Careers", "description": "Unique, whatever the case."},
    )
    category = fields.String(dump_only=True, required=True, metadata={"example": "careers"})
    description = fields.String(
        dump_only=True, required=True, metadata={"example": "Jobs, internships and interviews."}
    )
    anonymous = _anonymous(dump_only=True, required=True, metadata={"description": ANONYMITY_DOC})
    board_count = fields.Integer(
        dump_only=True, required=True, metadata={"description": "The forum's boards.", "example": 12}
    )
    created_at = timestamp()


class ForumCreateSchema(Schema):
    name = _name(required=True, metadata={"example": "Careers", "description": "Unique, whatever the case."})
    category = _category(required=True, metadata={"example": "careers", "description": CATEGORY_DOC})
    description = multi_line(
        max_length=DESCRIPTION_LENGTH,
        load_default="",
        metadata={"example": "Jobs, internships and interviews."},
    )
    anonymous = _anonymous(
        load_default="optional",
        metadata={"example": "optional", "description": f"{ANONYMITY_DOC} Default: `optional`."},
    )


class ForumUpdateSchema(Schema):
    """Some fields of a forum: PATCH. Boards already written keep whether they are anonymous."""

    name = _name(metadata={"example": "Careers and internships"})
    category = _category(metadata={"example": "careers", "description": CATEGORY_DOC})
    description = multi_line(max_length=DESCRIPTION_LENGTH, metadata={"example": "Jobs and internships."})
    anonymous = _anonymous(metadata={"example": "always", "description": ANONYMITY_DOC})


class ForumListArgsSchema(Schema):
    category = _category(metadata={"description": "Only the forums of this category (any case)."})


class PinStateSchema(Schema):
    """Whether the forum is among your pinned forums now."""

    pinned = fields.Boolean(dump_only=True, required=True, metadata={"example": True})
