"""Board API: the application factory and its configuration."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask_swagger_ui
from dotenv import load_dotenv
from flask import Blueprint as FlaskBlueprint
from flask import Flask
from flask_migrate import Migrate
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import blocklist
import speedups
from db import compare_type, db, engine_options, init_database
from errors import ErrorSchema, handle_http_exception, register_error_handlers
from jwt_utils import BEARER_SCHEME, REFRESH_SCHEME, init_jwt
from models import board_search as search_index
from ops import cli, mailer
from resources import auth, boards, comments, forums, health, home, manage, messages, moderation, users
from resources.caching import init_caching
from resources.json_bodies import JSONProvider
from resources.manage_support import init_manage_support
from resources.openapi_examples import ErrorExamplesPlugin
from resources.pagination import LINK_HEADER_DOC, PAGINATION_HEADER_DOC
from schemas.board import MAX_ID
from security import jwt_secret
from security.cors import cors_origins, init_cors
from security.headers import init_security_headers
from security.jwt_secret import InsecureConfigError, check_production_secret
from security.rate_limits import init_rate_limits
from security.request_body import refuse_oversize_bodies

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
API_DESCRIPTION = """A community board: users, posts ("boards") and JWT authentication.

**Try it on this page.** Every request body starts from a working example.
1. `POST /auth/register`: **Try it out**, then **Execute** (change the example's username and
   email if someone took them).
2. `POST /auth/login` with that username (or email) and password; copy `access_token` from the
   response.
3. Press the **Authorize** button, paste the token into *bearerAuth* (without a `Bearer ` prefix),
   **Authorize**, **Close**. Operations with a padlock now send it, even after a page reload.
4. `POST /boards` to write; reading (`GET /boards`) needs no token.

**Tokens.** An access token lasts `expires_in` seconds; after that, calls answer 401 with
`"error": "token_expired"`. Trade the `refresh_token` for a new pair at `POST /auth/refresh` (paste
the refresh token into *refreshAuth* in Authorize: that operation sends it, the others send the
access token), or log in again. Deleting an account or changing a
password needs a *fresh* token, straight from a login. `POST /auth/logout` revokes the token and
its login: they answer `token_revoked` from then on.

**Errors** share one JSON shape: `code`, `status`, `message`, a machine-readable `error`, and
`errors` by field on 422.
"""


class Config:
    """Settings read from the environment (and a `.env` file when present)."""

    @staticmethod
    def from_env(env: Mapping[str, str] = os.environ) -> dict[str, Any]:
        return {
            "APP_ENV": env.get("APP_ENV", "development"),
            # on, off, or some of speedups.ALL: the service answers the same either way (speedups/).
            "SPEEDUPS": speedups.setting(env),
            # Relative SQLite paths land under instance/. Engine options follow from the URL:
            # see db.engine_options, applied in create_app.
            "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", "sqlite:///board.db"),
            # Unset: outside production, a random secret kept under instance/ (see jwt_secret.py).
            "JWT_SECRET_KEY": env.get("JWT_SECRET_KEY") or None,
            "JWT_SECRET_FILE": env.get("JWT_SECRET_FILE"),
            "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=int(env.get("JWT_ACCESS_TOKEN_EXPIRES", 900))),
            "JWT_REFRESH_TOKEN_EXPIRES": timedelta(
                seconds=int(env.get("JWT_REFRESH_TOKEN_EXPIRES", 30 * 86400))
            ),
            "JWT_TOKEN_LOCATION": ["headers"],
            "JWT_ALGORITHM": "HS256",
            "JWT_DECODE_ALGORITHMS": ["HS256"],
            "REDIS_URL": env.get("REDIS_URL"),
            # Proxies in front whose X-Forwarded-For (and -Proto) are believed: see trust_proxies.
            "TRUSTED_PROXY_COUNT": env.get("TRUSTED_PROXY_COUNT", "0"),
            # Without REDIS_URL, the rate-limit counters of every worker of this instance, in one
            # SQLite file (security/rate_limit_store.py); unset: instance/rate-limits.sqlite3.
            "RATE_LIMIT_FILE": env.get("RATE_LIMIT_FILE") or None,
            # Rate limits (security/rate_limits.py), in Flask-Limiter's notation.
            "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "5 per minute"),
            "LOGIN_ADDRESS_RATE_LIMIT": env.get("LOGIN_ADDRESS_RATE_LIMIT", "30 per minute"),
            "REGISTER_RATE_LIMIT": env.get("REGISTER_RATE_LIMIT", "10 per hour"),
            "REFRESH_RATE_LIMIT": env.get("REFRESH_RATE_LIMIT", "60 per minute"),
            "MESSAGE_RATE_LIMIT": env.get("MESSAGE_RATE_LIMIT", "30 per minute"),
            "PASSWORD_RESET_RATE_LIMIT": env.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour"),
            "PASSWORD_RESET_CONFIRM_RATE_LIMIT": env.get(
                "PASSWORD_RESET_CONFIRM_RATE_LIMIT", "10 per minute"
            ),
            # Password reset (services/password_reset.py) and the mail that carries its link (ops/mailer.py).
            "PASSWORD_RESET_EXPIRES": int(env.get("PASSWORD_RESET_EXPIRES", 1800)),
            "PASSWORD_RESET_URL": env.get("PASSWORD_RESET_URL")
            or f"http://127.0.0.1:{env.get('PORT') or 5000}/reset-password",
            **mailer.mail_settings(env),
            "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 1024 * 1024)),
            # Distinct reporters (since the last dismissal) that hide a board or comment at once.
            "REPORT_HIDE_THRESHOLD": int(env.get("REPORT_HIDE_THRESHOLD", 5)),
            "CORS_ORIGINS": cors_origins(env.get("CORS_ORIGINS")),
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
    """flask-smorest's Api, answering every HTTP error in the one error shape (errors.py)."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):  # type: ignore[no-untyped-def]
        return handle_http_exception(error)

    def _register_pagination_header(self) -> None:
        # X-Pagination's value is JSON text: documented by its media type (resources/pagination.py).
        self.spec.components.header("PAGINATION", PAGINATION_HEADER_DOC, lazy=True)
        self.spec.components.header("LINK", LINK_HEADER_DOC, lazy=True)


