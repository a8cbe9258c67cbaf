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

    # Read the forum (General: its name for the answer, its policy), INSERT.
    post = cost(app, client, "/boards", method="POST", json={"title": "New"}, headers=headers)
    assert post[0] == auth + 2, post[1]
    patch = cost(app, client, f"/boards/{board['id']}", method="PATCH", json={"title": "x"}, headers=headers)
    # Lock the board (models/row_lock.py), UPDATE, read it as written (with its author).
    assert patch[0] == auth + 3, patch[1]
    delete = cost(app, client, f"/boards/{board['id']}", method="DELETE", headers=headers)
    assert delete[0] == auth + 2, delete[1]  # lock, DELETE


def test_deleting_a_user_with_many_boards_costs_a_constant_number_of_statements(app, client, seeded):
    author = seeded[2]
    auth, _ = cost(app, client, "/auth/me", headers=author["headers"])
    count, statements = cost(
        app, client, f"/users/{author['id']}", method="DELETE", headers=author["headers"]
    )
    # Authentication reads the token's user as a plain row; the view loads the User to delete it,
    # deals with their comments (none here: lock the boards, delete the comments on their boards,
    # find their other comments), moves the counts of the boards and comments they liked or
    # scrapped and deletes those marks (2 per kind of mark, 3 kinds, see services/marks.py), DELETEs
    # the boards in one statement (after locking their forums, in id order), then the user:
    # constant, however many boards. Its follows cost five more (models.follow.delete_follows_of_user),
    # up to 1,000 follows. Messages (services.messages.delete_messages_of_user): lock the user row,
    # two DELETEs, two UPDATEs. And one read of their hidden comments (none here: restored first,
    # one by one, when any).
    assert count == auth + 8 + 6 + 5 + 5, statements


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


# Likes and scraps (issue 13): the reader's marks cost no statement; a like costs three.


@pytest.fixture
def marked(app, client, seeded):
    """Every board liked and scrapped by one of the authors (bulk), so that every mark join hits."""
    from models import BoardLike, BoardScrap

    reader = seeded[0]
    with app.app_context():
        ids = db.session.scalars(db.select(Board.id)).all()
        for model in (BoardLike, BoardScrap):
            rows = [{"user_id": reader["id"], "board_id": board_id} for board_id in ids]
            db.session.execute(db.insert(model), rows)
        db.session.commit()
    return reader


@pytest.mark.parametrize(
    "query",
    [
        "",
        "&author_id={author_id}",
        "&q=board",
        "&page=2",
        "&sort=top",
        "&sort=top&q=board&author_id={author_id}",
    ],
    ids=["all", "author", "q", "page-2", "top", "top+filters"],
)
def test_a_page_with_a_token_costs_only_the_authentication_more(app, client, marked, query):
    query = query.format(author_id=marked["id"])
    auth, _ = cost(app, client, "/auth/me", headers=marked["headers"])
    for size in (1, 100):
        anonymous, _ = cost(app, client, f"/boards?page_size={size}{query}")
        with_token, statements = cost(
            app, client, f"/boards?page_size={size}{query}", headers=marked["headers"]
        )
        assert (anonymous, with_token) == (2, auth + 2), statements
    assert "LEFT OUTER JOIN board_likes" in statements[-1]
    page = client.get(f"/boards?page_size=100{query}", headers=marked["headers"]).json
    assert page and all(board["liked"] and board["scrapped"] for board in page)


def test_a_board_with_a_token_costs_only_the_authentication_more(app, client, marked):
    auth, _ = cost(app, client, "/auth/me", headers=marked["headers"])
    assert cost(app, client, "/boards/7", headers=marked["headers"])[0] == auth + 1


def test_a_page_of_my_scraps_costs_two_statements_whatever_its_size(app, client, marked):
    auth, _ = cost(app, client, "/auth/me", headers=marked["headers"])
    for size in (1, 100):
        count, statements = cost(app, client, f"/users/me/scraps?page_size={size}", headers=marked["headers"])
        assert count == auth + 2, statements  # the reader's scrap count, the page


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("kind", ["like", "scrap"])
def test_a_mark_costs_three_statements_and_a_repeat_two(app, client, seeded, method, kind):
    reader = seeded[1]
    auth, _ = cost(app, client, "/auth/me", headers=reader["headers"])
    if method == "DELETE":
        client.put(f"/boards/3/{kind}", headers=reader["headers"])  # something to take back
    # Lock the board's row (reading its count), INSERT/DELETE the mark, move the counter.
    count, statements = cost(app, client, f"/boards/3/{kind}", method=method, headers=reader["headers"])
    assert count == auth + 3, statements
    # The idempotent repeat changes no mark, so it moves no counter.
    count, statements = cost(app, client, f"/boards/3/{kind}", method=method, headers=reader["headers"])
    assert count == auth + 2, statements


