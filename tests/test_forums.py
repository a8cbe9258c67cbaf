"""Forums and pins: who may do what, what is refused, names unique whatever their case (also when
16 admins race), deleting, pages and the category filter, the cost of a page, and pins that are
idempotent, ordered and private."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from db import db
from models import ForumPin
from schemas.forum import NAME_PATTERN
from tests.conftest import error
from tests.support import count_statements, create_board, not_found, pagination, validation_error
from tests.support_forums import (
    GENERAL,
    board_count,
    create_forum,
    insert_board,
    pin,
    pinned_names,
    race,
    request,
)
from tests.test_control_characters import LINE_BREAKS, REFUSED_EVERYWHERE

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00")
ADMINS_ONLY = error(403, "forbidden", "Only admins may create, change or delete forums.")
NO_TOKEN = error(
    401, "authorization_required", "An access token is required: send 'Authorization: Bearer <token>'."
)
MISSING = "Missing data for required field."
TRIMMED = "No control characters, and no space at either end."


def taken(name: str) -> dict[str, Any]:
    return error(409, "forum_name_taken", f"A forum named {name!r} already exists.")


@pytest.fixture
def admin(make_admin) -> dict[str, Any]:
    return make_admin("root")


@pytest.fixture
def clubs(client, admin) -> dict[str, Any]:
    return create_forum(client, admin, "Clubs", "clubs", description="Every club of the campus.")


def test_general_is_there_from_the_start(client):
    body = client.get(f"/forums/{GENERAL}").json
    assert TIMESTAMP.fullmatch(body.pop("created_at"))
    assert body == {
        "id": 1,
        "name": "General",
        "category": "general",
        "description": "",
        "anonymous": "optional",
        "board_count": 0,
    }


def test_an_admin_creates_a_forum(client, admin):
    body = {
        "name": "Careers",
        "category": "Careers",
        "description": "Jobs.\nInternships.",
        "anonymous": "always",
    }
    response = client.post("/forums", json=body, headers=admin["headers"])
    assert response.status_code == 201, response.json
    created = response.json
    assert TIMESTAMP.fullmatch(created.pop("created_at"))
    # The category is stored lower-case, so that a filter finds it however it is spelled.
    assert created == {**body, "id": 2, "category": "careers", "board_count": 0}
    assert response.headers["Location"] == "http://localhost/forums/2"
    read = client.get("/forums/2").json
    assert read == {**created, "created_at": read["created_at"]}


def test_a_new_forum_is_optionally_anonymous_and_described_by_nothing_unless_told(client, admin):
    created = create_forum(client, admin, "Clubs", "clubs")
    assert (created["anonymous"], created["description"]) == ("optional", "")


OPERATIONS = {
    # operation: (method, path, body, {who: status})
    "listForums": ("GET", "/forums", None, {"nobody": 200, "user": 200, "admin": 200}),
    "getForum": ("GET", "/forums/{forum}", None, {"nobody": 200, "user": 200, "admin": 200}),
    "createForum": (
        "POST",
        "/forums",
        {"name": "Chess", "category": "clubs"},
        {"nobody": 401, "user": 403, "admin": 201},
    ),
    "updateForum": (
        "PATCH",
        "/forums/{forum}",
        {"description": "Changed"},
        {"nobody": 401, "user": 403, "admin": 200},
    ),
    "deleteForum": ("DELETE", "/forums/{forum}", None, {"nobody": 401, "user": 403, "admin": 204}),
    "pinForum": ("PUT", "/forums/{forum}/pin", None, {"nobody": 401, "user": 200, "admin": 200}),
    "unpinForum": ("DELETE", "/forums/{forum}/pin", None, {"nobody": 401, "user": 200, "admin": 200}),
    "listMyForums": ("GET", "/users/me/forums", None, {"nobody": 401, "user": 200, "admin": 200}),
}


@pytest.mark.parametrize("who", ["nobody", "user", "admin"])
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_who_may_do_what(client, make_user, admin, clubs, operation, who):
    method, path, body, statuses = OPERATIONS[operation]
    headers = {"nobody": {}, "user": make_user()["headers"], "admin": admin["headers"]}[who]
    before = client.get("/forums?page_size=100").json
    response = client.open(path.format(forum=clubs["id"]), method=method, json=body, headers=headers)
    assert response.status_code == statuses[who], response.json
    after = client.get("/forums?page_size=100").json
    if response.status_code == 401:
        assert response.json == NO_TOKEN
    if response.status_code == 403:
        assert response.json == ADMINS_ONLY
    if response.status_code in (401, 403) or method == "GET":
        assert after == before  # a refusal, or a read, changes nothing
    elif operation == "createForum":
        assert [forum["name"] for forum in after] == ["Chess", "Clubs", "General"]
    elif operation == "updateForum":
        assert after == [{**clubs, "description": "Changed"}, before[1]]
    elif operation == "deleteForum":
        assert after == [before[1]] and client.get(f"/forums/{clubs['id']}").status_code == 404
    elif operation in ("pinForum", "unpinForum"):
        assert after == before
        assert pinned_names(client, {"headers": headers}) == (["Clubs"] if method == "PUT" else [])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"category": "clubs"}, {"name": [MISSING]}),
        ({"name": "Chess"}, {"category": [MISSING]}),
        ({"name": "", "category": "clubs"}, {"name": ["Length must be between 1 and 50.", TRIMMED]}),
        ({"name": "x" * 51, "category": "clubs"}, {"name": ["Length must be between 1 and 50."]}),
        ({"name": " Chess", "category": "clubs"}, {"name": [TRIMMED]}),
        ({"name": "Chess\u00a0", "category": "clubs"}, {"name": [TRIMMED]}),
        ({"name": "   ", "category": "clubs"}, {"name": [TRIMMED]}),
        ({"name": "Che\nss", "category": "clubs"}, {"name": [TRIMMED]}),
        ({"name": "Che\x00ss", "category": "clubs"}, {"name": [TRIMMED]}),
        ({"name": 5, "category": "clubs"}, {"name": ["Not a valid string."]}),
        ({"name": None, "category": "clubs"}, {"name": ["Field may not be null."]}),
        ({"name": "Chess", "category": ""}, {"category": ["Length must be between 1 and 30.", TRIMMED]}),
        ({"name": "Chess", "category": "c" * 31}, {"category": ["Length must be between 1 and 30."]}),
        ({"name": "Chess", "category": "clubs "}, {"category": [TRIMMED]}),
        (
            {"name": "Chess", "category": "clubs", "description": "d" * 501},
            {"description": ["Longer than maximum length 500."]},
        ),
        (
            {"name": "Chess", "category": "clubs", "description": "\x07"},
            {"description": ["Control characters other than tab and line breaks are not allowed."]},
        ),
        (
            {"name": "Chess", "category": "clubs", "anonymous": "sometimes"},
            {"anonymous": ["Must be one of: never, optional, always."]},
        ),
        ({"name": "Chess", "category": "clubs", "anonymous": True}, {"anonymous": ["Not a valid string."]}),
        ({"name": "Chess", "category": "clubs", "board_count": 3}, {"board_count": ["Unknown field."]}),
        ({"name": "Chess", "category": "clubs", "id": 3}, {"id": ["Unknown field."]}),
    ],
)
def test_a_forum_that_cannot_be_is_refused(client, admin, body, errors):
    response = client.post("/forums", json=body, headers=admin["headers"])
    assert (response.status_code, response.json) == (422, validation_error("json", errors))
    assert [forum["name"] for forum in client.get("/forums").json] == ["General"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": ""}, {"name": ["Length must be between 1 and 50.", TRIMMED]}),
        ({"anonymous": "no"}, {"anonymous": ["Must be one of: never, optional, always."]}),
        ({"board_count": 0}, {"board_count": ["Unknown field."]}),
        ({"name": "Chess", "id": 1}, {"id": ["Unknown field."]}),
    ],
)
def test_a_change_that_cannot_be_is_refused(client, admin, clubs, body, errors):
    response = client.patch(f"/forums/{clubs['id']}", json=body, headers=admin["headers"])
    assert (response.status_code, response.json) == (422, validation_error("json", errors))
    assert client.get(f"/forums/{clubs['id']}").json == clubs


@pytest.mark.parametrize("char", [*REFUSED_EVERYWHERE, *LINE_BREAKS], ids=lambda c: f"U+{ord(c):04X}")
def test_names_and_categories_refuse_every_control_character(client, admin, clubs, char):
    """A one-line rule like titles' (the pattern is their single-line one, trimmed at both ends)."""
    for field, body in (("name", {"category": "x"}), ("category", {"name": "Chess"})):
        value = f"a{char}b"
        created = client.post("/forums", json={**body, field: value}, headers=admin["headers"])
        assert created.json == validation_error("json", {field: [TRIMMED]}), field
        changed = client.patch(f"/forums/{clubs['id']}", json={field: value}, headers=admin["headers"])
        assert changed.json == validation_error("json", {field: [TRIMMED]}), field
    listed = client.get("/forums", query_string={"category": f"a{char}b"})
    assert listed.json == validation_error("query", {"category": [TRIMMED]})
    assert re.fullmatch(NAME_PATTERN, f"a{char}b") is None


