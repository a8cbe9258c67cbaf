"""Follows and the feed (CONTRACT §9). Followers and followees are listed as UserPublicSchema."""

from marshmallow import Schema, fields

from schemas.board import BoardListArgsSchema


class FollowStateSchema(Schema):
    """The answer of PUT and DELETE /users/<id>/follow."""

    followed = fields.Boolean(
        required=True, dump_only=True, metadata={"description": "Whether you now follow this user"}
    )
    follower_count = fields.Integer(
        required=True, dump_only=True, metadata={"description": "This user's followers", "example": 3}
    )


class FeedArgsSchema(Schema):
    """GET /boards/feed pages like GET /boards (`page`, or keyset `before`), without its filters."""

    before = BoardListArgsSchema._declared_fields["before"]