def test_sort_top_reads_its_index_without_sorting(app, seeded):
    """The first page of sort=top is an index scan that stops after the page, at any table size."""
    from services.boards import _statements

    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("SQLite's EXPLAIN QUERY PLAN")
        for viewer in ("anonymous", "user", "admin"):
            page, _ = _statements(frozenset(), "top", viewer)
            sql = str(page.compile(connection, compile_kwargs={"render_postcompile": True}))
            plan = " / ".join(
                row[-1]
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (1,) * sql.count("?"))
            )
            assert "SCAN boards USING INDEX ix_boards_like_count_id" in plan, plan
            assert "TEMP B-TREE" not in plan, plan


# Comments: a page of threads costs the same whatever its size and its replies.


@pytest.fixture
def threads(app, client, seeded):
    """A board with 30 top-level comments: every third one with 25 replies, the others with none."""
    from tests.support_comments import post_comment

    author, replier = seeded[0], seeded[1]
    board = create_board(client, author)
    comments = [post_comment(client, author, board["id"], f"c{n}") for n in range(30)]
    for comment in comments[::3]:
        for n in range(25):
            post_comment(client, replier, board["id"], f"r{n}", comment["id"])
    return board, comments


def test_a_page_of_comments_with_their_replies_costs_three_statements(app, client, threads):
    board, _ = threads
    url = f"/boards/{board['id']}/comments"
    # Pages of one thread with 25 replies (the first and the fourth), and of all 30 threads.
    small = [cost(app, client, f"{url}?page_size=1&page={page}")[0] for page in (1, 4)]
    large, statements = cost(app, client, f"{url}?page_size=100")
    # The board with its number of threads, the page, every page comment's first 20 replies.
    assert (*small, large) == (3, 3, 3), statements
    assert "row_number() over (partition by" in statements[2].lower()
    body = client.get(f"{url}?page_size=100").json
    assert sum(len(comment["replies"]) for comment in body) == 10 * 20


def test_a_page_of_comments_without_replies_costs_two_statements(app, client, threads):
    board, _ = threads
    assert cost(app, client, f"/boards/{board['id']}/comments?page_size=1&page=2")[0] == 2


def test_a_comment_and_its_replies_cost_a_constant_number_of_statements(app, client, threads):
    _, comments = threads
    with_replies, without = comments[0]["id"], comments[1]["id"]
    assert cost(app, client, f"/comments/{with_replies}")[0] == 2
    etag = client.get(f"/comments/{with_replies}").headers["ETag"]
    assert cost(app, client, f"/comments/{with_replies}", headers={"If-None-Match": etag})[0] == 2
    assert cost(app, client, f"/comments/{without}")[0] == 1
    for size in (1, 100):
        assert cost(app, client, f"/comments/{with_replies}/replies?page_size={size}")[0] == 2


def test_comment_writes_cost_a_constant_number_of_statements_beyond_authentication(
    app, client, threads, seeded
):
    board, comments = threads
    author = seeded[0]
    headers = author["headers"]
    auth, _ = cost(app, client, "/auth/me", headers=headers)
    url = f"/boards/{board['id']}/comments"

    top = cost(app, client, url, method="POST", json={"content": "x"}, headers=headers)
    assert top[0] == auth + 3, top[1]  # UPDATE the board's count, its forum's policy, INSERT
    reply = cost(
        app,
        client,
        url,
        method="POST",
        json={"content": "x", "parent_id": comments[1]["id"]},
        headers=headers,
    )
    assert reply[0] == auth + 4, reply[1]  # and UPDATE the parent's reply_count (checking it)
    anonymous = {"content": "x", "anonymous": True}
    # The board's writer, anonymous: labelled "writer", no number to look up.
    writer = cost(app, client, url, method="POST", json=anonymous, headers=headers)
    assert writer[0] == auth + 3, writer[1]
    # Someone else's first anonymous comment: their number looked up (locked), the board's counter
    # moved and read, the number inserted; then the same commenter again, found.
    other = seeded[2]["headers"]
    auth_other, _ = cost(app, client, "/auth/me", headers=other)
    first = cost(app, client, url, method="POST", json=anonymous, headers=other)
    assert first[0] == auth_other + 7, first[1]
    again = cost(app, client, url, method="POST", json=anonymous, headers=other)
    assert again[0] == auth_other + 4, again[1]
    patch = cost(
        app, client, f"/comments/{comments[1]['id']}", method="PATCH", json={"content": "y"}, headers=headers
    )
    # Lock, whether its board or parent hides it, UPDATE, then the comment and its replies.
    assert patch[0] == auth + 5, patch[1]
    # A comment with 25 replies becomes a placeholder: find its board, lock it, lock the comment,
    # read it with what holds it (services/hiding.py), board count, DELETE (no), UPDATE, DELETE
    # its likes.
    placeholder = cost(app, client, f"/comments/{comments[0]['id']}", method="DELETE", headers=headers)
    assert placeholder[0] == auth + 8, placeholder[1]
    # A reply: the same four, board count, DELETE, parent's count, DELETE the parent if an empty
    # placeholder.
    reply_id = client.get(f"/comments/{comments[0]['id']}").json["replies"][0]["id"]
    replier = seeded[1]
    auth_replier, _ = cost(app, client, "/auth/me", headers=replier["headers"])
    deleted = cost(app, client, f"/comments/{reply_id}", method="DELETE", headers=replier["headers"])
    assert deleted[0] == auth_replier + 8, deleted[1]


