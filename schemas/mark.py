from marshmallow import Schema, fields


class LikeStateSchema(Schema):
    """Whether you like it now, and how many do."""

    liked = fields.Boolean(dump_only=True, required=True, metadata={"example": True})
    like_count = fields.Integer(dump_only=True, required=True, metadata={"example": 3})


class ScrapStateSchema(Schema):
    """Whether you keep it in your scraps now, and how many do."""

    scrapped = fields.Boolean(dump_only=True, required=True, metadata={"example": True})
    scrap_count = fields.Integer(dump_only=True, required=True, metadata={"example": 1})
