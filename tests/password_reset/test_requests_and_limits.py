"""Password reset: invalid requests (the 4xx table), the rate limits, the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from app import Config
from schemas.user import ASCII_EMAIL, EMAIL_RULES
from tests.conftest import error
from tests.password_reset.support import INVALID_TOKEN, NEW_PASSWORD, ask_reset, confirm, token_of
from tests.support import validation_error

REQUEST, CONFIRM = "/auth/password-reset", "/auth/password-reset/confirm"
MISSING = ["Missing data for required field."]
BODY_REQUIRED = {
    **error(422, "unprocessable_entity", "A JSON request body is required."),
    "errors": {"json": {"_schema": ["A JSON request body is required."]}},
}
NOT_JSON = error(
    415, "unsupported_media_type", "Send the request body as JSON, with 'Content-Type: application/json'."
)


@pytest.mark.parametrize(
    ("path", "body", "status", "expected"),
    [
        (REQUEST, {}, 422, validation_error("json", {"email": MISSING})),
        (
            REQUEST,
            {"email": "not-an-email"},
            422,
            validation_error("json", {"email": ["Not a valid email address."]}),
        ),
        (REQUEST, {"email": 5}, 422, validation_error("json", {"email": ["Not a valid email address."]})),
        (
            REQUEST,
            {"email": "a" * 60 + "@" + "b" * 190 + ".com"},
            422,
            validation_error(
                "json", {"email": ["Not a valid email address.", "Longer than maximum length 254."]}
            ),
        ),
        (
            REQUEST,
            {"email": "alice@example.com", "admin": True},
            422,
            validation_error("json", {"admin": ["Unknown field."]}),
        ),
        (REQUEST, None, 422, BODY_REQUIRED),
        (CONFIRM, {}, 422, validation_error("json", {"token": MISSING, "password": MISSING})),
        (CONFIRM, {"token": "1.x"}, 422, validation_error("json", {"password": MISSING})),
        (
            CONFIRM,
            {"token": "1.x", "password": "short"},
            422,
            validation_error("json", {"password": ["Length must be between 8 and 128."]}),
        ),
        (
            CONFIRM,
            {"token": ["1.x"], "password": NEW_PASSWORD},
            422,
            validation_error("json", {"token": ["Not a valid string."]}),
        ),
        (
            CONFIRM,
            {"token": "1." + "A" * 127, "password": NEW_PASSWORD},
            422,
            validation_error("json", {"token": ["Longer than maximum length 128."]}),
        ),
        # Every string token within the length is judged as a token.
        (CONFIRM, {"token": "", "password": NEW_PASSWORD}, 422, INVALID_TOKEN),
        (CONFIRM, {"token": "1.x", "password": NEW_PASSWORD}, 422, INVALID_TOKEN),
        (CONFIRM, None, 422, BODY_REQUIRED),
    ],
)
def test_invalid_requests(client, path: str, body: Any, status: int, expected: dict[str, Any]):
    response = client.post(path, json=body) if body is not None else client.post(path)
    assert (response.status_code, response.json) == (status, expected)


@pytest.mark.parametrize("path", [REQUEST, CONFIRM])
def test_a_body_that_is_not_json_is_415(client, path):
    response = client.post(path, data="email=alice@example.com", content_type="text/plain")
    assert (response.status_code, response.json) == (415, NOT_JSON)


def test_a_token_survives_a_refused_body(client, smtp, make_user):
    user = make_user()
    ask_reset(client, user["email"])
    token = token_of(smtp.inbox.wait_for(1)[0])
    assert confirm(client, token, password="short").status_code == 422
    assert confirm(client, token, password="password").status_code == 422  # a common password
    assert confirm(client, token).status_code == 200


# --- rate limits ------------------------------------------------------------------------------------

BY_ADDRESS = error(
    429, "rate_limited", "Too many password reset requests from this address: wait before trying again."
)
BY_EMAIL = error(
    429, "rate_limited", "Too many password reset requests for this email address: wait before trying again."
)
CONFIRMATIONS = error(
    429, "rate_limited", "Too many password reset attempts from this address: wait before trying again."
)
ADDRESSES = [f"192.0.2.{n}" for n in range(1, 10)]


def test_the_defaults_are_the_contracts():
    config = Config.from_env({})
    assert (config["PASSWORD_RESET_RATE_LIMIT"], config["PASSWORD_RESET_CONFIRM_RATE_LIMIT"]) == (
        "5 per hour",
        "10 per minute",
    )


@pytest.mark.parametrize("app_config", [{"PASSWORD_RESET_RATE_LIMIT": "2 per hour"}])
def test_requests_per_address(client, make_user):
    user = make_user()
    assert ask_reset(client, user["email"]).status_code == 202
    assert ask_reset(client, "nobody@example.com").status_code == 202

    refused = ask_reset(client, "someone.else@example.com")

    assert (refused.status_code, refused.json) == (429, BY_ADDRESS)
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["X-RateLimit-Limit"] == "2"
    assert ask_reset(client, "someone.else@example.com", REMOTE_ADDR=ADDRESSES[0]).status_code == 202


@pytest.mark.parametrize("app_config", [{"PASSWORD_RESET_RATE_LIMIT": "2 per hour"}])
@pytest.mark.parametrize("known", [True, False])
def test_requests_per_email_from_any_address(client, make_user, known):
    """Counted alike for a known and an unknown address: a 429 tells nothing either."""
    email = make_user()["email"] if known else "nobody@example.com"
    first = ask_reset(client, email, REMOTE_ADDR=ADDRESSES[0])
    second = ask_reset(client, email.upper(), REMOTE_ADDR=ADDRESSES[1])
    assert [first.status_code, second.status_code] == [202, 202]

    refused = ask_reset(client, email, REMOTE_ADDR=ADDRESSES[2])

    assert (refused.status_code, refused.json) == (429, BY_EMAIL)
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert ask_reset(client, "other@example.com", REMOTE_ADDR=ADDRESSES[2]).status_code == 202


@pytest.mark.parametrize("app_config", [{"PASSWORD_RESET_CONFIRM_RATE_LIMIT": "2 per minute"}])
def test_confirmations_per_address(client, make_user):
    assert confirm(client, "1.x").json == INVALID_TOKEN
    assert confirm(client, "2.x", password="short").status_code == 422  # every attempt counts

    refused = confirm(client, "3.x")

    assert (refused.status_code, refused.json) == (429, CONFIRMATIONS)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert confirm(client, "3.x", REMOTE_ADDR=ADDRESSES[0]).json == INVALID_TOKEN


# --- OpenAPI ----------------------------------------------------------------------------------------


def schema_of(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_request_is_documented(spec):
    operation = spec["paths"][REQUEST]["post"]
    assert (operation["operationId"], operation["tags"]) == ("requestPasswordReset", ["Auth"])
    assert set(operation["responses"]) - {"default"} == {"202", "413", "415", "422", "429"}
    accepted = operation["responses"]["202"]
    assert accepted["content"]["application/json"]["example"] == {
        "message": "If that address belongs to an account, a reset link is on its way to it."
    }
    assert set(accepted["headers"]) == {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    body = schema_of(spec, operation)
    assert body["required"] == ["email"]
    assert body["properties"]["email"] == {
        "type": "string",
        "format": "email",
        "maxLength": 254,
        "pattern": ASCII_EMAIL.regex.pattern,
        "description": f"The email address of the account. {EMAIL_RULES}",
        "example": "alice@example.com",
    }


def test_confirm_is_documented(spec):
    operation = spec["paths"][CONFIRM]["post"]
    assert (operation["operationId"], operation["tags"]) == ("confirmPasswordReset", ["Auth"])
    assert set(operation["responses"]) - {"default"} == {"200", "413", "415", "422", "429"}
    assert operation["responses"]["422"]["content"]["application/json"]["example"] == INVALID_TOKEN
    assert "security" not in operation  # the token of the mail is the credential
    body = schema_of(spec, operation)
    assert sorted(body["required"]) == ["password", "token"]
    assert body["properties"]["token"]["maxLength"] == 128
    password = body["properties"]["password"]
    assert (password["minLength"], password["maxLength"], password["writeOnly"]) == (8, 128, True)
