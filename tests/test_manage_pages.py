"""The manage pages with Flask's test client: sign-in and its refusals, the session cookie, CSRF,
the pages' actions (through the API's own services), errors as HTML under /manage only.

The same pages in a real browser with JavaScript off: tests/e2e/test_manage_pages.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, make_app
from tests.support import create_board
from tests.support_moderation import hidden, report, stored_cases

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def admin(make_admin) -> dict[str, Any]:
    return make_admin("root")


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    """A second client with its own cookies: the admin's browser."""
    return app.test_client()


def csrf_token(browser: FlaskClient, path: str = "/manage/sign-in") -> str:
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return TOKEN.search(page.text)[1]


def sign_in(browser: FlaskClient, username: str = "root", password: str = PASSWORD) -> Any:
    token = csrf_token(browser)
    return browser.post(
        "/manage/sign-in", data={"username": username, "password": password, "csrf_token": token}
    )


def post_form(browser: FlaskClient, path: str, page: str, **fields: str) -> Any:
    """Press a button of `page` that posts to `path`, with the page's CSRF token, and follow."""
    token = csrf_token(browser, page)
    return browser.post(path, data={"csrf_token": token, "next": page, **fields}, follow_redirects=True)


def is_html(response: Any) -> bool:
    return response.mimetype == "text/html" and response.text.lstrip().startswith("<!doctype html>")


def test_every_page_but_sign_in_needs_an_admin(browser):
    for path in ("/manage/", "/manage/users", "/manage/boards", "/manage/cases", "/manage/log"):
        response = browser.get(path)
        assert (response.status_code, response.location) == (302, "/manage/sign-in"), path
    page = browser.get("/manage/sign-in")
    assert page.status_code == 200 and is_html(page)
    for control in (
        '<label for="username">Username</label>',
        '<label for="password">Password</label>',
        '<button type="submit">Sign in</button>',
    ):
        assert control in page.text


def test_the_session_cookie_is_httponly_lax_and_scoped_to_the_pages(browser, admin):
    response = sign_in(browser)
    assert (response.status_code, response.location) == (303, "/manage/")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("manage_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/manage" in cookie
    assert "Secure" not in cookie  # development serves plain HTTP


def test_in_production_the_cookie_is_secure(database_url):
    app = make_app(database_url, APP_ENV="production")
    response = app.test_client().get("/manage/sign-in")
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_api_never_sets_or_reads_a_cookie(client, browser, admin, make_user):
    sign_in(browser)
    user = make_user()
    for response in (
        client.post("/auth/login", json={"username": "root", "password": PASSWORD}),
        client.get("/boards"),
        client.post("/boards", json={"title": "No CSRF token needed"}, headers=user["headers"]),
    ):
        assert "Set-Cookie" not in response.headers
        assert response.status_code in (200, 201)
    # The admin's session cookie is no credential of the API.
    cookie = browser.get_cookie("manage_session", path="/manage")
    client.set_cookie("manage_session", cookie.value)
    assert client.get("/moderation/cases").status_code == 401


@pytest.mark.parametrize(
    ("username", "password", "status", "message"),
    [
        ("root", "wrong password", 401, "Wrong username or password."),
        ("nobody", PASSWORD, 401, "Wrong username or password."),
        ("bob", PASSWORD, 403, "Only administrators can sign in here."),
        ("root", "", 401, "Wrong username or password."),
    ],
)
def test_refused_sign_ins_say_why_on_the_page(browser, admin, bob, username, password, status, message):
    response = sign_in(browser, username, password)
    assert response.status_code == status
    assert is_html(response)
    assert f'<p class="flash error" role="alert">{message}</p>' in response.text
    assert browser.get("/manage/").status_code == 302  # not signed in


def test_a_banned_admin_cannot_sign_in(client, browser, make_admin, admin):
    other = make_admin("other_admin")
    client.put(f"/users/{other['id']}/ban", json={"reason": "Rogue."}, headers=admin["headers"])
    response = sign_in(browser, "other_admin")
    assert response.status_code == 403
    assert "This account is banned: Rogue." in response.text


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "2 per minute"}])
def test_sign_ins_count_against_the_login_rate_limit(client, browser, admin):
    # One failed API login and one failed sign-in spend the same budget of the account.
    assert client.post("/auth/login", json={"username": "root", "password": "wrong"}).status_code == 401
    assert sign_in(browser, password="wrong").status_code == 401
    limited = sign_in(browser)
    assert limited.status_code == 429
    assert is_html(limited)
    assert "Too many failed sign-ins" in limited.text or "Too many failed logins" in limited.text
    assert int(limited.headers["Retry-After"]) >= 1
    assert client.post("/auth/login", json={"username": "root", "password": PASSWORD}).status_code == 429


