"""Swagger UI as a first-time user meets it: a real server, a real headless Chromium, no network.

A person registers and logs in through "Try it out", pastes the access token into Authorize,
creates a board, lists it, reloads the page and is still authorized. The page must never ask
any host but the server for anything (the service has to work offline).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.support import ARTIFACTS, RecordedPage

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.e2e

SCREENSHOT = ARTIFACTS / "swagger-ui-board-created.png"
SCREENSHOT_OPERATION = ARTIFACTS / "swagger-ui-board-created-operation.png"


@dataclass
class LiveResponse:
    """What Swagger UI shows under "Server response" after Execute."""

    status: int
    text: str
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def open_swagger_ui(page: Page, server: str) -> None:
    page.goto(f"{server}/swagger-ui")
    page.locator("#operations-Auth-register").wait_for()


def try_it_out(page: Page, operation_id: str) -> Locator:
    """Expand an operation and press "Try it out", as a person would."""
    operation = page.locator(f"#operations-{operation_id}")
    operation.locator(".opblock-summary-control").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").wait_for()
    return operation


def collapse(operation: Locator) -> None:
    operation.locator(".opblock-summary-control").click()
    operation.locator(".opblock-body").wait_for(state="detached")


def request_body(operation: Locator) -> dict[str, Any]:
    """The JSON body Swagger UI proposes in its editable textarea."""
    return json.loads(operation.locator("textarea.body-param__text").input_value())


def execute(operation: Locator, body: dict[str, Any] | None = None) -> LiveResponse:
    if body is not None:
        operation.locator("textarea.body-param__text").fill(json.dumps(body, indent=2))
    row = operation.locator(".live-responses-table tr.response")
    if row.count():
        # Clear the previous answer first, so that we cannot read it as the new one.
        operation.locator("button.btn-clear").click()
        row.wait_for(state="detached")
    operation.locator("button.execute").click()
    row.wait_for()
    headers = {}
    for line in row.locator(".headerline").all_inner_texts():
        name, _, value = line.strip().partition(": ")
        headers[name.lower()] = value
    return LiveResponse(
        status=int(row.locator(".response-col_status").inner_text()),
        text=row.locator(".highlight-code pre").inner_text(),
        headers=headers,
    )


def authorize(page: Page, token: str, scheme: str = "bearerAuth") -> None:
    """Paste a token into one scheme of the Authorize dialog (bearerAuth or refreshAuth)."""
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    container = dialog.locator(".auth-container", has=page.locator("h4", has_text=scheme))
    container.locator("#auth-bearer-value").fill(token)
    container.locator("button.modal-btn.authorize").click()
    # Once the credentials are applied, Swagger UI says so and offers Logout instead.
    container.locator("h6", has_text="Authorized").wait_for()
    container.get_by_role("button", name="Remove authorization").wait_for()
    dialog.locator("button.btn-done").first.click()
    dialog.wait_for(state="detached")


def assert_still_authorized(page: Page) -> None:
    # The padlock of the Authorize button is closed, and the dialog shows the stored token.
    page.locator(".auth-wrapper button.authorize.locked").click()
    dialog = page.locator(".modal-ux")
    # Both schemes hold their token: no empty field asking for one.
    assert dialog.locator("h6", has_text="Authorized").count() == 2
    assert dialog.locator("#auth-bearer-value").count() == 0
    dialog.locator("button.btn-done").first.click()
    dialog.wait_for(state="detached")


def test_a_person_registers_logs_in_authorizes_and_posts_a_board(
    recorded_page: RecordedPage, server: str
) -> None:
    page = recorded_page.page
    open_swagger_ui(page, server)
    username = f"e2e_{uuid.uuid4().hex[:8]}"

    register = try_it_out(page, "Auth-register")
    proposed = request_body(register)
    assert set(proposed) == {"username", "email", "password"}
    account = {**proposed, "username": username, "email": f"{username}@example.com"}
    registered = execute(register, account)
    assert registered.status == 201, registered.text
    assert registered.json == {
        "id": registered.json["id"],
        "username": username,
        "email": f"{username}@example.com",
        "is_admin": False,
        "created_at": registered.json["created_at"],
        "follower_count": 0,
        "following_count": 0,
    }
    collapse(register)

    login = try_it_out(page, "Auth-login")
    proposed_login = request_body(login)
    assert set(proposed_login) == {"username", "password"}
    logged_in = execute(login, {**proposed_login, "username": username, "password": account["password"]})
    assert logged_in.status == 200, logged_in.text
    tokens = logged_in.json
    assert tokens["token_type"] == "Bearer"
    collapse(login)

    authorize(page, tokens["access_token"])
    authorize(page, tokens["refresh_token"], "refreshAuth")

    create = try_it_out(page, "Boards-createBoard")
    title = f"Hello from Chromium, {username}"
    with page.expect_request(lambda r: r.method == "POST" and r.url == f"{server}/boards") as sent:
        created = execute(create, {**request_body(create), "title": title})
    assert sent.value.headers["authorization"] == f"Bearer {tokens['access_token']}"
    assert created.status == 201, created.text
    board = created.json
    assert (board["title"], board["author"]) == (title, {"id": registered.json["id"], "username": username})
    assert created.headers["location"] == f"{server}/boards/{board['id']}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)
    create.screenshot(path=SCREENSHOT_OPERATION)

    listing = try_it_out(page, "Boards-listBoards")
    listed = execute(listing)
    assert listed.status == 200, listed.text
    # Newest first; Swagger UI sent the authorized token, so the reader's own marks come along.
    assert listed.json[0] == {**board, "liked": False, "scrapped": False}
    pagination = json.loads(listed.headers["x-pagination"])
    assert (pagination["total"], pagination["page"]) == (len(listed.json), 1)

    # persistAuthorization: the token survives a reload, and Try it out still sends it.
    page.reload()
    page.locator("#operations-Auth-getCurrentUser").wait_for()
    assert_still_authorized(page)
    me = execute(try_it_out(page, "Auth-getCurrentUser"))
    assert me.status == 200, me.text
    assert me.json["username"] == username

    # POST /auth/refresh sends the refresh token from its own scheme; the other operations keep
    # sending the access token.
    with page.expect_request(lambda r: r.url == f"{server}/auth/refresh") as sent:
        refreshed = execute(try_it_out(page, "Auth-refreshTokens"))
    assert sent.value.headers["authorization"] == f"Bearer {tokens['refresh_token']}"
    assert refreshed.status == 200, refreshed.text
    assert set(refreshed.json) == {"access_token", "refresh_token", "token_type", "expires_in"}

    # Logging out with the proposed (empty) body revokes the token Swagger UI keeps sending.
    logged_out = execute(try_it_out(page, "Auth-logout"))
    assert logged_out.status == 200, logged_out.text
    revoked = execute(page.locator("#operations-Auth-getCurrentUser"))
    assert revoked.status == 401
    assert revoked.json["error"] == "token_revoked"

    requested = recorded_page.requested
    assert f"{server}/openapi.json" in requested and f"{server}/boards" in requested, requested
    assert recorded_page.foreign_requests() == []


# Runs in the page, on the document Swagger UI loaded: the browser's own RegExp decides whether
# every example satisfies its schema's pattern (OpenAPI patterns are ECMA-262, not Python `re`).
CHECK_EXAMPLES_JS = """() => {
  const spec = window.ui.specSelectors.specJson().toJS();
  const problems = [];
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    for (const [field, prop] of Object.entries(schema.properties || {})) {
      if (prop.example === undefined || typeof prop.example !== "string") continue;
      const where = `${name}.${field} example ${JSON.stringify(prop.example)}`;
      if (prop.pattern) {
        let regex;
        try { regex = new RegExp(prop.pattern, "u"); }
        catch (error) { problems.push(`${name}.${field} pattern: ${error.message}`); continue; }
        if (!regex.test(prop.example)) problems.push(`${where} does not match ${prop.pattern}`);
      }
      if (prop.minLength !== undefined && prop.example.length < prop.minLength)
        problems.push(`${where} is shorter than ${prop.minLength}`);
      if (prop.maxLength !== undefined && prop.example.length > prop.maxLength)
        problems.push(`${where} is longer than ${prop.maxLength}`);
    }
  }
  return problems;
}"""


def test_the_page_introduces_the_api_and_its_examples_hold_in_the_browser(
    recorded_page: RecordedPage, server: str
) -> None:
    page = recorded_page.page
    open_swagger_ui(page, server)

    title = page.locator(".info .title").inner_text()
    assert title.startswith("Board API") and "1.0.0" in title
    description = page.locator(".info .description").inner_text()
    for hint in ("POST /auth/login", "Authorize", "access_token", "Bearer", "token_expired"):
        assert hint in description
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".information-container").screenshot(path=ARTIFACTS / "swagger-ui-description.png")

    tags = page.locator(".opblock-tag")
    assert tags.evaluate_all("els => els.map(e => e.dataset.tag)") == [
        "Auth",
        "Users",
        "Boards",
        "Comments",
        "Messages",
        "Forums",
        "Moderation",
        "Health",
    ]
    assert all(text.strip() for text in page.locator(".opblock-tag small").all_inner_texts())

    assert page.evaluate(CHECK_EXAMPLES_JS) == []
    assert recorded_page.foreign_requests() == []


def test_a_request_for_another_host_is_caught(recorded_page: RecordedPage, server: str) -> None:
    # The offline checks above mean something only if the recorder sees such a request.
    page = recorded_page.page
    open_swagger_ui(page, server)
    foreign = "http://cdn.example.invalid/swagger-ui.css"
    assert page.evaluate(f"fetch({foreign!r}).then(() => 'loaded', () => 'blocked')") == "blocked"
    assert recorded_page.foreign_requests() == [foreign]
