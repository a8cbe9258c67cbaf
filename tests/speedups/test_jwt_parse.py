"""speedups/jwt_parse.py: PyJWT parses each token once, gives what its own parse gives, and still
verifies every token."""

from __future__ import annotations

import base64
import json

import pytest
from jwt import api_jws
from jwt.exceptions import DecodeError

from speedups import jwt_parse
from tests.conftest import bearer, error

INVALID = error(401, "invalid_token", "The token is invalid.")


def _encode(claims: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


def test_it_applies_to_the_pinned_pyjwt(app) -> None:
    assert jwt_parse.applicable()
    assert getattr(api_jws._jws_global_obj._load, "parses_once", False)


def test_it_stays_out_when_pyjwt_changed(monkeypatch, caplog) -> None:
    jws = api_jws._jws_global_obj
    monkeypatch.setattr(jws, "_load", api_jws.PyJWS._load.__get__(jws))  # unwrapped
    monkeypatch.setattr(api_jws.PyJWS, "_load", lambda self, token, strict=True: None)
    assert jwt_parse.install() is False
    assert "PyJWT changed" in caplog.text
    assert not getattr(jws._load, "parses_once", False)


@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.",
        "not-a-token",
        "a.b.c",
        "eyJhbGciOiJIUzI1NiJ9.e30.!!!",
        "W10.e30.c2ln",  # a header that is not an object
    ],
)
def test_the_same_parts_or_error_as_pyjwt(app, token) -> None:
    jws = api_jws._jws_global_obj
    assert getattr(jws._load, "parses_once", False)

    def outcome(load):  # type: ignore[no-untyped-def]
        try:
            return load(token)
        except DecodeError as refused:
            return ("refused", str(refused))

    expected = outcome(lambda t: api_jws.PyJWS._load(jws, t))
    assert outcome(jws._load) == expected
    assert outcome(jws._load) == expected  # remembered: still the same, and a header of its own
    if not isinstance(expected[0], str):
        assert jws._load(token)[2] is not jws._load(token)[2]


def test_a_remembered_token_does_not_vouch_for_a_forged_one(client, make_user):
    """Parsing is remembered per token string; verification still runs on every token."""
    user = make_user()
    header, payload, signature = user["access_token"].split(".")
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


def test_each_token_is_parsed_once_per_request(client, make_user, monkeypatch):
    """PyJWT is asked four times per request: its own parse runs once per token."""
    parsed: list[str | bytes] = []
    original = api_jws.PyJWS._load

    def counting(self, jwt):  # type: ignore[no-untyped-def]
        parsed.append(jwt)
        return original(self, jwt)

    user = make_user()
    jws = api_jws._jws_global_obj
    monkeypatch.setattr(api_jws.PyJWS, "_load", counting)
    monkeypatch.setattr(jws, "_load", original.__get__(jws))  # unwrapped, so that it wraps `counting`
    assert jwt_parse.install() is True
    for _ in range(2):
        assert client.get("/auth/me", headers=user["headers"]).status_code == 200
    assert parsed == [user["access_token"]]
    assert client.post("/auth/refresh", headers=bearer(user["refresh_token"])).status_code == 200
    assert parsed == [user["access_token"], user["refresh_token"]]