def test_a_form_without_its_csrf_token_changes_nothing(app, browser, admin, bob):
    no_token = browser.post("/manage/sign-in", data={"username": "root", "password": PASSWORD})
    assert no_token.status_code == 400 and is_html(no_token)
    assert "The CSRF token is missing." in no_token.text
    assert browser.get("/manage/").status_code == 302

    sign_in(browser)
    csrf_token(browser, "/manage/users")  # a page of the new session holds its token
    forged = browser.post(f"/manage/users/{bob['id']}/ban", data={"reason": "Forged."})
    assert forged.status_code == 400 and "The CSRF token is missing." in forged.text
    wrong = browser.post(f"/manage/users/{bob['id']}/ban", data={"reason": "Forged.", "csrf_token": "x"})
    assert wrong.status_code == 400 and "The CSRF token is invalid." in wrong.text
    assert (
        app.test_client().post("/auth/login", json={"username": "bob", "password": PASSWORD}).status_code
        == 200
    )


def test_the_dashboard_counts(client, browser, admin, alice, bob, board, comment):
    report(client, bob, "board", board["id"])
    sign_in(browser)
    page = browser.get("/manage/")
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page.text))
    assert counts == {"Users": "3", "Boards": "1", "Comments": "1", "Open cases": "1"}
    for link in ("Dashboard", "Users", "Boards", "Cases", "Audit log"):
        assert f">{link}</a>" in page.text
    assert '<button type="submit">Sign out</button>' in page.text


def test_users_are_found_by_name_or_email_and_banned_with_a_reason(app, client, browser, admin, alice, bob):
    sign_in(browser)
    found = browser.get("/manage/users?q=BOB")
    assert (
        '<label for="q">Search</label>' in found.text
        and '<button type="submit">Search</button>' in found.text
    )
    assert ">bob</th>" in found.text and ">alice</th>" not in found.text
    assert ">alice</th>" in browser.get("/manage/users?q=alice@example").text
    assert "No user found." in browser.get("/manage/users?q=%25").text  # % is no wildcard

    banned = post_form(browser, f"/manage/users/{bob['id']}/ban", "/manage/users?q=bob", reason="Spam links.")
    assert "bob is banned." in banned.text and "Banned: Spam links." in banned.text
    assert '<button type="submit" class="unban">Unban</button>' in banned.text
    login = client.post("/auth/login", json={"username": "bob", "password": PASSWORD})
    assert (login.status_code, login.json["error"]) == (403, "banned")

    lifted = post_form(browser, f"/manage/users/{bob['id']}/unban", "/manage/users?q=bob")
    assert "bob is no longer banned." in lifted.text
    assert client.post("/auth/login", json={"username": "bob", "password": PASSWORD}).status_code == 200

    empty = post_form(browser, f"/manage/users/{bob['id']}/ban", "/manage/users", reason="")
    assert "Reason: Length must be between 1 and 500." in empty.text
    self_ban = post_form(browser, f"/manage/users/{admin['id']}/ban", "/manage/users", reason="Me.")
    assert "You cannot ban yourself." in self_ban.text
    actions = [entry["action"] for entry in client.get("/moderation/log", headers=admin["headers"]).json]
    assert actions == ["unban", "ban"]


def test_boards_are_hidden_restored_and_deleted(app, client, browser, admin, alice, board):
    other = create_board(client, alice, title="Another one")
    sign_in(browser)
    listed = browser.get("/manage/boards?q=alice")
    assert ">Alice&#39;s board</th>" in listed.text and ">Another one</th>" not in listed.text

    hid = post_form(browser, f"/manage/boards/{board['id']}/hide", "/manage/boards?q=alice")
    assert f"Board {board['id']} hidden." in hid.text
    assert hidden(app, "board", board["id"]) is True
    assert stored_cases(app) == [("board", board["id"], "hidden", 0, 0)]  # a case without reports
    assert '<button type="submit" class="restore">Restore</button>' in hid.text

    post_form(browser, f"/manage/boards/{board['id']}/restore", "/manage/boards")
    assert hidden(app, "board", board["id"]) is False
    post_form(browser, f"/manage/boards/{other['id']}/delete", "/manage/boards")
    assert client.get(f"/boards/{other['id']}").status_code == 404
    gone = post_form(browser, f"/manage/boards/{other['id']}/hide", "/manage/boards")
    assert f"Board {other['id']} not found." in gone.text
    actions = [entry["action"] for entry in client.get("/moderation/log", headers=admin["headers"]).json]
    assert actions == ["delete", "restore", "hide"]


