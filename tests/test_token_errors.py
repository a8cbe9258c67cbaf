"""Every token problem is a 401 with a precise `error`, in the one error shape."""

import base64
import json
import time
import uuid

import jwt
import pytest

from db import db
from models import User
from tests.conftest import TEST_SECRET, bearer, error

INVALID = error(401, "invalid_token", "The token is invalid.")
MISSING = error(
    401, "authorization_required", "An access token is required: send 'Authorization: Bearer <token>'."
)
EXPIRED = error(401, "token_expired", "The token has expired.")
REVOKED = error(401, "token_revoked", "The token has been revoked.")
NOT_FRESH = error(401, "fresh_token_required", "This action needs a fresh token: log in again.")
USER_GONE = error(401, "user_not_found", "The user of this token no longer exists.")


def claims(user: dict, **overrides) -> dict:
    """The claims this service puts in an access token of `user`, overridden as a case needs."""
    issued = jwt.decode(user["access_token"], TEST_SECRET, algorithms=["HS256"])
    now = int(time.time())
    payload = {
        "sub": str(user["id"]),
        "jti": str(uuid.uuid4()),
        "type": "access",
        "fresh": False,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "fam": uuid.uuid4().hex,
        "is_admin": False,
        "gen": issued["gen"],
        "uct": issued["uct"],
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def forge(payload: dict, key: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def user(make_user):
    return make_user("alice")


def test_a_well_forged_token_is_accepted(client, user):
    """The control for the cases below: the forging itself is right."""
    response = client.get("/auth/me", headers=bearer(forge(claims(user))))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}],
    ids=["no header", "empty header"],
)
def test_missing_token(client, headers):
    response = client.get("/auth/me", headers=headers)
    assert (response.status_code, response.json) == (401, MISSING)


def tampered(user: dict) -> str:
    header, _, signature = forge(claims(user)).split(".")
    return ".".join([header, b64(claims(user, is_admin=True)), signature])


INVALID_TOKENS = {
    "garbage": lambda u: "not-a-jwt",
    "two segments": lambda u: "abc.def",
    "bad signature": lambda u: forge(claims(u), key="another-secret-that-is-long-enough-0123456789"),
    "tampered payload": tampered,
    "alg none": lambda u: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(u))}.",
    "alg HS512": lambda u: forge(claims(u), algorithm="HS512"),
    "no sub": lambda u: forge(claims(u, sub=None)),
    "no jti": lambda u: forge(claims(u, jti=None)),
    "no exp": lambda u: forge(claims(u, exp=None)),
    "no iat": lambda u: forge(claims(u, iat=None)),
    "no fam": lambda u: forge(claims(u, fam=None)),
    "no gen": lambda u: forge(claims(u, gen=None)),
    "no uct": lambda u: forge(claims(u, uct=None)),
    "integer sub": lambda u: forge(claims(u, sub=u["id"])),
    "string gen": lambda u: forge(claims(u, gen=str(claims(u)["gen"]))),
    "float gen": lambda u: forge(claims(u, gen=0.0)),
    "boolean gen": lambda u: forge(claims(u, gen=False)),
    "integer fam": lambda u: forge(claims(u, fam=7)),
    "integer jti": lambda u: forge(claims(u, jti=7)),
    "string uct": lambda u: forge(claims(u, uct=str(claims(u)["uct"]))),
    "string fresh": lambda u: forge(claims(u, fresh="yes")),
    "object gen": lambda u: forge(claims(u, gen={"$gt": 0})),
    "unknown type": lambda u: forge(claims(u, type="weird")),
    "not yet valid": lambda u: forge(claims(u, nbf=int(time.time()) + 3600)),
}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 forged on purpose
@pytest.mark.parametrize("make_token", INVALID_TOKENS.values(), ids=INVALID_TOKENS.keys())
def test_invalid_access_tokens(client, user, make_token):
    response = client.get("/auth/me", headers=bearer(make_token(user)))
    assert (response.status_code, response.json) == (401, INVALID)


