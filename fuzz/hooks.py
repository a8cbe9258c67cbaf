"""schemathesis hooks for `make fuzz`: every case runs with a real, currently valid token.

The fuzzer itself logs out, logs out everywhere, renames, deletes and rotates with the very token
it is given, so a fixed header would turn most of the run into 401s. Instead the auth provider
hands out the current token of a real user, and an after_call hook notices when a response
revoked it (or the user), so that the next case logs in again, or registers a new user.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from schemathesis.specs.openapi.checks import ensure_resource_availability

BASE_URL = os.environ["FUZZ_BASE_URL"]
PASSWORD = "fuzzing is fun 123"
_serial = itertools.count(1)
# Operations whose success leaves the current token revoked or its login name changed.
STALE_AFTER = {
    ("POST", "/auth/logout"),
    ("POST", "/auth/logout-all"),
    ("PATCH", "/users/{user_id}"),
    ("DELETE", "/users/{user_id}"),
}


@dataclass
class FuzzUser:
    username: str = ""
    access_token: str = ""
    refresh_token: str = ""
    stale: bool = True
    logins: int = 0
    registrations: int = 0
    issued: set[str] = field(default_factory=set)
    # Tokens of the users the fuzzer deleted (DELETE /users/<id> on itself): what they created
    # went with them.
    deleted: set[str] = field(default_factory=set)
    _own: set[str] = field(default_factory=set)

    def renew(self) -> None:
        if not self.username or not self._login():
            self.username = f"fuzz_{os.getpid()}_{next(_serial)}"
            self._own = set()
            response = requests.post(
                f"{BASE_URL}/auth/register",
                json={
                    "username": self.username,
                    "email": f"{self.username}@example.com",
                    "password": PASSWORD,
                },
                timeout=30,
            )
            response.raise_for_status()
            self.registrations += 1
            if not self._login():
                raise RuntimeError(f"cannot log in as the user just registered: {self.username}")
        self.stale = False

    def _login(self) -> bool:
        response = requests.post(
            f"{BASE_URL}/auth/login", json={"username": self.username, "password": PASSWORD}, timeout=30
        )
        if response.status_code != 200:
            return False
        self.adopt(response.json())
        self.logins += 1
        return True

    def adopt(self, tokens: dict[str, Any]) -> None:
        self.access_token, self.refresh_token = tokens["access_token"], tokens["refresh_token"]
        self.issued.update((self.access_token, self.refresh_token))
        self._own.update((self.access_token, self.refresh_token))

    def deleted_itself(self) -> None:
        self.deleted |= self._own
        self.stale = True


USER = FuzzUser()


@schemathesis.auth(refresh_interval=None)
class CurrentToken:
    """The refresh token for POST /auth/refresh, the access token everywhere else."""

    def get(self, case: Any, context: Any) -> str:
        if USER.stale:
            USER.renew()
        return USER.refresh_token if context.operation.path == "/auth/refresh" else USER.access_token

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    sent = (response.request.headers.get("Authorization") or "").removeprefix("Bearer ")
    if sent not in USER.issued:
        return
    body = _json(response.content)
    path, status = case.operation.path, response.status_code
    if (case.method, path, status) == ("POST", "/auth/refresh", 200) and sent == USER.refresh_token:
        USER.adopt(body)  # rotation: the new pair replaces the old one
    elif status == 401 and body.get("error") in {"token_revoked", "user_not_found"}:
        USER.stale = True
    elif (case.method, path, status) == ("DELETE", "/users/{user_id}", 204):
        USER.deleted_itself()  # only an admin may delete another user; the fuzzer is none
    elif status in (200, 204) and (case.method, path) in STALE_AFTER:
        USER.stale = True  # logged out, renamed, given a new password, or deleted: log in afresh


def _json(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@schemathesis.check
def created_resource_availability(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's ensure_resource_availability (a 404 for what a POST just created), but for
    two rightful 404s it cannot know of: its author deleted their account in a later step of the
    scenario (their boards, comments and messages go with them), or the POST's answer was a replay
    of an Idempotency-Key (`Idempotent-Replayed: true`), which names what the key's first request
    created, perhaps deleted since."""
    if response.status_code == 404:
        parent = ctx.internals.find_parent(case_id=case.id)
        created = parent and ctx.internals.find_response(case_id=parent.id)
        if created is not None:
            author = (created.request.headers.get("Authorization") or "").removeprefix("Bearer ")
            if author in USER.deleted or created.headers.get("idempotent-replayed") == ["true"]:
                return None
    return ensure_resource_availability(ctx, response, case)
