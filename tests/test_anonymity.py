"""Anonymous boards and comments: who sees the author (the author and admins, nobody else), the
forum's policy, the comments' `author_label`s ("writer", "anonymous 1", …: numbered per board in
the order of first anonymous comments, stable forever, distinct under 16 simultaneous first
comments), and one test for each path through which an author's identity could leak.

Each leak test says in its docstring which naive implementation it catches: plant that bug, and
watch the test fail (docs/forums-and-anonymity.md lists the paths).

General (anonymous `optional`) is where the boards go unless a test names a forum.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from db import db
from models import Board, BoardAnonymousAuthor, User
from resources.etags import etag_of
from schemas.board import BOARD_WRITABLE
from schemas.comment import COMMENT_WRITABLE
from tests.conftest import error
from tests.support import create_board, not_found, pagination, validation_error
from tests.support_forums import create_forum, race, request

FORBIDDEN = error(403, "forbidden", "Only the owner or an admin may do this.")
CLIENTS = 16


@pytest.fixture
def admin(make_admin) -> dict[str, Any]:
    return make_admin("root")


def post_board(client, user: dict[str, Any], title: str = "Secret", **fields: Any) -> dict[str, Any]:
    response = client.post("/boards", json={"title": title, "content": "", **fields}, headers=user["headers"])
    assert response.status_code == 201, response.json
    return response.json


def post_comment(
    client,
    user: dict[str, Any],
    board_id: int,
    content: str = "Hi",
    parent_id: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = {"content": content, **fields}
    if parent_id is not None:
        body["parent_id"] = parent_id
    response = client.post(f"/boards/{board_id}/comments", json=body, headers=user["headers"])
    assert response.status_code == 201, response.json
    return response.json


def ref(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "username": user["username"]}


def get(client, path: str, user: dict[str, Any] | None = None) -> Any:
    response = client.get(path, headers=user["headers"] if user else None)
    assert response.status_code == 200, (path, response.json)
    return response.json


def listed(client, path: str, board_id: int, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """The board `board_id` as the list at `path` shows it."""
    return next(board for board in get(client, path, user) if board["id"] == board_id)


# Who sees the author of an anonymous board.


@pytest.mark.parametrize("reader", ["nobody", "stranger", "author", "admin"])
def test_an_anonymous_board_shows_its_author_to_admins_alone(client, alice, bob, admin, reader):
    """Naive implementation: the board's JSON builder shows the stored author whatever
    `anonymous` says (or hides it from everyone, admins included)."""
    board = post_board(client, alice, anonymous=True)
    user = {"nobody": None, "stranger": bob, "author": alice, "admin": admin}[reader]
    response = client.get(f"/boards/{board['id']}", headers=user["headers"] if user else None)
    body = response.json
    assert response.headers["Vary"] == "Authorization"  # no shared cache hands an admin's copy on
    assert body["anonymous"] is True
    assert body["author"] == (ref(alice) if reader == "admin" else None)
    if user is None:
        assert "is_mine" not in body
    else:
        assert body["is_mine"] is (reader == "author")


def test_the_author_writes_without_their_name_and_an_admins_edit_shows_it(client, alice, admin):
    """Naive implementation: the write paths (201, PUT, PATCH) answer with the author, which
    they have at hand, instead of the masked shape the reads give."""
    board = post_board(client, alice, anonymous=True)
    assert (board["author"], board["anonymous"], board["is_mine"]) == (None, True, True)
    for method in ("PUT", "PATCH"):
        mine = client.open(
            f"/boards/{board['id']}", method=method, json={"title": "Edited"}, headers=alice["headers"]
        )
        assert (mine.json["author"], mine.json["is_mine"]) == (None, True)
        theirs = client.open(
            f"/boards/{board['id']}", method=method, json={"title": "Moderated"}, headers=admin["headers"]
        )
        assert (theirs.json["author"], theirs.json["is_mine"]) == (ref(alice), False)


LISTS = [
    "/boards",
    "/boards?sort=top",
    "/boards?q=Secret",
    "/boards?forum_id=1",
    "/boards?before=1000",
]


@pytest.mark.parametrize("path", LISTS)
def test_every_list_of_boards_shows_an_anonymous_board_without_its_author(client, alice, bob, admin, path):
    """Naive implementation: masking on GET /boards/<id> only, or a list built by its own
    statement (sort=top, search, a forum's list, keyset pages) that skips the mask."""
    secret = post_board(client, alice, anonymous=True)
    client.put(f"/boards/{secret['id']}/like", headers=bob["headers"])  # first under sort=top
    for user in (None, bob, alice):
        board = listed(client, path, secret["id"], user)
        assert (board["author"], board["anonymous"]) == (None, True), (path, user and user["username"])
    assert listed(client, path, secret["id"], admin)["author"] == ref(alice)
    assert listed(client, path, secret["id"], alice)["is_mine"] is True
    assert listed(client, path, secret["id"], bob)["is_mine"] is False


def test_scraps_show_an_anonymous_board_without_its_author(client, alice, bob, admin):
    """Naive implementation: GET /users/me/scraps selects its boards with a statement of its
    own, which shows the author."""
    secret = post_board(client, alice, anonymous=True)
    for user in (bob, admin, alice):
        assert client.put(f"/boards/{secret['id']}/scrap", headers=user["headers"]).status_code == 200
    assert listed(client, "/users/me/scraps", secret["id"], bob)["author"] is None
    assert listed(client, "/users/me/scraps", secret["id"], alice)["is_mine"] is True
    assert listed(client, "/users/me/scraps", secret["id"], admin)["author"] == ref(alice)


def test_likes_and_scraps_answer_with_the_state_and_the_count_alone(client, alice, bob):
    """Naive implementation: a mark answers with the board it marked (author and all), or
    names who else marked it."""
    secret = post_board(client, alice, anonymous=True)
    path = f"/boards/{secret['id']}"
    assert client.put(f"{path}/like", headers=bob["headers"]).json == {"liked": True, "like_count": 1}
    assert client.delete(f"{path}/like", headers=bob["headers"]).json == {"liked": False, "like_count": 0}
    assert client.put(f"{path}/scrap", headers=bob["headers"]).json == {"scrapped": True, "scrap_count": 1}
    comment = post_comment(client, alice, secret["id"], anonymous=True)
    liked = client.put(f"/comments/{comment['id']}/like", headers=bob["headers"]).json
    assert liked == {"liked": True, "like_count": 1}


# Lists that name an author, and counts.


def test_an_authors_list_leaves_their_anonymous_boards_out_but_for_themselves(client, alice, bob, admin):
    """Admins too: they see the author on each board, but a list by author is the author's own
    view of their boards only. Naive implementation: `author_id` filters on the author alone, so anyone lists a user's
    anonymous boards (masked, but now known to be theirs); or the page leaves them out while
    X-Pagination's total (a COUNT over author_id, or the user's board counter counting them
    too) still counts them: `total` 3 with 2 boards listed tells that one is anonymous."""
    first = create_board(client, alice, title="Named one")
    secret = post_board(client, alice, anonymous=True)
    last = create_board(client, alice, title="Named two")
    path = f"/boards?author_id={alice['id']}"
    for user in (None, bob, admin):
        response = client.get(path, headers=user["headers"] if user else None)
        assert [board["id"] for board in response.json] == [last["id"], first["id"]]
        assert pagination(response)["total"] == 2
        one = client.get(f"{path}&page_size=1&page=2", headers=user["headers"] if user else None)
        assert ([b["id"] for b in one.json], pagination(one)["total"]) == ([first["id"]], 2)
    own = client.get(path, headers=alice["headers"])
    assert [board["id"] for board in own.json] == [last["id"], secret["id"], first["id"]]
    assert pagination(own)["total"] == 3
    assert own.json[1]["author"] is None  # masked even for the author: an anonymous board names nobody


@pytest.mark.parametrize(
    "query", ["&q=Named", "&q=Secret", "&forum_id=1", "&sort=top", "&q=e&forum_id=1&sort=top"]
)
def test_an_authors_list_leaves_them_out_whatever_else_it_filters(client, alice, bob, query):
    """Naive implementation: the condition on `anonymous` is added to the plain `author_id`
    statement only, and the statements built for other combinations of filters miss it."""
    create_board(client, alice, title="Named")
    post_board(client, alice, anonymous=True)
    response = client.get(f"/boards?author_id={alice['id']}{query}", headers=bob["headers"])
    assert all(board["anonymous"] is False for board in response.json), query
    assert pagination(response)["total"] == len(response.json)
    own = client.get(f"/boards?author_id={alice['id']}{query}", headers=alice["headers"])
    assert pagination(own)["total"] == len(own.json)


def test_keyset_pages_of_an_author_leave_them_out_too(client, alice, bob):
    """Naive implementation: the keyset (`before`) statement of `author_id` lacks the condition
    that its offset twin has."""
    ids = []
    for n in range(6):
        board = post_board(client, alice, title=f"Post {n}", anonymous=n % 2 == 1)
        ids.append((board["id"], board["anonymous"]))
    seen, before = [], 10**6
    while True:
        response = client.get(
            f"/boards?author_id={alice['id']}&page_size=2&before={before}", headers=bob["headers"]
        )
        seen += [board["id"] for board in response.json]
        before = pagination(response).get("next_before")
        if before is None:
            break
    assert seen == [board_id for board_id, anonymous in reversed(ids) if not anonymous]


def test_the_feed_leaves_anonymous_boards_out_of_its_pages_and_its_total(client, alice, bob, carol):
    """Naive implementation: the feed lists the followees' boards whatever `anonymous` says
    (a follower then knows whose anonymous board it is), or its total sums a board counter
    that counts anonymous boards too."""
    assert client.put(f"/users/{alice['id']}/follow", headers=bob["headers"]).status_code == 200
    named = create_board(client, alice, title="Named")
    post_board(client, alice, anonymous=True)
    create_board(client, carol, title="Not followed")
    for query in ("", "?page_size=1", "?before=1000"):
        response = client.get(f"/boards/feed{query}", headers=bob["headers"])
        assert [board["id"] for board in response.json] == [named["id"]], query
        if "before" not in query:
            assert pagination(response)["total"] == 1, query


def test_no_profile_and_no_count_tells_of_anonymous_boards(app, client, alice, bob):
    """Naive implementation: the trigger-kept users.board_count counts every board, and a
    profile (or the feed's total, which sums it) shows that number."""
    create_board(client, alice, title="Named")
    profiles = [get(client, f"/users/{alice['id']}", user) for user in (None, bob, alice)]
    everyone = get(client, "/users")
    post_board(client, alice, anonymous=True)
    assert [get(client, f"/users/{alice['id']}", user) for user in (None, bob, alice)] == profiles
    assert get(client, "/users") == everyone
    with app.app_context():
        assert db.session.scalar(select(User.board_count).where(User.id == alice["id"])) == 1


def test_search_finds_an_anonymous_board_by_its_words_never_by_its_authors_name(client, alice, bob):
    """Naive implementation: search matches the author's name as well as the title and content,
    so `q=<username>` finds the user's anonymous boards."""
    secret = post_board(client, alice, title="Grades of the professor", anonymous=True)
    assert [board["id"] for board in get(client, "/boards?q=professor", bob)] == [secret["id"]]
    for query in (alice["username"], alice["username"].upper()):
        assert get(client, f"/boards?q={query}", bob) == []


# ETags and refusals.


def test_a_boards_etag_is_made_of_what_its_reader_sees(client, alice, bob, carol):
    """Naive implementation: the tag hashes the row before the author is masked: anyone can then
    hash the visible body with each user's {id, username} in turn and find the one that gives
    the ETag (and If-None-Match would confirm a guess with a 304)."""
    secret = post_board(client, alice, anonymous=True)
    path = f"/boards/{secret['id']}"
    tags = {}
    for name, user in (("nobody", None), ("bob", bob), ("carol", carol)):
        response = client.get(path, headers=user["headers"] if user else None)
        tags[name] = response.headers["ETag"]
        assert tags[name] == etag_of(response.json, BOARD_WRITABLE)
        for candidate in (alice, bob, carol):
            guessed = {**response.json, "author": ref(candidate)}
            assert etag_of(guessed, BOARD_WRITABLE) != tags[name]
    assert tags["bob"] == tags["carol"]  # the same body, whoever reads it
    assert client.get(path, headers={**carol["headers"], "If-None-Match": tags["bob"]}).status_code == 304


def test_a_comments_etag_is_made_of_what_its_reader_sees(client, alice, bob, carol):
    """Naive implementation: as for boards, the comment's tag hashes its author before masking."""
    board = create_board(client, alice)
    comment = post_comment(client, bob, board["id"], anonymous=True)
    for user in (None, alice, carol):
        response = client.get(f"/comments/{comment['id']}", headers=user["headers"] if user else None)
        assert response.headers["ETag"] == etag_of(response.json, COMMENT_WRITABLE)
        guessed = {**response.json, "author": ref(bob)}
        assert etag_of(guessed, COMMENT_WRITABLE) != response.headers["ETag"]


def test_refusals_name_nobody(client, alice, bob, carol):
    """Naive implementation: a 403 that says whose board or comment it is ("Only alice may edit
    this"), or a 403 for some boards and a 404 for others depending on who wrote them."""
    secret = post_board(client, alice, anonymous=True)
    named = create_board(client, carol, title="Named")
    comment = post_comment(client, alice, named["id"], anonymous=True)
    for method, path, body in (
        ("PUT", f"/boards/{secret['id']}", {"title": "Mine now"}),
        ("PATCH", f"/boards/{secret['id']}", {"title": "Mine now"}),
        ("DELETE", f"/boards/{secret['id']}", None),
        ("PATCH", f"/comments/{comment['id']}", {"content": "Mine now"}),
        ("DELETE", f"/comments/{comment['id']}", None),
    ):
        response = client.open(path, method=method, json=body, headers=bob["headers"])
        assert (response.status_code, response.json) == (403, FORBIDDEN), (method, path)
    assert client.get("/boards/999").json == not_found("Board 999 not found.")


# The forum's policy for comments, and the labels.


@pytest.fixture
def policies(client, admin) -> dict[str, int]:
    return {
        policy: create_forum(client, admin, policy.capitalize(), "test", anonymous=policy)["id"]
        for policy in ("never", "always")
    }


def test_the_forums_policy_decides_whether_a_comment_is_anonymous(client, alice, bob, policies):
    never = post_board(client, alice, title="Named", forum_id=policies["never"])
    refused = client.post(
        f"/boards/{never['id']}/comments", json={"content": "x", "anonymous": True}, headers=bob["headers"]
    )
    message = f"Forum {policies['never']} does not allow anonymous comments."
    assert (refused.status_code, refused.json) == (422, validation_error("json", {"anonymous": [message]}))
    assert post_comment(client, bob, never["id"], anonymous=False)["anonymous"] is False
    always = post_board(client, alice, forum_id=policies["always"])
    forced = post_comment(client, bob, always["id"], anonymous=False)
    assert (forced["anonymous"], forced["author"], forced["author_label"]) == (True, None, "anonymous 1")
    general = create_board(client, alice)
    assert post_comment(client, bob, general["id"])["anonymous"] is False  # optional: named by default


def test_labels_number_anonymous_commenters_in_order_of_their_first_comment(
    client, alice, bob, carol, make_user
):
    """Naive implementation: the number is the user's id, or the rank of their id among the
    board's commenters: carol (id 3) comments first here and must be "anonymous 1"."""
    dana = make_user("dana")
    board = create_board(client, alice)
    first = post_comment(client, carol, board["id"], anonymous=True)
    second = post_comment(client, bob, board["id"], anonymous=True)
    writer = post_comment(client, alice, board["id"], anonymous=True)
    again = post_comment(client, carol, board["id"], "Me again", anonymous=True)
    named = post_comment(client, bob, board["id"], "Bob here")
    reply = post_comment(client, dana, board["id"], "A reply", parent_id=first["id"], anonymous=True)
    assert [c["author_label"] for c in (first, second, writer, again, named, reply)] == [
        "anonymous 1",
        "anonymous 2",
        "writer",
        "anonymous 1",
        "bob",
        "anonymous 3",
    ]
    assert [c["author"] for c in (first, second, writer, again)] == [None] * 4
    assert (named["author"], named["anonymous"]) == (ref(bob), False)


def test_a_number_stays_with_its_commenter_after_deletions(client, alice, bob, carol, make_user):
    """Naive implementation: numbers counted from the anonymous comments still there, so that
    deleting "anonymous 1"'s comments renumbers everyone after them, or hands 1 to a newcomer."""
    board = create_board(client, alice)
    mine = post_comment(client, carol, board["id"], anonymous=True)
    post_comment(client, bob, board["id"], anonymous=True)
    assert client.delete(f"/comments/{mine['id']}", headers=carol["headers"]).status_code == 204
    assert get(client, f"/boards/{board['id']}/comments")[0]["author_label"] == "anonymous 2"
    assert (
        post_comment(client, make_user("erin"), board["id"], anonymous=True)["author_label"] == "anonymous 3"
    )
    assert post_comment(client, carol, board["id"], anonymous=True)["author_label"] == "anonymous 1"
    # A deleted commenter's number is not handed out again either.
    frank = make_user("frank")
    post_comment(client, frank, board["id"], anonymous=True)
    assert client.delete(f"/users/{frank['id']}", headers=frank["headers"]).status_code == 204
    assert (
        post_comment(client, make_user("gus"), board["id"], anonymous=True)["author_label"] == "anonymous 5"
    )


@pytest.mark.parametrize("reader", ["nobody", "stranger", "commenter", "admin"])
def test_every_read_of_an_anonymous_comment_hides_its_author_but_from_admins(
    client, alice, bob, carol, admin, reader
):
    """Naive implementation: the comment's JSON builder shows the stored author whatever
    `anonymous` says, on one of the four reads: a comment, a board's comments, a comment's
    replies, the replies embedded in their comment."""
    board = create_board(client, alice)
    top = post_comment(client, bob, board["id"], anonymous=True)
    reply = post_comment(client, bob, board["id"], "A reply", parent_id=top["id"], anonymous=True)
    user = {"nobody": None, "stranger": carol, "commenter": bob, "admin": admin}[reader]
    author = ref(bob) if reader == "admin" else None
    shown = [
        get(client, f"/comments/{top['id']}", user),
        get(client, f"/comments/{reply['id']}", user),
        get(client, f"/boards/{board['id']}/comments", user)[0],
        get(client, f"/boards/{board['id']}/comments", user)[0]["replies"][0],
        get(client, f"/comments/{top['id']}/replies", user)[0],
        get(client, f"/comments/{top['id']}", user)["replies"][0],
    ]
    for comment in shown:
        assert (comment["author"], comment["anonymous"], comment["author_label"]) == (
            author,
            True,
            "anonymous 1",
        )
    for path in (
        f"/comments/{top['id']}",
        f"/boards/{board['id']}/comments",
        f"/comments/{top['id']}/replies",
    ):
        assert client.get(path, headers=user["headers"] if user else None).headers["Vary"] == "Authorization"


def test_a_label_never_names_its_author(client, alice, bob):
    """Naive implementation: `author_label` filled with the username for every comment (it is
    the username for named comments)."""
    board = post_board(client, alice, anonymous=True)
    for user in (alice, bob):
        comment = post_comment(client, user, board["id"], anonymous=True)
        assert comment["author_label"] in ("writer", "anonymous 1")
        assert user["username"] not in str(comment)


def test_a_placeholder_keeps_no_author_and_no_label(client, alice, bob, carol):
    board = create_board(client, alice)
    top = post_comment(client, bob, board["id"], anonymous=True)
    post_comment(client, carol, board["id"], "A reply", parent_id=top["id"])
    assert client.delete(f"/comments/{top['id']}", headers=bob["headers"]).status_code == 204
    placeholder = get(client, f"/boards/{board['id']}/comments")[0]
    assert (placeholder["deleted"], placeholder["author"], placeholder["author_label"]) == (True, None, None)
    assert placeholder["anonymous"] is False


def test_an_anonymous_comment_is_written_and_edited_without_its_name(client, alice, bob, admin):
    """Naive implementation: the 201 and the PATCH answer build the comment from the token's
    user, author included."""
    board = create_board(client, alice)
    comment = post_comment(client, bob, board["id"], anonymous=True)
    assert (comment["author"], comment["author_label"]) == (None, "anonymous 1")
    edited = client.patch(f"/comments/{comment['id']}", json={"content": "Edited"}, headers=bob["headers"])
    assert (edited.json["author"], edited.json["author_label"]) == (None, "anonymous 1")
    moderated = client.patch(
        f"/comments/{comment['id']}", json={"content": "Moderated"}, headers=admin["headers"]
    )
    assert moderated.json["author"] == ref(bob)
    refused = client.patch(
        f"/comments/{comment['id']}", json={"content": "Named?", "anonymous": False}, headers=bob["headers"]
    )
    assert refused.json == validation_error("json", {"anonymous": ["Unknown field."]})


def test_sixteen_simultaneous_first_comments_get_sixteen_numbers(app, client, alice, make_user):
    """Naive implementation: the next number read with SELECT MAX(number) + 1 (or the counter
    read, then written) outside the board's lock: two commenters get one number, and the unique
    (board_id, number) index turns one of them into a 500."""
    board = create_board(client, alice)
    users = [make_user() for _ in range(CLIENTS)]
    path = f"/boards/{board['id']}/comments"
    results = race(
        app, [request("POST", path, {"content": "Me", "anonymous": True}, u["access_token"]) for u in users]
    )
    assert Counter(status for status, _ in results) == {201: CLIENTS}, results
    labels = [body["author_label"] for _, body in results]
    assert sorted(labels, key=lambda label: int(label.split()[1])) == [f"anonymous {n}" for n in range(1, 17)]
    for user, label in zip(users, labels, strict=True):
        assert post_comment(client, user, board["id"], "Again", anonymous=True)["author_label"] == label
    with app.app_context():
        stored = db.session.execute(select(BoardAnonymousAuthor.user_id, BoardAnonymousAuthor.number)).all()
        assert sorted(number for _, number in stored) == list(range(1, 17))
        assert db.session.scalar(select(Board.anonymous_commenter_count).where(Board.id == board["id"])) == 16


def test_one_persons_simultaneous_first_comments_get_one_number(app, client, alice, bob, carol):
    """Naive implementation: "has this person a number yet?" read before the board's lock: two
    of their requests each hand out a number, or the primary key (board_id, user_id) turns one
    into a 500."""
    board = create_board(client, alice)
    path = f"/boards/{board['id']}/comments"
    results = race(
        app, [request("POST", path, {"content": "Me", "anonymous": True}, bob["access_token"])] * CLIENTS
    )
    assert Counter(status for status, _ in results) == {201: CLIENTS}, results
    assert {body["author_label"] for _, body in results} == {"anonymous 1"}
    assert post_comment(client, carol, board["id"], anonymous=True)["author_label"] == "anonymous 2"
    with app.app_context():
        assert db.session.execute(
            select(BoardAnonymousAuthor.user_id, BoardAnonymousAuthor.number)
        ).all() == [
            (bob["id"], 1),
            (carol["id"], 2),
        ]