def test_long_names_count_characters_not_bytes(client, admin):
    created = create_forum(client, admin, "학" * 50, "학" * 30)
    assert (created["name"], created["category"]) == ("학" * 50, "학" * 30)
    emoji = create_forum(client, admin, "Board games 🎲", "clubs")
    assert client.get(f"/forums/{emoji['id']}").json["name"] == "Board games 🎲"


@pytest.mark.parametrize(
    ("method", "path", "admin_only"),
    [
        ("GET", "/forums/99", False),
        ("PATCH", "/forums/99", True),
        ("DELETE", "/forums/99", True),
        ("PUT", "/forums/99/pin", False),
        ("DELETE", "/forums/99/pin", False),
    ],
)
def test_a_forum_that_does_not_exist_is_404(client, admin, method, path, admin_only):
    body = {"description": "x"} if method == "PATCH" else None
    response = client.open(path, method=method, json=body, headers=admin["headers"])
    assert (response.status_code, response.json) == (404, not_found("Forum 99 not found."))


def test_ids_that_cannot_be_are_404_and_bad_queries_422(client, make_user):
    assert client.get("/forums/0").json == not_found()
    assert client.get("/forums/abc").json == not_found()
    assert client.get(f"/forums/{2**63}").json == not_found()
    for query, errors in [
        ("category=", {"category": ["Length must be between 1 and 30.", TRIMMED]}),
        ("category=" + "c" * 31, {"category": ["Length must be between 1 and 30."]}),
        ("page=0", {"page": ["Must be greater than or equal to 1."]}),
        (
            "page_size=101",
            {"page_size": ["Must be greater than or equal to 1 and less than or equal to 100."]},
        ),
    ]:
        response = client.get(f"/forums?{query}")
        assert (response.status_code, response.json) == (422, validation_error("query", errors)), query
    me = client.get("/users/me/forums?page=0", headers=make_user()["headers"])
    assert me.json == validation_error("query", {"page": ["Must be greater than or equal to 1."]})


