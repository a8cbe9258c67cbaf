"""The manage pages as an admin meets them: a real server, headless Chromium with JavaScript OFF.

Sign in (after the refusals), ban a user, hide a board, act on a case, read the audit log, sign
out; a form posted without its CSRF token changes nothing. Controls are found by their names, as
a person finds them. Screenshots land in test-artifacts/ (docs/images/ keeps copies for
docs/moderation.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import CHROMIUM_ARGS, flask_command
from tests.e2e.support import ARTIFACTS, RecordedPage, is_local
from tests.servers import post_json

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"manage-{name}.png", full_page=True)


@pytest.fixture(scope="module")
def cast(server: str, server_env: dict[str, str]) -> dict[str, Any]:
    """An admin, a user who will be banned, a writer whose board is reported by five readers."""
    tag = uuid.uuid4().hex[:6]
    names = {
        role: f"{role}_{tag}" for role in ("admin", "spammer", "writer", *(f"reader{n}" for n in range(5)))
    }
    tokens = {}
    for role, name in names.items():
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        status, _ = post_json(f"{server}/auth/register", body)
        assert status == 201
        status, login = post_json(f"{server}/auth/login", {"username": name, "password": PASSWORD})
        tokens[role] = login["access_token"]
    flask_command(server_env, "users", "make-admin", names["admin"])
    status, hide_me = post_json(f"{server}/boards", {"title": f"Buy cheap pills {tag}"}, tokens["writer"])
    status, reported = post_json(f"{server}/boards", {"title": f"A heated debate {tag}"}, tokens["writer"])
    for n in range(2):
        status, _ = post_json(
            f"{server}/boards/{reported['id']}/reports", {"reason": "abuse"}, tokens[f"reader{n}"]
        )
        assert status == 201
    return {"names": names, "tag": tag, "hide_me": hide_me, "reported": reported}


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[RecordedPage]:
    """A page with JavaScript off; a request for another host fails the test and never leaves."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    context.set_default_timeout(15_000)
    requested: list[str] = []
    context.on("request", lambda req: requested.append(req.url))
    context.route(lambda url: not is_local(url, server), lambda route: route.abort("blockedbyclient"))
    recorded = RecordedPage(context.new_page(), server, requested)
    try:
        yield recorded
        assert recorded.foreign_requests() == []
    finally:
        context.close()


def sign_in(page: Page, server: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server}/manage/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def flash(page: Page) -> str:
    return page.locator("p.flash").first.inner_text()


def test_an_admin_signs_in_bans_hides_acts_reads_the_log_and_signs_out(
    page: RecordedPage, server: str, cast: dict[str, Any]
) -> None:
    p, names, tag = page.page, cast["names"], cast["tag"]
    assert CHROMIUM_ARGS  # the same Chromium as the Swagger UI test

    sign_in(p, server, names["admin"], "not the password")
    assert flash(p) == "Wrong username or password."
    sign_in(p, server, names["writer"])
    assert flash(p) == "Only administrators can sign in here."
    shot(p, "sign-in-refused")
    sign_in(p, server, names["admin"])
    p.get_by_role("heading", name="Dashboard").wait_for()
    assert p.locator("dt", has_text="Open cases").count() == 1
    shot(p, "dashboard")

    # Ban: find the user, give a reason.
    p.get_by_role("link", name="Users").click()
    p.get_by_label("Search").fill(names["spammer"])
    p.get_by_role("button", name="Search").click()
    row = p.get_by_role("row", name=names["spammer"])
    row.get_by_label("Reason").fill("Posting spam links.")
    row.get_by_role("button", name="Ban").click()
    assert flash(p) == f"{names['spammer']} is banned."
    assert p.get_by_role("row", name=names["spammer"]).get_by_role("button", name="Unban").count() == 1
    shot(p, "users")
    status, refused = post_json(f"{server}/auth/login", {"username": names["spammer"], "password": PASSWORD})
    assert (status, refused["error"]) == (403, "banned")

    # Hide a board, from the list of boards.
    p.get_by_role("link", name="Boards").click()
    p.get_by_label("Search").fill(f"pills {tag}")
    p.get_by_role("button", name="Search").click()
    p.get_by_role("row", name=cast["hide_me"]["title"]).get_by_role("button", name="Hide").click()
    assert flash(p) == f"Board {cast['hide_me']['id']} hidden."
    hidden_row = p.get_by_role("row", name=cast["hide_me"]["title"])
    assert hidden_row.get_by_role("cell", name="Hidden").count() == 1
    assert hidden_row.get_by_role("button", name="Restore").count() == 1
    shot(p, "boards")
    hidden_row.get_by_role("button", name="Restore").click()
    assert flash(p) == f"Board {cast['hide_me']['id']} restored."

    # Act on a case: the reported board's reports are dismissed.
    p.get_by_role("link", name="Cases", exact=True).click()
    case_row = p.get_by_role("row", name=cast["reported"]["title"])
    assert case_row.get_by_role("cell", name="abuse 2").count() == 1
    shot(p, "cases")
    case_row.get_by_role("button", name="Dismiss").click()
    assert flash(p).endswith("its reports are dismissed.")
    assert p.get_by_role("row", name=cast["reported"]["title"]).count() == 0

    p.get_by_role("link", name="Audit log").click()
    actions = p.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert actions[:4] == ["dismiss", "restore", "hide", "ban"]
    shot(p, "audit-log")

    p.get_by_role("button", name="Sign out").click()
    assert flash(p) == "Signed out."
    p.goto(f"{server}/manage/")
    p.get_by_role("button", name="Sign in").wait_for()  # back at the sign-in form


def test_a_form_posted_without_its_csrf_token_changes_nothing(
    page: RecordedPage, server: str, cast: dict[str, Any]
) -> None:
    p, names = page.page, cast["names"]
    sign_in(p, server, names["admin"])
    p.get_by_role("link", name="Users").click()
    p.get_by_label("Search").fill(names["reader4"])
    p.get_by_role("button", name="Search").click()
    form = p.get_by_role("row", name=names["reader4"]).locator("form")
    action = form.get_attribute("action")
    # The browser's own cookies, the form's fields, but no token: as a forged cross-site post.
    response = p.context.request.post(
        f"{server}{action}", form={"reason": "Forged.", "next": "/manage/users"}
    )
    assert response.status == 400
    assert "The CSRF token is missing." in response.text()
    status, _ = post_json(f"{server}/auth/login", {"username": names["reader4"], "password": PASSWORD})
    assert status == 200  # not banned
    p.reload()
    assert p.get_by_role("row", name=names["reader4"]).get_by_role("button", name="Ban").count() == 1
