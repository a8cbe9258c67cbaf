from marshmallow import Schema, fields, validate

# Ids fit a signed 64-bit column: a larger number is a validation error, not an SQL overflow.
MAX_ID = 2**63 - 1


class BoardAuthorSchema(Schema):
    id = fields.Integer(dump_only=True, metadata={"example": 1})
    username = fields.String(dump_only=True, metadata={"example": "alice"})


class BoardSchema(Schema):
    id = fields.Integer(dump_only=True, metadata={"example": 1})
    title = fields.String(dump_only=True, metadata={"example": "Hello, board"})
    content = fields.String(dump_only=True, metadata={"example": "First post!"})
    author = fields.Nested(BoardAuthorSchema, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class BoardCreateSchema(Schema):
    """A whole board: POST and PUT."""

    title = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Hello, board"}
    )
    content = fields.String(
        load_default="", validate=validate.Length(max=20000), metadata={"example": "First post!"}
    )


class BoardUpdateSchema(Schema):
    """Some fields of a board: PATCH."""

    title = fields.String(validate=validate.Length(min=1, max=200), metadata={"example": "New title"})
    content = fields.String(validate=validate.Length(max=20000), metadata={"example": "Edited: first post!"})


class BoardListArgsSchema(Schema):
    author_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Only this author's boards"}
    )
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Substring of the title, case-insensitive"},
    )