def test_names_are_unique_whatever_their_case(client, admin, clubs):
    for name in ("clubs", "CLUBS", "cLuBs", "general", "GENERAL"):
        response = client.post("/forums", json={"name": name, "category": "x"}, headers=admin["headers"])
        assert (response.status_code, response.json) == (409, taken(name))
    assert create_forum(client, admin, "École", "x")["name"] == "École"
    response = client.post("/forums", json={"name": "éCOLE", "category": "x"}, headers=admin["headers"])
    assert (response.status_code, response.json) == (409, taken("éCOLE"))
    # Distinct once lower-cased, as usernames are: no folding beyond the case.
    assert create_forum(client, admin, "Clubs 2", "x")["name"] == "Clubs 2"
    names = [forum["name"] for forum in client.get("/forums").json]
    # Name order is by character code once lower-cased, the same on every database.
    assert names == ["Clubs", "Clubs 2", "General", "École"]


def test_a_rename_may_not_take_another_forums_name_but_may_change_its_own_case(client, admin, clubs):
    response = client.patch(f"/forums/{clubs['id']}", json={"name": "GENERAL"}, headers=admin["headers"])
    assert (response.status_code, response.json) == (409, taken("GENERAL"))
    assert client.get(f"/forums/{clubs['id']}").json == clubs
    renamed = client.patch(f"/forums/{clubs['id']}", json={"name": "CLUBS"}, headers=admin["headers"])
    assert (renamed.status_code, renamed.json) == (200, {**clubs, "name": "CLUBS"})


def test_a_change_changes_only_what_it_names(client, admin, clubs):
    path = f"/forums/{clubs['id']}"
    unchanged = client.patch(path, json={}, headers=admin["headers"])
    assert (unchanged.status_code, unchanged.json) == (200, clubs)
    body = {"category": "Student Life", "anonymous": "never", "description": ""}
    changed = client.patch(path, json=body, headers=admin["headers"])
    assert changed.json == {**clubs, **body, "category": "student life"}
    assert client.get(path).json == changed.json


ROUNDS = 3  # how often the race may be run for two requests to meet at the unique index


