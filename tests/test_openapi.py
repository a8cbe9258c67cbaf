"""The OpenAPI document, and Swagger UI served entirely from this server."""

import re
from html.parser import HTMLParser

import pytest
from openapi_spec_validator import validate

PROTECTED = {
    ("/auth/logout", "post"),
    ("/auth/logout-all", "post"),
    ("/auth/me", "get"),
    ("/boards", "post"),
    ("/boards/{board_id}", "put"),
    ("/boards/{board_id}", "patch"),
    ("/boards/{board_id}", "delete"),
    ("/users/{user_id}", "patch"),
    ("/users/{user_id}", "delete"),
    ("/boards/{board_id}/like", "put"),
    ("/boards/{board_id}/like", "delete"),
    ("/boards/{board_id}/scrap", "put"),
    ("/boards/{board_id}/scrap", "delete"),
    ("/users/me/scraps", "get"),
    ("/boards/{board_id}/comments", "post"),
    ("/comments/{comment_id}", "patch"),
    ("/comments/{comment_id}", "delete"),
    ("/users/{user_id}/follow", "put"),
    ("/users/{user_id}/follow", "delete"),
    ("/boards/feed", "get"),
    ("/messages", "get"),
    ("/messages", "post"),
    ("/messages/{message_id}", "get"),
    ("/messages/{message_id}", "patch"),
    ("/messages/{message_id}", "delete"),
    ("/comments/{comment_id}/like", "put"),
    ("/comments/{comment_id}/like", "delete"),
    ("/boards/{board_id}/reports", "post"),
    ("/comments/{comment_id}/reports", "post"),
    ("/moderation/cases", "get"),
    ("/moderation/cases/{case_id}", "get"),
    ("/moderation/cases/{case_id}", "patch"),
    ("/moderation/log", "get"),
    ("/users/{user_id}/ban", "put"),
    ("/users/{user_id}/ban", "delete"),
    ("/forums", "post"),
    ("/forums/{forum_id}", "patch"),
    ("/forums/{forum_id}", "delete"),
    ("/forums/{forum_id}/pin", "put"),
    ("/forums/{forum_id}/pin", "delete"),
    ("/users/me/forums", "get"),
}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_document_is_valid_openapi_3(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Board API"


def test_tags_are_in_order(spec):
    assert [tag["name"] for tag in spec["tags"]][:3] == ["Auth", "Users", "Boards"]


def test_every_operation_has_summary_tag_and_error_responses(spec):
    for path, method, operation in operations(spec):
        assert operation.get("summary"), (path, method)
        assert operation.get("tags"), (path, method)
        takes_input = "requestBody" in operation or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        )
        if takes_input:
            assert "422" in operation["responses"], (path, method)


def test_protected_operations_declare_bearer_auth_and_401(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token (`access_token` from POST /auth/login or POST /auth/refresh): an "
        "HS256 JWT, handled as RFC8725 advises (one algorithm, `exp` and `jti` required, typed tokens).",
    }
    # Refresh tokens have a scheme of their own, declared by POST /auth/refresh alone.
    assert spec["components"]["securitySchemes"]["refreshAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A refresh token (`refresh_token` from POST /auth/login), for POST /auth/refresh only: "
        "an HS256 JWT, handled as RFC8725 advises, used once (rotation).",
    }
    refreshing = [
        (path, method) for path, method, op in operations(spec) if "refreshAuth" in str(op.get("security"))
    ]
    assert refreshing == [("/auth/refresh", "post")]
    assert spec["paths"]["/auth/refresh"]["post"]["security"] == [{"refreshAuth": []}]
    assert "401" in spec["paths"]["/auth/refresh"]["post"]["responses"]
    declared = {
        (path, method)
        for path, method, operation in operations(spec)
        if operation.get("security") == [{"bearerAuth": []}]
    }
    assert declared == PROTECTED
    for path, method, operation in operations(spec):
        if (path, method) in PROTECTED:
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }


def test_error_schema_documents_the_error_code(spec):
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "status",
        "message",
        "error",
        "errors",
    }


class AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]


def test_swagger_ui_uses_only_local_assets(client):
    response = client.get("/swagger-ui")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    collector = AssetCollector()
    collector.feed(page)
    assert len(collector.urls) >= 3
    for url in collector.urls:
        assert url.startswith("/swagger-ui/assets/"), url
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            assert len(asset.data) > 1000
    assert not re.search(r"https?://", page), "the page must not reference another host"


def test_swagger_ui_is_version_5_and_keeps_authorization(client):
    with client.get("/swagger-ui/assets/VERSION") as version:
        assert re.fullmatch(r"v?5\.\d+\.\d+\s*", version.get_data(as_text=True))
    assert '"persistAuthorization": true' in client.get("/swagger-ui").get_data(as_text=True)
