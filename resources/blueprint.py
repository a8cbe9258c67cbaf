"""The project's Blueprint: flask-smorest's, with the speed-ups of resources/smorest_tuning.py."""

from __future__ import annotations

import flask_smorest

from resources.smorest_tuning import KeysetPaginationMixin, SchemaReusingParser


class Blueprint(KeysetPaginationMixin, flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SchemaReusingParser()
    PAGINATION_ARGUMENTS_PARSER = SchemaReusingParser()