def test_cases_are_acted_on_and_the_log_shows_it(app, client, browser, admin, bob, board):
    report(client, bob, "board", board["id"], "abuse")
    sign_in(browser)
    cases = browser.get("/manage/cases")
    assert ">Alice&#39;s board" in cases.text and "abuse 1" in cases.text
    for button in ("Hide", "Dismiss", "Delete"):
        assert f">{button}</button>" in cases.text
    dismissed = post_form(browser, "/manage/cases/1/dismiss", "/manage/cases")
    assert "Case 1: its reports are dismissed." in dismissed.text and "No open case." in dismissed.text
    refused = post_form(browser, "/manage/cases/1/restore", "/manage/cases")
    assert "Case 1: its item is restored." in refused.text
    log = browser.get("/manage/log")
    assert log.text.count(">root</th>") == 2 and "case 1" in log.text


def test_the_form_goes_back_only_to_a_manage_page(browser, admin, bob):
    sign_in(browser)
    token = csrf_token(browser, "/manage/users")
    for target in ("https://example.com/", "//example.com/manage/", "/boards"):
        response = browser.post(
            f"/manage/users/{bob['id']}/unban", data={"csrf_token": token, "next": target}
        )
        assert response.location == "/manage/", target


def test_signing_out_ends_the_session_and_its_copies(browser, app, admin):
    sign_in(browser)
    cookie = browser.get_cookie("manage_session", path="/manage").value
    token = csrf_token(browser, "/manage/")
    out = browser.post("/manage/sign-out", data={"csrf_token": token}, follow_redirects=True)
    assert "Signed out." in out.text and '<button type="submit">Sign in</button>' in out.text
    assert browser.get("/manage/").status_code == 302
    copy = app.test_client()
    copy.set_cookie("manage_session", cookie, path="/manage")
    assert copy.get("/manage/").status_code == 302


def test_losing_admin_rights_or_logging_out_everywhere_ends_the_session(app, client, browser, admin):
    sign_in(browser)
    assert browser.get("/manage/").status_code == 200
    client.post("/auth/logout-all", headers=admin["headers"])
    assert browser.get("/manage/").status_code == 302
    sign_in(browser)
    assert browser.get("/manage/").status_code == 200
    app.test_cli_runner().invoke(args=["users", "make-admin", "--revoke", "root"])
    assert browser.get("/manage/").status_code == 302


def test_errors_under_manage_are_pages_and_json_elsewhere(app, client, browser, admin):
    sign_in(browser)
    missing = browser.get("/manage/nowhere")
    assert missing.status_code == 404 and is_html(missing)
    assert "404 Not Found" in missing.text and "Back to the dashboard" in missing.text
    wrong_method = browser.put("/manage/users")
    assert wrong_method.status_code == 405 and is_html(wrong_method)
    too_big = browser.post("/manage/sign-out", data={"x": "y" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert too_big.status_code == 413 and is_html(too_big)
    for response in (client.get("/nowhere"), client.put("/boards"), client.get("/manage-not")):
        assert response.mimetype == "application/json" and response.json["code"] in (404, 405)
    assert "Content-Security-Policy" in missing.headers
    assert "Content-Security-Policy" not in client.get("/boards").headers


def test_a_server_error_under_manage_is_a_page(app, browser, admin, monkeypatch):
    sign_in(browser)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("services.manage.dashboard", broken)
    response = browser.get("/manage/")
    assert response.status_code == 500 and is_html(response)
    assert "boom" not in response.text and "500 Internal Server Error" in response.text


def test_pages_load_nothing_from_another_host(browser, admin, bob, board):
    sign_in(browser)
    for path in (
        "/manage/",
        "/manage/users",
        "/manage/boards",
        "/manage/cases",
        "/manage/log",
        "/manage/sign-in",
    ):
        page = browser.get(path)
        assert not re.search(r'(src|href|action)="(https?:)?//', page.text), path
        assert "<script" not in page.text
    with browser.get("/manage/static/manage.css") as css:
        assert (css.status_code, css.mimetype, css.get_data()[:2]) == (200, "text/css", b"/*")


def test_the_pages_are_not_in_the_openapi_document(client):
    assert not [path for path in client.get("/openapi.json").json["paths"] if path.startswith("/manage")]