@pytest.mark.parametrize("authorization", ["Basic YWxpY2U6cHc=", "Bearer", "Bearer a b", "Token abc.def.ghi"])
def test_malformed_authorization_header(client, authorization):
    response = client.get("/auth/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json["error"] in {"invalid_token", "authorization_required"}
    assert set(response.json) == {"code", "status", "message", "error"}


def test_access_token_as_refresh_token_says_what_to_send(client, user):
    response = client.post("/auth/refresh", headers=user["headers"])
    assert (response.status_code, response.json) == (
        401,
        error(
            401,
            "invalid_token",
            "This is an access token: POST /auth/refresh takes the refresh token from the login.",
        ),
    )


REFRESH_AS_ACCESS = error(
    401,
    "invalid_token",
    "This is a refresh token: send the access token here (a refresh token only goes to POST /auth/refresh).",
)


def test_refresh_token_as_access_token_says_what_to_send(client, user):
    for token in (user["refresh_token"], forge(claims(user, type="refresh"))):
        response = client.get("/auth/me", headers=bearer(token))
        assert (response.status_code, response.json) == (401, REFRESH_AS_ACCESS)
    response = client.post("/boards", json={"title": "t"}, headers=bearer(user["refresh_token"]))
    assert (response.status_code, response.json) == (401, REFRESH_AS_ACCESS)


DOUBLE_BEARER = error(
    401,
    "invalid_token",
    "The Authorization header says 'Bearer' twice: send 'Authorization: Bearer <token>' "
    "(in Swagger UI's Authorize dialog, paste the token alone).",
)
MALFORMED = error(
    401, "invalid_token", "The Authorization header is malformed: send 'Authorization: Bearer <token>'."
)


@pytest.mark.parametrize("prefix", ["Bearer Bearer ", "Bearer bearer ", "Bearer  BEARER  "])
def test_a_token_pasted_with_a_second_bearer_prefix_says_so(client, user, prefix):
    response = client.get("/auth/me", headers={"Authorization": prefix + user["access_token"]})
    assert (response.status_code, response.json) == (401, DOUBLE_BEARER)


def test_a_header_with_a_token_in_two_pieces_is_malformed(client, user):
    response = client.get("/auth/me", headers={"Authorization": "Bearer abc def"})
    assert (response.status_code, response.json) == (401, MALFORMED)


def test_expired_access_and_refresh_tokens(client, user):
    past = int(time.time()) - 3600
    expired = forge(claims(user, iat=past - 60, nbf=past - 60, exp=past))
    response = client.get("/auth/me", headers=bearer(expired))
    assert (response.status_code, response.json) == (401, EXPIRED)
    expired_refresh = forge(claims(user, type="refresh", iat=past - 60, nbf=past - 60, exp=past))
    response = client.post("/auth/refresh", headers=bearer(expired_refresh))
    assert (response.status_code, response.json) == (401, EXPIRED)


def test_revoked_token(client, user):
    assert client.post("/auth/logout", headers=user["headers"]).status_code == 200
    response = client.get("/auth/me", headers=user["headers"])
    assert (response.status_code, response.json) == (401, REVOKED)


def test_non_fresh_token_where_a_fresh_one_is_required(client, user):
    refreshed = client.post("/auth/refresh", headers=bearer(user["refresh_token"])).json
    response = client.delete(f"/users/{user['id']}", headers=bearer(refreshed["access_token"]))
    assert (response.status_code, response.json) == (401, NOT_FRESH)


def test_token_of_a_deleted_user(client, app, user):
    with app.app_context():
        db.session.delete(db.session.get(User, user["id"]))
        db.session.commit()
    response = client.get("/auth/me", headers=user["headers"])
    assert (response.status_code, response.json) == (401, USER_GONE)
    response = client.post("/auth/refresh", headers=bearer(user["refresh_token"]))
    assert (response.status_code, response.json) == (401, USER_GONE)


def test_token_problems_are_checked_before_the_body(client):
    """A missing token is a 401 even when the body is invalid too."""
    response = client.post("/boards", json={"nonsense": True})
    assert (response.status_code, response.json) == (401, MISSING)
