"""Moderation over HTTP: reports, cases and their actions, automatic hiding, bans, the audit log.

alice writes `board`, bob comments on it (`comment`), carol looks on (conftest); `admin` acts.
What hiding does to the reads (404, lists, totals, the feed) is the integration's, held by
tests/test_moderation_hiding.py; here, what moderation itself does, counts included.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update

from db import db
from models import User
from tests.conftest import PASSWORD, error
from tests.servers import http, live_server
from tests.support import count_statements, create_board, not_found, pagination, validation_error
from tests.support_comments import delete_comment, post_comment
from tests.support_moderation import (
    act,
    assert_visible_counts_exact,
    board_counters,
    case_id_of,
    hidden,
    report,
    report_rows,
    stored_cases,
)

ISO = "2026-01-01T00:00:00+00:00"  # shape only: timestamps are compared by presence below
FORBIDDEN = error(403, "forbidden", "Only admins may do this.")


@pytest.fixture
def admin(make_admin) -> dict[str, Any]:
    return make_admin("root")


def without_times(body: Any) -> Any:
    """The body with every timestamp replaced by a marker, once checked to be ISO 8601 in UTC."""
    if isinstance(body, list):
        return [without_times(item) for item in body]
    if isinstance(body, dict):
        out = {}
        for key, value in body.items():
            if key.endswith("_at") and value is not None:
                assert datetime.fromisoformat(value).utcoffset() == timedelta(0), (key, value)
                out[key] = ISO
            else:
                out[key] = without_times(value)
        return out
    return body


def case_body(case_id: int, kind: str, item_id: int, status: str = "open", **reasons: int) -> dict[str, Any]:
    counts = {"spam": 0, "abuse": 0, "illegal": 0, "other": 0, **reasons}
    reported = sum(counts.values())
    return {
        "id": case_id,
        "target": {"type": kind, "id": item_id},
        "status": status,
        "report_count": reported,
        "reasons": counts,
        "first_reported_at": ISO if reported else None,
        "last_reported_at": ISO if reported else None,
    }


# Reports ------------------------------------------------------------------------------------


def test_a_first_report_is_201_a_repeat_200_and_the_first_stays(app, client, bob, board):
    first = report(client, bob, "board", board["id"], "spam", "Links to a shop.")
    assert first.status_code == 201
    assert without_times(first.json) == {
        "id": 1,
        "target": {"type": "board", "id": board["id"]},
        "reason": "spam",
        "detail": "Links to a shop.",
        "created_at": ISO,
    }
    again = report(client, bob, "board", board["id"], "abuse", "Changed my mind.")
    assert (again.status_code, again.json) == (200, first.json)
    assert stored_cases(app) == [("board", board["id"], "open", 1, 1)]
    assert report_rows(app) == 1


def test_a_comment_is_reported_like_a_board(app, client, alice, comment):
    response = report(client, alice, "comment", comment["id"], "abuse")
    assert response.status_code == 201
    assert response.json["target"] == {"type": "comment", "id": comment["id"]}
    assert stored_cases(app) == [("comment", comment["id"], "open", 1, 1)]


@pytest.mark.parametrize("kind", ["board", "comment"])
def test_reporting_your_own_item_is_422(client, alice, bob, board, comment, kind):
    author, item = (alice, board) if kind == "board" else (bob, comment)
    response = report(client, author, kind, item["id"])
    message = f"You cannot report your own {kind}."
    assert (response.status_code, response.json) == (
        422,
        {**error(422, "cannot_report_own", message), "errors": {"path": {f"{kind}_id": [message]}}},
    )


@pytest.mark.parametrize("kind", ["board", "comment"])
def test_reporting_what_does_not_exist_is_404(client, carol, board, comment, kind):
    response = report(client, carol, kind, 999)
    assert (response.status_code, response.json) == (404, not_found(f"{kind.capitalize()} 999 not found."))


def test_a_placeholder_cannot_be_reported(client, alice, bob, carol, board, comment):
    post_comment(client, carol, board["id"], "A reply", parent_id=comment["id"])
    delete_comment(client, bob, comment["id"])  # a placeholder stays for the reply
    response = report(client, alice, "comment", comment["id"])
    assert (response.status_code, response.json) == (404, not_found(f"Comment {comment['id']} not found."))


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 1}])
def test_a_hidden_item_is_404_to_reporters_but_its_author_and_admins(client, make_user, admin, bob, board):
    assert report(client, bob, "board", board["id"]).status_code == 201  # hidden at once
    outsider = make_user("dave")
    response = report(client, outsider, "board", board["id"])
    assert (response.status_code, response.json) == (404, not_found(f"Board {board['id']} not found."))
    assert report(client, admin, "board", board["id"]).status_code == 201


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 1}])
def test_comments_of_a_hidden_board_and_replies_of_a_hidden_comment_are_404(
    client, make_user, alice, bob, carol, board, comment
):
    reply = post_comment(client, carol, board["id"], "A reply", parent_id=comment["id"])
    assert report(client, alice, "comment", comment["id"]).status_code == 201  # the thread is hidden
    dave = make_user("dave")
    assert report(client, dave, "comment", reply["id"]).status_code == 404
    assert report(client, bob, "comment", reply["id"]).status_code == 201  # the hidden parent's author
    assert report(client, bob, "board", board["id"]).status_code == 201  # the board is hidden now
    assert report(client, dave, "comment", comment["id"]).status_code == 404


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"reason": ["Missing data for required field."]}),
        ({"reason": "boring"}, {"reason": ["Must be one of: spam, abuse, illegal, other."]}),
        ({"reason": "spam", "detail": "x" * 501}, {"detail": ["Longer than maximum length 500."]}),
        (
            {"reason": "spam", "detail": "a\x00b"},
            {"detail": ["Control characters other than tab and line breaks are not allowed."]},
        ),
        ({"reason": "spam", "extra": 1}, {"extra": ["Unknown field."]}),
        ({"reason": 1}, {"reason": ["Not a valid string."]}),
    ],
)
def test_report_bodies_are_validated(app, client, bob, board, body, errors):
    response = client.post(f"/boards/{board['id']}/reports", json=body, headers=bob["headers"])
    assert (response.status_code, response.json) == (422, validation_error("json", errors))
    assert stored_cases(app) == []


def test_a_report_needs_json_and_a_token(client, bob, board):
    not_json = client.post(f"/boards/{board['id']}/reports", data="reason=spam", headers=bob["headers"])
    assert not_json.status_code == 415
    anonymous = client.post(f"/boards/{board['id']}/reports", json={"reason": "spam"})
    assert anonymous.status_code == 401 and anonymous.json["error"] == "authorization_required"


# Permissions --------------------------------------------------------------------------------


@pytest.fixture
def reported_case(client, bob, board) -> int:
    assert report(client, bob, "board", board["id"]).status_code == 201
    return 1


OPERATIONS = {
    "list cases": lambda c, h, ids: c.get("/moderation/cases", headers=h),
    "read a case": lambda c, h, ids: c.get(f"/moderation/cases/{ids['case']}", headers=h),
    "act on a case": lambda c, h, ids: c.patch(
        f"/moderation/cases/{ids['case']}", json={"action": "dismiss"}, headers=h
    ),
    "read the log": lambda c, h, ids: c.get("/moderation/log", headers=h),
    "ban": lambda c, h, ids: c.put(f"/users/{ids['user']}/ban", json={"reason": "Spam."}, headers=h),
    "unban": lambda c, h, ids: c.delete(f"/users/{ids['user']}/ban", headers=h),
    "report a board": lambda c, h, ids: c.post(
        f"/boards/{ids['board']}/reports", json={"reason": "spam"}, headers=h
    ),
}
ADMIN_STATUS = {"report a board": 201}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("who", ["anonymous", "user", "admin"])
def test_permission_matrix(client, carol, make_user, admin, board, reported_case, operation, who):
    target = make_user("target")
    headers = {"anonymous": {}, "user": carol["headers"], "admin": admin["headers"]}[who]
    ids = {"case": reported_case, "user": target["id"], "board": board["id"]}
    response = OPERATIONS[operation](client, headers, ids)
    if who == "anonymous":
        assert (response.status_code, response.json["error"]) == (401, "authorization_required")
    elif who == "user" and operation != "report a board":
        assert (response.status_code, response.json) == (403, FORBIDDEN)
    else:
        assert response.status_code == ADMIN_STATUS.get(operation, 200), response.json


def test_admin_rights_are_read_from_the_database_not_the_token(app, client, admin, reported_case):
    result = app.test_cli_runner().invoke(args=["users", "make-admin", "--revoke", "root"])
    assert result.exit_code == 0
    response = client.get("/moderation/cases", headers=admin["headers"])
    assert (response.status_code, response.json) == (403, FORBIDDEN)


# Cases --------------------------------------------------------------------------------------


def test_a_case_counts_its_reports_by_reason_and_shows_them(client, make_user, admin, alice, board):
    reporters = [make_user(f"reporter{n}") for n in range(3)]
    for reporter, reason in zip(reporters, ["spam", "spam", "abuse"], strict=True):
        assert (
            report(client, reporter, "board", board["id"], reason, f"from {reporter['username']}").status_code
            == 201
        )
    response = client.get("/moderation/cases/1", headers=admin["headers"])
    assert response.status_code == 200
    expected_reports = [
        {
            "id": n + 1,
            "reporter": {"id": reporter["id"], "username": reporter["username"]},
            "reason": reason,
            "detail": f"from {reporter['username']}",
            "created_at": ISO,
        }
        for n, (reporter, reason) in enumerate(zip(reporters, ["spam", "spam", "abuse"], strict=True))
    ]
    assert without_times(response.json) == {
        **case_body(1, "board", board["id"], spam=2, abuse=1),
        "reports": expected_reports[::-1],
    }
    first, last = response.json["first_reported_at"], response.json["last_reported_at"]
    assert first <= last


def test_a_deleted_reporter_leaves_the_report_without_a_reporter(client, admin, bob, board):
    report(client, bob, "board", board["id"])
    assert client.delete(f"/users/{bob['id']}", headers=admin["headers"]).status_code == 204
    case = client.get("/moderation/cases/1", headers=admin["headers"]).json
    assert case["report_count"] == 1
    assert case["reports"][0]["reporter"] is None


def test_cases_are_listed_by_status_most_reported_first(client, make_user, admin, alice):
    boards = [create_board(client, alice, title=f"Board {n}") for n in range(3)]
    reporters = [make_user(f"reporter{n}") for n in range(3)]
    for board, times in zip(boards, [1, 3, 2], strict=True):
        for reporter in reporters[:times]:
            report(client, reporter, "board", board["id"])
    response = client.get("/moderation/cases", headers=admin["headers"])
    assert [case["target"]["id"] for case in response.json] == [
        boards[1]["id"],
        boards[2]["id"],
        boards[0]["id"],
    ]
    assert [case["report_count"] for case in response.json] == [3, 2, 1]
    assert pagination(response)["total"] == 3
    second_page = client.get("/moderation/cases?page=2&page_size=2", headers=admin["headers"])
    assert [case["report_count"] for case in second_page.json] == [1]
    assert pagination(second_page)["previous_page"] == 1

    most, second, least = (case["id"] for case in response.json)
    act(client, admin, most, "dismiss")
    dismissed = client.get("/moderation/cases?status=dismissed", headers=admin["headers"])
    assert [case["id"] for case in dismissed.json] == [most]
    assert [case["id"] for case in client.get("/moderation/cases", headers=admin["headers"]).json] == [
        second,
        least,
    ]


def test_an_unknown_status_or_case_is_refused(client, admin):
    bad = client.get("/moderation/cases?status=closed", headers=admin["headers"])
    expected = validation_error("query", {"status": ["Must be one of: open, hidden, dismissed, deleted."]})
    assert (bad.status_code, bad.json) == (422, expected)
    for response in (
        client.get("/moderation/cases/9", headers=admin["headers"]),
        act(client, admin, 9, "hide"),
    ):
        assert (response.status_code, response.json) == (404, not_found("Case 9 not found."))
    wrong_action = client.patch("/moderation/cases/9", json={"action": "burn"}, headers=admin["headers"])
    assert wrong_action.status_code == 422
    assert wrong_action.json["errors"] == {
        "json": {"action": ["Must be one of: hide, restore, dismiss, delete."]}
    }


# Hiding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 3}])
def test_the_threshold_hides_a_board_at_once_and_its_counts_move(app, client, make_user, alice, board):
    before = board_counters(app, board["id"], alice["id"])
    reporters = [make_user(f"reporter{n}") for n in range(4)]
    for reporter in reporters[:2]:
        report(client, reporter, "board", board["id"])
    assert hidden(app, "board", board["id"]) is False
    assert stored_cases(app) == [("board", board["id"], "open", 2, 2)]

    report(client, reporters[2], "board", board["id"])
    assert hidden(app, "board", board["id"]) is True
    assert stored_cases(app) == [("board", board["id"], "hidden", 3, 3)]
    after = board_counters(app, board["id"], alice["id"])
    assert after == {**before, "boards": before["boards"] - 1, "author_boards": before["author_boards"] - 1}
    assert_visible_counts_exact(app)

    # Others no longer find it, and nothing moves twice.
    assert report(client, reporters[3], "board", board["id"]).status_code == 404
    assert board_counters(app, board["id"], alice["id"]) == after


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 1}])
def test_hiding_a_comment_takes_its_thread_out_of_the_counts_and_restoring_brings_it_back(
    app, client, make_user, admin, alice, bob, carol, board, comment
):
    replies = [
        post_comment(client, carol, board["id"], f"Reply {n}", parent_id=comment["id"]) for n in range(2)
    ]
    post_comment(client, carol, board["id"], "Another thread")
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 4

    report(client, alice, "comment", comment["id"])  # the thread: the comment and its 2 replies
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 1
    assert_visible_counts_exact(app)

    report(client, bob, "comment", replies[0]["id"])  # a reply under the hidden parent
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 1
    assert_visible_counts_exact(app)

    act(client, admin, 1, "restore")  # the parent is back, with its one visible reply
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 3
    assert_visible_counts_exact(app)
    act(client, admin, 2, "restore")
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 4
    assert_visible_counts_exact(app)


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 2}])
def test_a_dismissal_reopens_on_a_new_report_and_only_later_reports_count(
    app, client, make_user, admin, board
):
    first, second, third, fourth = (make_user(f"reporter{n}") for n in range(4))
    report(client, first, "board", board["id"])
    assert act(client, admin, 1, "dismiss").json["status"] == "dismissed"
    assert report(client, first, "board", board["id"]).status_code == 200  # a repeat reopens nothing
    assert stored_cases(app) == [("board", board["id"], "dismissed", 1, 0)]

    report(client, second, "board", board["id"])
    assert stored_cases(app) == [("board", board["id"], "open", 2, 1)]  # reopened; 1 since dismissal
    assert hidden(app, "board", board["id"]) is False
    report(client, third, "board", board["id"])
    assert stored_cases(app) == [("board", board["id"], "hidden", 3, 2)]
    assert hidden(app, "board", board["id"]) is True

    act(client, admin, 1, "restore")
    report(client, fourth, "board", board["id"])
    assert stored_cases(app) == [("board", board["id"], "open", 4, 1)]
    assert hidden(app, "board", board["id"]) is False


def test_each_action_changes_the_case_and_the_item(app, client, admin, alice, bob, board):
    report(client, bob, "board", board["id"], "illegal")
    before = board_counters(app, board["id"], alice["id"])

    hid = act(client, admin, 1, "hide")
    assert (hid.status_code, without_times(hid.json)) == (
        200,
        case_body(1, "board", board["id"], "hidden", illegal=1),
    )
    assert hidden(app, "board", board["id"]) is True
    assert act(client, admin, 1, "hide").json["status"] == "hidden"  # again: nothing moves twice
    assert board_counters(app, board["id"], alice["id"])["boards"] == before["boards"] - 1

    refused = act(client, admin, 1, "dismiss")
    message = f"Board {board['id']} is hidden: restore it to dismiss its reports."
    assert (refused.status_code, refused.json) == (409, error(409, "item_hidden", message))

    restored = act(client, admin, 1, "restore")
    assert restored.json["status"] == "dismissed"
    assert hidden(app, "board", board["id"]) is False
    assert board_counters(app, board["id"], alice["id"]) == before

    deleted = act(client, admin, 1, "delete")
    assert deleted.json["status"] == "deleted"
    assert client.get(f"/boards/{board['id']}").status_code == 404
    closed = act(client, admin, 1, "restore")
    message = "Case 1 is closed: its board was deleted."
    assert (closed.status_code, closed.json) == (409, error(409, "case_closed", message))
    assert_visible_counts_exact(app)


def test_deleting_a_hidden_board_moves_its_counts_once(app, client, admin, alice, bob, board):
    post_comment(client, bob, board["id"], "A comment")
    before = board_counters(app, board["id"], alice["id"])
    report(client, bob, "board", board["id"])
    act(client, admin, 1, "hide")
    act(client, admin, 1, "delete")
    assert board_counters(app, board["id"], alice["id"]) == {
        "boards": before["boards"] - 1,
        "author_boards": before["author_boards"] - 1,
        "comment_count": None,
    }
    assert_visible_counts_exact(app)


def test_deleting_a_hidden_comment_deletes_it_as_its_author_would(
    app, client, admin, alice, carol, board, comment
):
    reply = post_comment(client, carol, board["id"], "A reply", parent_id=comment["id"])
    report(client, alice, "comment", comment["id"])
    act(client, admin, 1, "hide")
    assert act(client, admin, 1, "delete").json["status"] == "deleted"
    # It had a reply: a placeholder stays, and the reply is counted again.
    placeholder = client.get(f"/comments/{comment['id']}").json
    assert (placeholder["deleted"], placeholder["content"], placeholder["author"]) == (True, "", None)
    assert [r["id"] for r in placeholder["replies"]] == [reply["id"]]
    assert client.get(f"/boards/{board['id']}").json["comment_count"] == 1
    assert_visible_counts_exact(app)


def test_an_item_deleted_by_its_author_can_be_dismissed_or_closed_not_hidden(
    app, client, admin, alice, bob, board
):
    report(client, bob, "board", board["id"])
    assert client.delete(f"/boards/{board['id']}", headers=alice["headers"]).status_code == 204
    gone = act(client, admin, 1, "hide")
    message = f"Board {board['id']} no longer exists: only dismiss or delete apply."
    assert (gone.status_code, gone.json) == (409, error(409, "item_gone", message))
    assert act(client, admin, 1, "dismiss").json["status"] == "dismissed"
    assert act(client, admin, 1, "delete").json["status"] == "deleted"


def test_a_board_that_takes_a_deleted_ones_id_gets_a_case_of_its_own(app, client, admin, alice, bob, board):
    report(client, bob, "board", board["id"])
    client.delete(f"/boards/{board['id']}", headers=alice["headers"])
    newer = create_board(client, alice, title="Newer")  # SQLite hands the highest id out again
    assert report(client, bob, "board", newer["id"]).status_code == 201
    assert stored_cases(app)[-1] == ("board", newer["id"], "open", 1, 1)
    assert len(stored_cases(app)) == 2
    if newer["id"] == board["id"]:  # the old case's actions do not reach the newer board
        assert act(client, admin, 1, "hide").status_code == 409
        assert hidden(app, "board", newer["id"]) is False


# The audit log ------------------------------------------------------------------------------


def test_every_admin_action_is_logged_newest_first(client, admin, bob, carol, board):
    report(client, bob, "board", board["id"])
    act(client, admin, 1, "hide")
    act(client, admin, 1, "restore")
    until = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    client.put(
        f"/users/{carol['id']}/ban",
        json={"reason": "Spam.", "until": until.isoformat()},
        headers=admin["headers"],
    )
    client.delete(f"/users/{carol['id']}/ban", headers=admin["headers"])
    response = client.get("/moderation/log", headers=admin["headers"])
    actor = {"id": admin["id"], "username": "root"}
    board_target, user_target = {"type": "board", "id": board["id"]}, {"type": "user", "id": carol["id"]}
    assert without_times(response.json) == [
        {"id": 4, "actor": actor, "action": "unban", "target": user_target, "detail": "", "created_at": ISO},
        {
            "id": 3,
            "actor": actor,
            "action": "ban",
            "target": user_target,
            "detail": f"Spam. (until {until.isoformat()})",
            "created_at": ISO,
        },
        {
            "id": 2,
            "actor": actor,
            "action": "restore",
            "target": board_target,
            "detail": "case 1",
            "created_at": ISO,
        },
        {
            "id": 1,
            "actor": actor,
            "action": "hide",
            "target": board_target,
            "detail": "case 1",
            "created_at": ISO,
        },
    ]
    assert pagination(response)["total"] == 4


def test_a_refused_action_writes_nothing(client, admin, alice, bob, board):
    report(client, bob, "board", board["id"])
    act(client, admin, 1, "hide")
    act(client, admin, 1, "dismiss")  # 409
    client.put(f"/users/{admin['id']}/ban", json={"reason": "Oops."}, headers=admin["headers"])  # 422
    assert [entry["action"] for entry in client.get("/moderation/log", headers=admin["headers"]).json] == [
        "hide"
    ]


def test_the_log_cannot_be_changed_through_the_api(client, admin, bob, board):
    report(client, bob, "board", board["id"])
    act(client, admin, 1, "dismiss")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/moderation/log", headers=admin["headers"]).status_code == 405
    assert client.delete("/moderation/log/1", headers=admin["headers"]).status_code == 404


# Bans ---------------------------------------------------------------------------------------


def test_a_ban_revokes_every_token_and_refuses_logins(app, client, admin, bob):
    response = client.put(
        f"/users/{bob['id']}/ban", json={"reason": "Spamming links."}, headers=admin["headers"]
    )
    assert (response.status_code, response.json) == (
        200,
        {
            "user": {"id": bob["id"], "username": "bob"},
            "banned": True,
            "reason": "Spamming links.",
            "until": None,
        },
    )
    for token, path, method in (
        (bob["access_token"], "/auth/me", "get"),
        (bob["refresh_token"], "/auth/refresh", "post"),
    ):
        revoked = getattr(client, method)(path, headers={"Authorization": f"Bearer {token}"})
        assert (revoked.status_code, revoked.json["error"]) == (401, "token_revoked")
    login = client.post("/auth/login", json={"username": "bob", "password": PASSWORD})
    assert (login.status_code, login.json) == (
        403,
        error(403, "banned", "This account is banned: Spamming links."),
    )
    wrong = client.post("/auth/login", json={"username": "bob", "password": "not the password"})
    assert (wrong.status_code, wrong.json["error"]) == (401, "invalid_credentials")  # tells nothing

    assert client.get(f"/users/{bob['id']}", headers=admin["headers"]).json["banned"] is True
    assert "banned" not in client.get(f"/users/{bob['id']}").json

    lifted = client.delete(f"/users/{bob['id']}/ban", headers=admin["headers"])
    assert lifted.json == {
        "user": {"id": bob["id"], "username": "bob"},
        "banned": False,
        "reason": None,
        "until": None,
    }
    assert client.post("/auth/login", json={"username": "bob", "password": PASSWORD}).status_code == 200
    assert client.get(f"/users/{bob['id']}", headers=admin["headers"]).json["banned"] is False


def test_a_ban_with_an_end_says_it_and_ends_by_itself(app, client, admin, bob):
    until = datetime(2099, 1, 1, 12, tzinfo=UTC)
    response = client.put(
        f"/users/{bob['id']}/ban",
        json={"reason": "Cool off.", "until": "2099-01-01T14:00:00+02:00"},
        headers=admin["headers"],
    )
    assert response.json["until"] == until.isoformat()
    login = client.post("/auth/login", json={"username": "bob", "password": PASSWORD})
    message = f"This account is banned until {until.isoformat()}: Cool off."
    assert (login.status_code, login.json) == (403, error(403, "banned", message))
    with app.app_context():  # time passes
        db.session.execute(
            update(User)
            .where(User.id == bob["id"])
            .values(banned_until=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()
    assert client.post("/auth/login", json={"username": "bob", "password": PASSWORD}).status_code == 200
    assert client.get(f"/users/{bob['id']}", headers=admin["headers"]).json["banned"] is False


def test_a_naive_end_is_utc(client, admin, bob):
    response = client.put(
        f"/users/{bob['id']}/ban",
        json={"reason": "x", "until": "2099-01-01T00:00:00"},
        headers=admin["headers"],
    )
    assert response.json["until"] == "2099-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"reason": ["Missing data for required field."]}),
        ({"reason": ""}, {"reason": ["Length must be between 1 and 500."]}),
        ({"reason": "x" * 501}, {"reason": ["Length must be between 1 and 500."]}),
        ({"reason": "a\nb"}, {"reason": ["Control characters are not allowed."]}),
        ({"reason": "x", "until": "soon"}, {"until": ["Not a valid datetime."]}),
        (
            {"reason": "x", "until": "2001-01-01T00:00:00+00:00"},
            {"until": ["The end of a ban must be in the future."]},
        ),
        ({"reason": "x", "until": "9999-12-31T23:59:59-05:00"}, {"until": ["Not a valid datetime."]}),
    ],
)
def test_ban_bodies_are_validated(client, admin, bob, body, errors):
    response = client.put(f"/users/{bob['id']}/ban", json=body, headers=admin["headers"])
    assert response.status_code == 422
    assert response.json["errors"] == {"json": errors}
    assert client.post("/auth/login", json={"username": "bob", "password": PASSWORD}).status_code == 200


def test_an_admin_cannot_ban_themselves_or_a_stranger(client, admin):
    own = client.put(f"/users/{admin['id']}/ban", json={"reason": "Oops."}, headers=admin["headers"])
    message = "You cannot ban yourself."
    assert (own.status_code, own.json) == (
        422,
        {**error(422, "cannot_ban_self", message), "errors": {"path": {"user_id": [message]}}},
    )
    for response in (
        client.put("/users/999/ban", json={"reason": "x"}, headers=admin["headers"]),
        client.delete("/users/999/ban", headers=admin["headers"]),
    ):
        assert (response.status_code, response.json) == (404, not_found("User 999 not found."))


# Concurrency --------------------------------------------------------------------------------

CLIENTS = 16
# `SET … hidden=<bind parameter>`: the hide (or restore) itself, not the lock (hidden=boards.hidden).
SETS_HIDDEN = re.compile(r"^UPDATE\w+SET.*hidden=(\?|%s|%\(\w+\)s)WHERE")


def race(app: Flask, path: str, tokens: list[str]) -> list[tuple[int, dict]]:
    """One report per token, released at once over real HTTP; (status, body) each."""
    barrier = threading.Barrier(len(tokens))

    def send(token: str) -> tuple[int, dict]:
        barrier.wait(timeout=30)
        status, text = http("POST", base_url + path, json.dumps({"reason": "spam"}), token=token)
        return status, json.loads(text)

    with live_server(app) as base_url, ThreadPoolExecutor(len(tokens)) as pool:
        return list(pool.map(send, tokens))


@pytest.fixture
def hidings(app: Flask) -> list[str]:
    """Every UPDATE that hid an item (changed a row): proof that one transition happened, once."""
    with app.app_context():
        engine = db.engine
    hid: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if SETS_HIDDEN.search(statement.replace(" ", "")) and cursor.rowcount:
            hid.append(statement)

    event.listen(engine, "after_cursor_execute", record)
    yield hid
    event.remove(engine, "after_cursor_execute", record)


@pytest.mark.parametrize("app_config", [{"REPORT_HIDE_THRESHOLD": 5}, {"REPORT_HIDE_THRESHOLD": 16}])
@pytest.mark.parametrize("kind", ["board", "comment"])
def test_sixteen_reporters_at_once_hide_an_item_exactly_once(
    app, client, make_user, alice, board, comment, hidings, kind
):
    """Of 16 reporters racing, the threshold's first are counted and the item is hidden by the
    last of them, once; those after it no longer find it (404)."""
    threshold = app.config["REPORT_HIDE_THRESHOLD"]
    item = board if kind == "board" else comment
    before = board_counters(app, board["id"], alice["id"])
    tokens = [make_user(f"reporter{n}")["access_token"] for n in range(CLIENTS)]

    results = race(app, f"/{kind}s/{item['id']}/reports", tokens)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * threshold + [404] * (CLIENTS - threshold), results
    assert sorted(body["id"] for status, body in results if status == 201) == list(range(1, threshold + 1))
    assert stored_cases(app) == [(kind, item["id"], "hidden", threshold, threshold)]
    assert report_rows(app) == threshold
    assert len(hidings) == 1, hidings
    after = board_counters(app, board["id"], alice["id"])
    if kind == "board":
        assert after == {
            **before,
            "boards": before["boards"] - 1,
            "author_boards": before["author_boards"] - 1,
        }
    else:
        assert after == {**before, "comment_count": before["comment_count"] - 1}
    assert_visible_counts_exact(app)


def test_one_users_sixteen_simultaneous_reports_make_one(app, make_user, board):
    reporter = make_user("reporter")
    results = race(app, f"/boards/{board['id']}/reports", [reporter["access_token"]] * CLIENTS)
    assert sorted(status for status, _ in results) == [200] * (CLIENTS - 1) + [201]
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    assert stored_cases(app) == [("board", board["id"], "open", 1, 1)]
    assert report_rows(app) == 1


# Statements ---------------------------------------------------------------------------------


def statements_of(app, client, request) -> int:
    with count_statements(app) as statements:
        response = request()
    assert response.status_code == 200, response.json
    return len(statements)


def test_lists_cost_a_constant_number_of_statements(app, client, make_user, admin, alice):
    reporters = [make_user(f"reporter{n}") for n in range(3)]

    def costs() -> tuple[int, int, int]:
        return (
            statements_of(app, client, lambda: client.get("/moderation/cases", headers=admin["headers"])),
            statements_of(app, client, lambda: client.get("/moderation/cases/1", headers=admin["headers"])),
            statements_of(app, client, lambda: client.get("/moderation/log", headers=admin["headers"])),
        )

    first = create_board(client, alice)
    report(client, reporters[0], "board", first["id"])
    act(client, admin, 1, "hide")
    act(client, admin, 1, "restore")
    report(client, reporters[1], "board", first["id"])  # reopened: one open case, one report
    small = costs()
    for n in range(6):
        board = create_board(client, alice, title=f"Board {n}")
        for reporter in reporters:
            report(client, reporter, "board", board["id"])
        acted = act(client, admin, case_id_of(app, "board", board["id"]), "dismiss" if n % 2 else "hide")
        assert acted.status_code == 200
        report(client, reporters[n % 3], "board", first["id"])
    assert costs() == small
    # The token's check (one statement), then a count and a page; the case and its reports.
    assert small == (3, 3, 3)


def test_only_admins_see_whether_a_user_is_banned(client, admin, alice, bob):
    client.put(f"/users/{bob['id']}/ban", json={"reason": "Spam."}, headers=admin["headers"])
    assert client.get(f"/users/{bob['id']}", headers=admin["headers"]).json["banned"] is True
    for headers in (alice["headers"], {}):
        assert "banned" not in client.get(f"/users/{bob['id']}", headers=headers).json