def test_deleting_a_user_with_many_comments_costs_a_constant_number_of_statements(
    app, client, threads, seeded
):
    """The replier wrote 250 replies to 10 comments, the fourth author one comment and one reply:
    the same cost."""
    from tests.support_comments import post_comment

    board, comments = threads
    replier, few = seeded[1], seeded[3]
    post_comment(client, few, board["id"], "just one")
    post_comment(client, few, board["id"], "and a reply", comments[1]["id"])
    costs = []
    for user in (replier, few):
        auth, _ = cost(app, client, "/auth/me", headers=user["headers"])
        count, statements = cost(
            app, client, f"/users/{user['id']}", method="DELETE", headers=user["headers"]
        )
        costs.append(count - auth)
    # Load the user, lock boards, delete comments on their boards, find their comments, move the
    # reply and comment counts, delete the likes of their comments, delete, make placeholders,
    # drop emptied placeholders, then their boards (their forums locked first) and the user; and find their hidden comments.
    assert costs == [14 + 6 + 5 + 5] * 2, statements  # + their own marks, follows, messages (see above)


@pytest.fixture
def liked_threads(app, threads, seeded):
    """The threads above, every comment and reply liked by one reader (bulk): every join hits."""
    from models import Comment, CommentLike

    reader = seeded[0]
    with app.app_context():
        ids = db.session.scalars(db.select(Comment.id)).all()
        rows = [{"user_id": reader["id"], "comment_id": comment_id} for comment_id in ids]
        db.session.execute(db.insert(CommentLike), rows)
        db.session.commit()
    return threads, reader


@pytest.mark.parametrize("read", ["comments", "comment", "replies"])
def test_comment_reads_with_a_token_cost_only_the_authentication_more(app, client, liked_threads, read):
    """The reader's likes are LEFT JOINs on comment_likes' primary key, in the page's statement and
    in the replies' window query: zero statements more, whatever the page and its threads."""
    (board, comments), reader = liked_threads
    auth, _ = cost(app, client, "/auth/me", headers=reader["headers"])
    urls = {
        "comments": f"/boards/{board['id']}/comments?page_size={{size}}",
        "comment": f"/comments/{comments[0]['id']}",
        "replies": f"/comments/{comments[0]['id']}/replies?page_size={{size}}",
    }
    for size in (1, 100):
        url = urls[read].format(size=size)
        anonymous, _ = cost(app, client, url)
        with_token, statements = cost(app, client, url, headers=reader["headers"])
        assert with_token == auth + anonymous, statements
        assert anonymous == {"comments": 3, "comment": 2, "replies": 2}[read]
    assert all("LEFT OUTER JOIN comment_likes" in sql for sql in statements[-(anonymous - 1) :])
    body = client.get(url, headers=reader["headers"]).json
    shown = body if isinstance(body, list) else [body]
    shown += [reply for item in shown for reply in item["replies"]]
    assert len(shown) > 20 and all(item["liked"] for item in shown)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_comment_like_costs_four_statements_and_a_repeat_three(app, client, threads, seeded, method):
    _, comments = threads
    reader = seeded[1]
    auth, _ = cost(app, client, "/auth/me", headers=reader["headers"])
    url = f"/comments/{comments[0]['id']}/like"
    if method == "DELETE":
        client.put(url, headers=reader["headers"])  # something to take back
    # Lock the comment's row (its count, whether it is a placeholder or hidden), whether its board
    # or parent hides it, INSERT/DELETE the like, move the counter; the idempotent repeat moves no
    # counter.
    for expected in (4, 3):
        count, statements = cost(app, client, url, method=method, headers=reader["headers"])
        assert count == auth + expected, statements
