"""The speed-ups of the hot paths change nothing a client can see (docs/performance.md)."""

from __future__ import annotations

import base64
import itertools
import json

import pytest
from flask_smorest.pagination import PaginationMixin
from jwt import api_jws

from jwt_utils import parse_each_token_once
from resources.pagination import PagingMixin
from tests.conftest import bearer, error

INVALID = error(401, "invalid_token", "The token is invalid.")


def test_pagination_metadata_is_flask_smorests():
    for page, size, count in itertools.product(range(1, 7), range(1, 5), range(13)):
        assert PagingMixin._make_pagination_metadata(page, size, count) == (
            PaginationMixin._make_pagination_metadata(page, size, count)
        )


def _segments(token: str) -> list[str]:
    return token.split(".")


def _encode(claims: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


def test_a_remembered_token_does_not_vouch_for_a_forged_one(client, make_user):
    """Parsing is remembered per token string; verification still runs on every token."""
    user = make_user()
    token = user["access_token"]
    header, payload, signature = _segments(token)
    assert client.get("/auth/me", headers=user["headers"]).status_code == 200  # now remembered

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = {
        "other signature": f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}",
        "other claims": f"{header}.{_encode({**claims, 'is_admin': True})}.{signature}",
        "junk in the payload": f"{header}.{payload[:-1]}!.{signature}",
    }
    for label, bad in forged.items():
        response = client.get("/auth/me", headers=bearer(bad))
        assert (response.status_code, response.json) == (401, INVALID), label
        # and the real token still works after each forged one
        assert client.get("/auth/me", headers=user["headers"]).status_code == 200, label


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"title": ""}, {"title": ["Length must be between 1 and 200."]}),
        ({"content": "x"}, {"title": ["Missing data for required field."]}),
        ({"title": "ok", "author_id": 1}, {"author_id": ["Unknown field."]}),
    ],
)
def test_reused_schema_instances_keep_no_state_between_requests(client, make_user, body, errors):
    user = make_user()
    for _ in range(2):
        response = client.post("/boards", json=body, headers=user["headers"])
        assert response.status_code == 422
        assert response.json["errors"] == {"json": errors}
    created = client.post("/boards", json={"title": "fine"}, headers=user["headers"])
    assert (created.status_code, created.json["content"]) == (201, "")


def test_each_token_is_parsed_once_per_request(client, make_user, monkeypatch):
    """Guards jwt_utils.parse_each_token_once, which wraps a private PyJWT method: after a PyJWT
    upgrade that moves it, this fails instead of the speed-up vanishing unnoticed."""
    parsed: list[str | bytes] = []
    original = api_jws.PyJWS._load

    def counting(self, token):  # type: ignore[no-untyped-def]
        parsed.append(token)
        return original(self, token)

    user = make_user()
    monkeypatch.setattr(api_jws.PyJWS, "_load", counting)
    monkeypatch.setattr(api_jws._jws_global_obj, "_load", api_jws._jws_global_obj._load)
    assert parse_each_token_once() is True  # wraps the counting parse, as create_app wraps PyJWT's
    for _ in range(2):
        assert client.get("/auth/me", headers=user["headers"]).status_code == 200
    assert parsed == [user["access_token"]]  # once, though PyJWT is asked four times per request
    assert client.post("/auth/refresh", headers=bearer(user["refresh_token"])).status_code == 200
    assert parsed == [user["access_token"], user["refresh_token"]]
