"""Board API: the application factory and its configuration."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask_swagger_ui
from dotenv import load_dotenv
from flask import Blueprint as FlaskBlueprint
from flask import Flask
from flask_migrate import Migrate
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

import blocklist
import cli
from db import db
from errors import ErrorSchema, handle_http_exception, register_error_handlers
from jwt_utils import BEARER_SCHEME, init_jwt
from resources import auth, boards, health, users
from schemas.board import MAX_ID

DEV_JWT_SECRET = "dev-only-secret-do-not-use-in-production"
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
API_DESCRIPTION = """A community board: users, posts and JWT authentication.

**Getting a token:** `POST /auth/register`, then `POST /auth/login` with your username (or email)
and password. Click **Authorize** and paste the `access_token` (no `Bearer ` prefix needed).
Access tokens are short-lived: trade the `refresh_token` for a new pair at `POST /auth/refresh`
(send the refresh token through Authorize for that call).

Errors always share one JSON shape: `code`, `status`, `message`, and a machine-readable `error`.
"""


class Config:
    """Settings read from the environment (and a `.env` file when present)."""

    @staticmethod
    def from_env(env: Mapping[str, str] = os.environ) -> dict[str, Any]:
        database_url = env.get("DATABASE_URL", "sqlite:///board.db")  # relative: under instance/
        engine_options: dict[str, Any] = {}
        if not database_url.startswith("sqlite"):
            # A restarted server or an idle timeout must not surface as an error.
            engine_options = {"pool_pre_ping": True, "pool_recycle": 280}
        return {
            "APP_ENV": env.get("APP_ENV", "development"),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "JWT_SECRET_KEY": env.get("JWT_SECRET_KEY", DEV_JWT_SECRET),
            "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=int(env.get("JWT_ACCESS_TOKEN_EXPIRES", 900))),
            "JWT_REFRESH_TOKEN_EXPIRES": timedelta(
                seconds=int(env.get("JWT_REFRESH_TOKEN_EXPIRES", 30 * 86400))
            ),
            "JWT_TOKEN_LOCATION": ["headers"],
            "JWT_ALGORITHM": "HS256",
            "JWT_DECODE_ALGORITHMS": ["HS256"],
            "REDIS_URL": env.get("REDIS_URL"),
            "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "5 per minute"),
            "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 1024 * 1024)),
            "API_TITLE": "Board API",
            "API_VERSION": "1.0.0",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/",
            "OPENAPI_JSON_PATH": "openapi.json",
            "OPENAPI_SWAGGER_UI_PATH": "/swagger-ui",
            "OPENAPI_SWAGGER_UI_URL": "/swagger-ui/assets/",
            "OPENAPI_SWAGGER_UI_CONFIG": {
                "persistAuthorization": True,
                "displayRequestDuration": True,
                "tryItOutEnabled": False,
            },
            "API_SPEC_OPTIONS": {"info": {"description": API_DESCRIPTION}},
        }


class BoardApi(Api):
    """flask-smorest's Api, answering every HTTP error in the one error shape of CONTRACT §2."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):  # type: ignore[no-untyped-def]
        return handle_http_exception(error)


class IdConverter(IntegerConverter):
    """A positive id that fits a 64-bit column; anything larger is simply not found."""

    def __init__(self, map: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    load_dotenv()
    app = Flask(__name__)
    app.config.from_mapping(Config.from_env())
    if config:
        app.config.from_mapping(config)
    app.url_map.converters["id"] = IdConverter

    db.init_app(app)
    Migrate(app, db, render_as_batch=True, compare_type=True)

    api = BoardApi(app)
    api.register_converter(
        IdConverter, lambda _: {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
    )
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    register_error_handlers(app)
    blocklist.init_app(app)
    init_jwt(app)

    for module in (auth, users, boards, health):
        api.register_blueprint(module.blp)
    app.register_blueprint(
        FlaskBlueprint(
            "swagger_ui_assets", __name__, static_folder=SWAGGER_UI_DIST, static_url_path="/swagger-ui/assets"
        )
    )
    cli.register(app)
    return app