def test_sixteen_simultaneous_creates_of_one_name_make_one_forum(app, client, admin):
    """16 admins' requests for one name (in two spellings) released at once over real HTTP: one
    201, fifteen 409, never a 500, and the unique index, not a check before it, decides."""
    with app.app_context():
        engine = db.engine
    violations: list[Exception] = []
    record = lambda context: violations.append(context.original_exception)  # noqa: E731
    event.listen(engine, "handle_error", record)
    try:
        for round_ in range(ROUNDS):
            name = f"Racers {round_}"
            spellings = [name.upper() if i % 2 else name for i in range(16)]
            body = {"category": "sports"}
            results = race(
                app,
                [request("POST", "/forums", {**body, "name": n}, admin["access_token"]) for n in spellings],
            )
            assert Counter(status for status, _ in results) == {201: 1, 409: 15}, results
            winner = next(body for status, body in results if status == 201)
            assert all(
                body == taken(spellings[i]) for i, (status, body) in enumerate(results) if status == 409
            )
            assert [f for f in client.get("/forums?category=sports").json if f["id"] == winner["id"]] == [
                winner
            ]
            if violations:
                break
    finally:
        event.remove(engine, "handle_error", record)
    assert violations, f"in {ROUNDS} rounds, no request reached the unique index"
    assert len(client.get("/forums?category=sports").json) == round_ + 1


def test_a_forum_with_boards_cannot_be_deleted_until_they_are_gone(app, client, admin, make_user, clubs):
    author = make_user()
    board_id = insert_board(app, author["id"], clubs["id"])
    path = f"/forums/{clubs['id']}"
    refused = client.delete(path, headers=admin["headers"])
    message = f"Forum {clubs['id']} still has 1 board: delete them first."
    assert (refused.status_code, refused.json) == (409, error(409, "forum_not_empty", message))
    assert client.get(path).json == {**clubs, "board_count": 1}

    assert client.delete(f"/boards/{board_id}", headers=author["headers"]).status_code == 204
    assert board_count(client, clubs["id"]) == 0
    assert client.delete(path, headers=admin["headers"]).status_code == 204
    assert client.get(path).status_code == 404


def test_general_is_never_deleted(client, admin):
    response = client.delete(f"/forums/{GENERAL}", headers=admin["headers"])
    message = "General is where boards go when they name no forum: it cannot be deleted."
    assert (response.status_code, response.json) == (409, error(409, "forum_is_default", message))
    assert client.get(f"/forums/{GENERAL}").status_code == 200


def test_forums_page_by_name_whatever_the_case_and_filter_by_category(client, admin):
    for name, category in [("cherry", "Fruit"), ("Banana", "fruit"), ("Dates", "snacks"), ("apple", "FRUIT")]:
        create_forum(client, admin, name, category)
    first = client.get("/forums?page_size=2")
    assert [forum["name"] for forum in first.json] == ["apple", "Banana"]
    assert pagination(first) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    assert [forum["name"] for forum in client.get("/forums?page_size=2&page=3").json] == ["General"]
    fruit = client.get("/forums?category=fRuIt")
    assert [forum["name"] for forum in fruit.json] == ["apple", "Banana", "cherry"]
    assert {forum["category"] for forum in fruit.json} == {"fruit"}
    assert pagination(fruit)["total"] == 3
    none = client.get("/forums?category=nothing")
    assert (none.json, pagination(none)) == ([], {"total": 0, "total_pages": 0})
    past = client.get("/forums?page=9")
    assert past.json == [] and pagination(past)["total"] == 5


def cost(app, client, url: str, **kwargs: Any) -> int:
    with count_statements(app) as statements:
        response = client.open(url, **kwargs)
    assert response.status_code == 200, response.json
    return len(statements)


def test_a_page_of_forums_costs_two_statements_whatever_its_size(app, client, admin, make_user):
    for n in range(30):
        create_forum(client, admin, f"Forum {n:02}", "odd" if n % 2 else "even")
    client.get("/forums")  # the first request may open the connection
    for query in ("", "&category=odd"):
        assert [cost(app, client, f"/forums?page_size={size}{query}") for size in (1, 100)] == [2, 2], query
    assert cost(app, client, "/forums?page=99") == 1  # the count says there is nothing to read
    assert cost(app, client, f"/forums/{GENERAL}") == 1


def test_a_page_of_my_forums_costs_two_statements_whatever_its_size(app, client, admin, make_user):
    reader = make_user()
    for n in range(30):
        pin(client, reader, create_forum(client, admin, f"Forum {n:02}")["id"])
    auth = cost(app, client, "/auth/me", headers=reader["headers"])
    for size in (1, 100):
        assert cost(app, client, f"/users/me/forums?page_size={size}", headers=reader["headers"]) == auth + 2
    assert cost(app, client, "/users/me/forums?page=99", headers=reader["headers"]) == auth + 1


