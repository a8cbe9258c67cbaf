"""GET /boards/feed, added to the Boards blueprint (its URL prefix and tag) when app.py imports
this module; its home is resources/boards.py, where the boards' redesign moves it."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_jwt_extended import get_current_user

from jwt_utils import auth_required
from models import TokenUser
from resources.board_queries import list_boards
from resources.boards import blp
from resources.pagination import PAGE_SIZES
from schemas import BoardSchema, FeedArgsSchema


@blp.route("/feed")
class Feed(MethodView):
    @auth_required(blp)
    @blp.doc(operationId="listFeed")
    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, BoardSchema(many=True))
    @blp.paginate(**PAGE_SIZES)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Response:
        """List the boards of the users you follow, newest first (page numbers, or keyset pages with `before`)"""
        me: TokenUser = get_current_user()
        return list_boards({**args, "followed_by": me.id}, pagination_parameters, me)
