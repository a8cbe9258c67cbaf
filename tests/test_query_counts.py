"""The cost of a request does not grow with the page or the table: SQL statements counted, not timed."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import InvalidRequestError

from db import db
from models import Board, User
from tests.support import count_statements, create_board, seed_boards

AUTHORS = 6
BOARDS = 120


@pytest.fixture
def authors(make_user):
    return [make_user(f"author{n}") for n in range(AUTHORS)]


@pytest.fixture
def seeded(app, client, authors):
    seed_boards(app, [author["id"] for author in authors], BOARDS, title="Board {n}")
    client.get("/boards")  # warm up: the first request may open the connection
    return authors


def cost(app, client, url: str, **kwargs) -> tuple[int, list[str]]:
    with count_statements(app) as statements:
        response = client.open(url, **kwargs)
    assert response.status_code in (200, 201, 204, 304), (url, response.json)
    return len(statements), statements


@pytest.mark.parametrize(
    "query",
    [
        "",
        "&author_id={author_id}",
        "&q=board",
        "&q=board&author_id={author_id}",
        "&page=2",
    ],
    ids=["all", "author", "q", "author+q", "page-2"],
)
def test_a_page_of_boards_costs_two_statements_whatever_its_size(app, client, seeded, query):
    query = query.format(author_id=seeded[1]["id"])
    small, _ = cost(app, client, f"/boards?page_size=1{query}")
    large, statements = cost(app, client, f"/boards?page_size=100{query}")
    # One COUNT for X-Pagination, one SELECT of the page with its authors joined in.
    assert (small, large) == (2, 2), statements
    assert "JOIN users" in statements[1]


def test_a_full_page_of_100_boards_names_every_author(app, client, seeded):
    with count_statements(app) as statements:
        boards = client.get("/boards?page_size=100").json
    assert len(boards) == 100
    assert {board["author"]["username"] for board in boards} == {f"author{n}" for n in range(AUTHORS)}
    assert len(statements) == 2


def test_a_page_past_the_end_costs_only_the_count(app, client, seeded):
    assert cost(app, client, f"/boards?page={10**30}")[0] == 1


def test_a_board_costs_one_statement(app, client, seeded):
    board_id = client.get("/boards?page_size=1").json[0]["id"]
    assert cost(app, client, f"/boards/{board_id}")[0] == 1
    etag = client.get(f"/boards/{board_id}").headers["ETag"]
    assert cost(app, client, f"/boards/{board_id}", headers={"If-None-Match": etag})[0] == 1


def test_a_page_of_users_costs_two_statements_whatever_its_size(app, client, seeded, make_user):
    for n in range(10):
        make_user(f"extra{n}")
    assert cost(app, client, "/users?page_size=1")[0] == 2
    assert cost(app, client, "/users?page_size=100")[0] == 2


def test_an_anonymous_profile_costs_one_statement(app, client, seeded):
    assert cost(app, client, f"/users/{seeded[0]['id']}")[0] == 1


def test_writes_cost_a_constant_number_of_statements_beyond_authentication(app, client, seeded):
    """Authentication has its own fixed cost (revocation check, user lookup): measured on /auth/me,
    which does nothing else, and subtracted, so that this test is about the boards code."""
    author = seeded[0]
    headers = author["headers"]
    auth, _ = cost(app, client, "/auth/me", headers=headers)
    board = create_board(client, author)

    assert cost(app, client, "/boards", method="POST", json={"title": "New"}, headers=headers)[0] == auth + 1
    patch = cost(app, client, f"/boards/{board['id']}", method="PATCH", json={"title": "x"}, headers=headers)
    assert patch[0] == auth + 2, patch[1]  # SELECT the board with its author, UPDATE
    delete = cost(app, client, f"/boards/{board['id']}", method="DELETE", headers=headers)
    assert delete[0] == auth + 2, delete[1]  # SELECT, DELETE


def test_deleting_a_user_with_many_boards_costs_a_constant_number_of_statements(app, client, seeded):
    author = seeded[2]
    auth, _ = cost(app, client, "/auth/me", headers=author["headers"])
    count, statements = cost(
        app, client, f"/users/{author['id']}", method="DELETE", headers=author["headers"]
    )
    # Authentication reads the token's user as a plain row; the view loads the User to delete it,
    # DELETEs the boards in one statement, then the user: constant, however many boards.
    # Messages (models.message.delete_messages_of_user): lock the user row, two DELETEs, two UPDATEs.
    assert count == auth + 3 + 5, statements


def test_board_author_can_never_be_lazy_loaded(app, seeded):
    assert Board.author.property.lazy == "raise"
    with app.app_context():
        board = db.session.scalars(db.select(Board).limit(1)).one()
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            _ = board.author


def test_no_relationship_anywhere_loads_lazily(app):
    """N+1 needs a lazy load: every relationship of every model refuses one."""
    with app.app_context():
        for mapper in db.Model.registry.mappers:
            for relationship in mapper.relationships:
                assert relationship.lazy in ("raise", "raise_on_sql"), (
                    f"{mapper.class_.__name__}.{relationship.key}"
                )


def test_user_boards_cannot_be_lazy_loaded(app, seeded):
    with app.app_context():
        user = db.session.get(User, seeded[0]["id"])
        with pytest.raises(InvalidRequestError):
            _ = user.boards