def test_a_pin_costs_one_statement_and_a_repeat_two(app, client, make_user, clubs):
    reader = make_user()
    auth = cost(app, client, "/auth/me", headers=reader["headers"])
    path = f"/forums/{clubs['id']}/pin"
    for method in ("PUT", "DELETE"):
        # The change: one INSERT … SELECT or DELETE. The repeat changes nothing, and asks
        # whether the forum exists (else it is a 404).
        assert cost(app, client, path, method=method, headers=reader["headers"]) == auth + 1
        assert cost(app, client, path, method=method, headers=reader["headers"]) == auth + 2


def test_pins_are_idempotent(client, make_user, clubs):
    reader = make_user()
    for _ in range(2):
        response = pin(client, reader, clubs["id"])
        assert (response.status_code, response.json) == (200, {"pinned": True})
    mine = client.get("/users/me/forums", headers=reader["headers"])
    assert (mine.json, pagination(mine)["total"]) == ([clubs], 1)
    for _ in range(2):
        response = pin(client, reader, clubs["id"], on=False)
        assert (response.status_code, response.json) == (200, {"pinned": False})
    assert pinned_names(client, reader) == []


def test_my_forums_are_the_most_recently_pinned_first(client, admin, make_user):
    reader = make_user()
    ids = {name: create_forum(client, admin, name)["id"] for name in ("A", "B", "C")}
    for name in ("A", "B", "C"):
        pin(client, reader, ids[name])
    assert pinned_names(client, reader) == ["C", "B", "A"]
    pin(client, reader, ids["A"])  # already pinned: it keeps its place
    assert pinned_names(client, reader) == ["C", "B", "A"]
    pin(client, reader, ids["A"], on=False)
    pin(client, reader, ids["A"])  # pinned anew: first
    assert pinned_names(client, reader) == ["A", "C", "B"]
    page = client.get("/users/me/forums?page_size=2&page=2", headers=reader["headers"])
    assert ([forum["name"] for forum in page.json], pagination(page)["total"]) == (["B"], 3)


def test_pins_are_private(client, admin, make_user):
    alice, bob = make_user(), make_user()
    ids = [create_forum(client, admin, name)["id"] for name in ("A", "B", "C")]
    pin(client, alice, ids[0])
    pin(client, alice, ids[1])
    pin(client, bob, ids[2])
    assert (pinned_names(client, alice), pinned_names(client, bob)) == (["B", "A"], ["C"])
    # Nobody else's pins are listed anywhere: there is no such route, and a forum says nothing.
    assert client.get(f"/users/{alice['id']}/forums", headers=bob["headers"]).status_code == 404
    assert "pinned" not in client.get(f"/forums/{ids[0]}", headers=alice["headers"]).json
    mine = client.get("/users/me/forums", headers=alice["headers"])
    assert (mine.headers["Cache-Control"], mine.headers["Vary"]) == ("private", "Authorization")
    assert client.get("/users/me/forums").json == NO_TOKEN


def test_pins_go_with_their_forum_and_with_their_user(app, client, admin, make_user, clubs):
    reader = make_user()
    pin(client, reader, clubs["id"])
    pin(client, reader, GENERAL)
    assert client.delete(f"/forums/{clubs['id']}", headers=admin["headers"]).status_code == 204
    assert pinned_names(client, reader) == ["General"]
    assert client.delete(f"/users/{reader['id']}", headers=reader["headers"]).status_code == 204
    with app.app_context():
        assert db.session.execute(select(ForumPin.user_id)).all() == []


def test_general_counts_its_boards_as_they_come_and_go(client, make_user):
    alice, bob = make_user(), make_user()
    boards = [create_board(client, alice) for _ in range(3)] + [create_board(client, bob) for _ in range(2)]
    assert board_count(client, GENERAL) == 5
    assert all(board["id"] for board in boards)
    assert client.delete(f"/boards/{boards[0]['id']}", headers=alice["headers"]).status_code == 204
    assert board_count(client, GENERAL) == 4
    # A user's boards go with the user, and leave the count as they go.
    assert client.delete(f"/users/{alice['id']}", headers=alice["headers"]).status_code == 204
    assert board_count(client, GENERAL) == 2


def test_the_documented_forum_is_what_the_service_answers(client, admin):
    """docs/forums-and-anonymity.md shows a forum: the same body, its time aside."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "forums-and-anonymity.md").read_text()
    documented = json.loads(re.search(r"```json\n(.*?)\n```", text, re.DOTALL).group(1))
    fields = {key: documented[key] for key in ("name", "category", "description", "anonymous")}
    answered = create_forum(client, admin, **fields)
    assert TIMESTAMP.fullmatch(documented["created_at"])
    assert {**answered, "created_at": None} == {**documented, "created_at": None}
