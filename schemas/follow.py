"""Follows and the feed. Followers and followees are listed as UserPublicSchema."""

from typing import Any

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


def follow_state_json(*, followed: bool, follower_count: int) -> dict[str, Any]:
    """FollowStateSchema's dump (tests/test_shapes.py holds them equal)."""
    return {"followed": followed, "follower_count": follower_count}


class FeedArgsSchema(Schema):
    """GET /boards/feed pages like GET /boards (`page`, or keyset `before`), without its filters."""

    before = BoardListArgsSchema._declared_fields["before"]