class IdConverter(IntegerConverter):
    """A positive id that fits a 64-bit column; anything larger is simply not found. ASCII digits
    only: Werkzeug's `\\d+` also matches other scripts' digits, which `int()` reads (U+0661, an Arabic-Indic one, is 1)."""

    regex = "[0-9]+"

    def __init__(self, map: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def trust_proxies(app: Flask) -> None:
    """TRUSTED_PROXY_COUNT=N > 0: the client address (rate limits, the access log) is the one the
    Nth proxy from this service saw, the Nth entry from the right of X-Forwarded-For, and the scheme
    is the Nth from the right of X-Forwarded-Proto; values a client put before them are never read.
    0: forwarded headers are ignored, the address is the connection's peer."""
    raw = str(app.config["TRUSTED_PROXY_COUNT"]).strip()
    if not (raw.isascii() and raw.isdigit()):
        raise InsecureConfigError(
            f"TRUSTED_PROXY_COUNT must be a whole number of proxies (0 or more), not {raw!r}."
        )
    count = app.config["TRUSTED_PROXY_COUNT"] = int(raw)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def report_mail_settings(app: Flask) -> None:
    """In production, one line at start-up when password reset mails cannot reach anyone."""
    if app.config.get("APP_ENV") != "production":
        return
    problems = []
    if not app.config.get("MAIL_SERVER"):
        problems.append("MAIL_SERVER is not set (no mail is sent)")
    reset_url = app.config.get("PASSWORD_RESET_URL") or ""
    if urlsplit(reset_url).hostname in (None, "127.0.0.1", "localhost", "::1"):
        problems.append(f"PASSWORD_RESET_URL is not set (links would point at {reset_url or 'nothing'})")
    if problems:
        mailer.log.warning(
            "Password reset mails will not work: %s; see docs/production.md.", " and ".join(problems)
        )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    load_dotenv()
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config.from_mapping(Config.from_env())
    if config:
        app.config.from_mapping(config)
    check_production_secret(app.config)
    trust_proxies(app)
    if not app.config["JWT_SECRET_KEY"]:
        secret_file = app.config["JWT_SECRET_FILE"] or Path(app.instance_path) / jwt_secret.SECRET_FILE_NAME
        app.config["JWT_SECRET_KEY"] = jwt_secret.load_or_create(Path(secret_file))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS")
    )
    app.url_map.converters["id"] = IdConverter

    init_database(app)
    Migrate(app, db, render_as_batch=True, compare_type=compare_type, include_name=search_index.include_name)

    api = BoardApi(app, spec_kwargs={"extra_plugins": [ErrorExamplesPlugin()]})
    api.register_converter(
        IdConverter, lambda _: {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
    )
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.spec.components.security_scheme("refreshAuth", REFRESH_SCHEME)
    register_error_handlers(app)
    refuse_oversize_bodies(app)
    init_security_headers(app)
    init_caching(app)
    init_cors(app)
    blocklist.init_app(app)
    mailer.init_mail(app)
    report_mail_settings(app)
    init_jwt(app)

    for module in (auth, users, boards, comments, messages, forums, moderation, health):
        api.register_blueprint(module.blp)
    # The manage pages: HTML for admins, outside the OpenAPI document.
    init_manage_support(app)
    app.register_blueprint(manage.blp)
    init_rate_limits(app)
    app.register_blueprint(
        FlaskBlueprint(
            "swagger_ui_assets", __name__, static_folder=SWAGGER_UI_DIST, static_url_path="/swagger-ui/assets"
        )
    )
    app.register_blueprint(home.blp)
    cli.register(app)
    speedups.install(app)
    return app
