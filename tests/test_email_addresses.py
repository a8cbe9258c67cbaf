"""An email address is taken only when mail can reach it: non-ASCII addresses are refused (422 on
`email`) wherever an address comes in, and every address that is taken gets its mail through a
real SMTP server, odd ones included (review finding: a full-width address registered, and every
reset mail to it crashed the mail job)."""

from __future__ import annotations

from typing import Any

import pytest

from ops.mailer import outbox
from tests.conftest import PASSWORD
from tests.smtp_server import SmtpServer, mail_config
from tests.support import validation_error

ONLY_ASCII = (
    "Only ASCII characters: mail cannot be delivered to other addresses. Write an internationalised"
    " domain in its ASCII form (xn--…)."
)
NON_ASCII = [
    "\uff42\uff4f\uff42@example.com",  # "bob" in full-width letters
    "bob@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",  # a full-width domain, "example.com" to IDNA 2003
    "josé@example.com",
    "bob@bücher.example",
    "bob@straße.example",  # IDNA 2003 would send it to strasse.example
]


@pytest.fixture
def app_config(smtp: SmtpServer) -> dict[str, Any]:
    return mail_config(smtp)


@pytest.mark.parametrize("address", NON_ASCII)
def test_a_non_ascii_address_is_refused_everywhere(client, make_user, make_admin, address):
    alice, admin = make_user("alice"), make_admin("root")
    refused = validation_error("json", {"email": [ONLY_ASCII]})
    attempts = {
        "register": client.post(
            "/auth/register", json={"username": "bob", "email": address, "password": PASSWORD}
        ),
        "own change": client.patch(
            f"/users/{alice['id']}",
            json={"email": address, "current_password": PASSWORD},
            headers=alice["headers"],
        ),
        "admin's change": client.patch(
            f"/users/{alice['id']}", json={"email": address}, headers=admin["headers"]
        ),
        "reset request": client.post("/auth/password-reset", json={"email": address}),
    }
    for name, response in attempts.items():
        assert (response.status_code, response.json) == (422, refused), name
    profile = client.get(f"/users/{alice['id']}", headers=alice["headers"]).json
    assert profile["email"] == "alice@example.com"
    assert [user["username"] for user in client.get("/users").json] == ["alice", "root"]


@pytest.mark.parametrize(
    "address",
    [
        "bob@xn--bcher-kva.example",  # an internationalised domain in its ASCII form
        "o'hara+tag@example.com",
        "bob@[127.0.0.1]",
        "bob@localhost",
    ],
)
def test_every_address_taken_gets_its_mail(client, smtp, address):
    registered = client.post(
        "/auth/register", json={"username": "bob", "email": address, "password": PASSWORD}
    )
    assert (registered.status_code, registered.json["email"]) == (201, address)

    assert client.post("/auth/password-reset", json={"email": address}).status_code == 202
    outbox.wait_idle()

    (mail,) = smtp.inbox.wait_for(1)
    assert smtp.inbox.envelopes == [("no-reply@localhost", [address])]
    assert mail["Subject"] == "Reset your Board API password"
