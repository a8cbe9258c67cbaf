"""The Blueprint every resource uses: flask-smorest's, with one rule for unreadable bodies."""

from typing import Any, NoReturn

import flask_smorest
from flask_smorest import abort
from webargs.flaskparser import FlaskParser


class Parser(FlaskParser):
    def _handle_invalid_json_error(self, error: Exception, req: Any, *args: Any, **kwargs: Any) -> NoReturn:
        # webargs answers 400; this API answers every unusable body alike: 422 with field errors.
        abort(422, errors={"json": {"_schema": ["Invalid JSON body."]}})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()
