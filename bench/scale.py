"""`make bench-scale`: latency of GET /boards as the table grows (1,000 / 100,000 / 1,000,000 boards).

For each size: a fresh SQLite database seeded with 200 users and N boards, the API under
`make serve`'s gunicorn settings, and wrk with one connection (latency, not throughput) on:
the first page, the author_id filter, a deep keyset page (`before`), the first page of sort=top
(most liked first), and, for contrast, the deepest offset page (what `before` is for). Then
searches (`q`): a rare term found only in contents (10 boards, whatever the size), two rare terms
(5 boards hold both), a common term (`apple`, in the titles of 10 % of the boards) and a
two-character Hangul term (`게시`, in the contents of 1 %). Then GET /boards/feed of a user who
follows 1,000 users: 100 of the 200 authors (half of the boards) and 900 users without boards.
Last, the searches again on a private MariaDB server (tests/mariadb.py, with Mroonga) at
--mariadb-sizes. The size of the search index is printed for each database.

    python bench/scale.py [--sizes 1000,100000,1000000] [--mariadb-sizes 1000,100000] [--seconds 5]
                          [--only search]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import ROOT, app_env, flask, gunicorn, request_json, seeded_database, wrk
from sqlalchemy import create_engine, text

sys.path.insert(0, str(ROOT))
from tests.mariadb import MariaDB

USERS = 200
SILENT_FOLLOWEES = 900  # users without boards, followed too: 1,000 followees in all
SEED_PASSWORD = "seed-password"  # flask seed's default


def queries(boards: int, author_id: int) -> dict[str, str]:
    return {
        "first page": "/boards?page_size=20",
        "author_id filter": f"/boards?author_id={author_id}&page_size=20",
        "deep keyset page (before=100)": "/boards?before=100&page_size=20",
        "sort=top first page": "/boards?sort=top&page_size=20",
        "deepest offset page": f"/boards?page={boards // 20}&page_size=20",
    }


def search_queries() -> dict[str, str]:
    return {
        "q: rare term in contents (zebra, 10)": "/boards?q=zebra&page_size=20",
        "q: two rare terms (zebra quokka, 5)": "/boards?q=zebra+quokka&page_size=20",
        "q: common term (q=apple, 10 %)": "/boards?q=apple&page_size=20",
        "q: 2-char Hangul (게시, 1 %)": "/boards?q=%EA%B2%8C%EC%8B%9C&page_size=20",
    }


def plant_search_terms(url: str) -> None:
    """Seeded contents are all alike: put the searched terms into some of them. `zebra` goes to 10
    boards spread over the table, `quokka` to 10 (5 of them also zebra's), `자유게시판` to 1 %.
    UPDATEs through the database's own triggers, which keep the index in step."""
    engine = create_engine(url)
    with engine.begin() as conn:
        count = conn.execute(text("SELECT MAX(id) FROM boards")).scalar_one()
        step = count // 10
        updates = [
            ("zebra", "id % :step = 0"),
            ("quokka", "id % (2 * :step) IN (0, :step + :half)"),
            ("자유게시판", "id % 100 = 0"),
        ]
        for word, where in updates:
            conn.execute(
                text(f"UPDATE boards SET content = CONCAT(content, ' {word}') WHERE {where}")
                if engine.dialect.name != "sqlite"
                else text(f"UPDATE boards SET content = content || ' {word}' WHERE {where}"),
                {"step": step, "half": step // 2},
            )
    engine.dispose()


def index_size(url: str, datadir: Path | None = None) -> str:
    """The search index on disk: FTS5's shadow tables (dbstat), or Mroonga's files."""
    engine = create_engine(url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            index = conn.execute(text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'board_fts%'")).scalar()
            table = conn.execute(text("SELECT SUM(pgsize) FROM dbstat WHERE name = 'boards'")).scalar()
            whole = conn.execute(text("SELECT SUM(pgsize) FROM dbstat")).scalar()
        else:
            name = conn.execute(text("SELECT DATABASE()")).scalar_one()
            # Blocks in use: Groonga's files are sparse, their apparent size is far larger.
            index = sum(f.stat().st_blocks * 512 for f in datadir.glob(f"{name}.mrn*")) if datadir else 0
            conn.execute(text("ANALYZE TABLE boards"))  # InnoDB's sizes are estimates until then
            table = conn.execute(
                text(
                    "SELECT data_length FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'boards'"
                )
            ).scalar()
            whole = None
    engine.dispose()
    mib = 1024 * 1024
    extra = f", whole database {whole / mib:.1f} MiB" if whole else ""
    return f"search index {index / mib:.1f} MiB (boards table {table / mib:.1f} MiB{extra})"


def spread_like_counts(database: Path) -> None:
    """Seeded boards have no likes, so sort=top would read the index in id order: give them
    counts from 0 to 999, scattered over the ids (the counts alone: only reads are measured)."""
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE boards SET like_count = (id * 7919) % 1000")


def feed_queries(boards: int) -> dict[str, str]:
    return {
        "feed, first page": "/boards/feed?page_size=20",
        "feed, keyset page (before=N/2)": f"/boards/feed?before={boards // 2}&page_size=20",
        "feed, deep keyset page (before=100)": "/boards/feed?before=100&page_size=20",
    }


def follow_for_the_feed(url: str) -> str:
    """seed_1 (the first author) follows every other author and the users without boards; its token."""
    ids = []
    for page in range(1, (USERS + SILENT_FOLLOWEES) // 100 + 2):
        ids += [user["id"] for user in request_json(f"{url}/users?page_size=100&page={page}")]
    token = request_json(url + "/auth/login", {"username": "seed_1", "password": SEED_PASSWORD})[
        "access_token"
    ]
    for user_id in ids[1:USERS:2] + ids[USERS:]:
        request = urllib.request.Request(f"{url}/users/{user_id}/follow", method="PUT")
        request.add_header("Authorization", f"Bearer {token}")
        urllib.request.urlopen(request, timeout=10).close()
    followees = request_json(f"{url}/users/{ids[0]}")["following_count"]
    assert followees == len(ids[1:USERS:2] + ids[USERS:]) == 1000, followees
    return token


def measure(boards: int, seconds: int, folder: Path, only_search: bool) -> dict[str, dict[str, float]]:
    started = time.perf_counter()
    database, seeded = seeded_database(folder, users=USERS, boards=boards)
    spread_like_counts(database)
    plant_search_terms(f"sqlite:///{database}")
    if not only_search:
        flask(app_env(database), "seed", "--users", str(SILENT_FOLLOWEES))
    print(f"{seeded} (set-up {time.perf_counter() - started:.1f} s)", flush=True)
    print(f"  {index_size(f'sqlite:///{database}')}", flush=True)
    with gunicorn("app:create_app()", app_env(database), folder / f"access-{boards}.log") as url:
        paths = [(label, path, None) for label, path in search_queries().items()]
        if not only_search:
            first = request_json(url + "/boards?page_size=1")[0]
            token = follow_for_the_feed(url)
            paths = [(label, path, None) for label, path in queries(boards, first["author"]["id"]).items()]
            paths += [(label, path, None) for label, path in search_queries().items()]
            paths += [(label, path, token) for label, path in feed_queries(boards).items()]
        return run_wrk(url, paths, seconds)


def run_wrk(url: str, paths: list[tuple[str, str, str | None]], seconds: int) -> dict[str, dict[str, float]]:
    results = {}
    for label, path, auth in paths:
        results[label] = result = wrk(url + path, seconds, connections=1, token=auth)
        assert result["non_2xx"] == 0, (label, result)
        print(f"  {label:36} p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms", flush=True)
    return results


def measure_mariadb(boards: int, seconds: int, folder: Path) -> dict[str, dict[str, float]]:
    """The searches on a private MariaDB server with Mroonga (tests/mariadb.py), seeded alike."""
    started = time.perf_counter()
    with MariaDB() as server:  # its own folder: the server runs as the mysql user
        url = server.create_database("board_bench", "bench")
        env = {**app_env(folder / "unused.db"), "DATABASE_URL": url}
        flask(env, "db", "upgrade")
        seeded = flask(env, "seed", "--users", str(USERS), "--boards", str(boards))
        plant_search_terms(url)
        print(
            f"MariaDB {server.version()}: {seeded} (set-up {time.perf_counter() - started:.1f} s)", flush=True
        )
        print(f"  {index_size(url, server.datadir)}", flush=True)
        with gunicorn("app:create_app()", env, folder / f"access-mariadb-{boards}.log") as app_url:
            return run_wrk(
                app_url, [(label, path, None) for label, path in search_queries().items()], seconds
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,100000,1000000", help="board counts, comma-separated")
    parser.add_argument(
        "--mariadb-sizes", default="1000,100000", help="board counts on MariaDB ('' for none)"
    )
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per query")
    parser.add_argument("--only", choices=["search"], help="only the searches (set-up is much shorter)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    mariadb_sizes = [int(size) for size in args.mariadb_sizes.split(",") if size]
    only_search = args.only == "search"
    with tempfile.TemporaryDirectory(prefix="board-scale-") as folder:
        table = {size: measure(size, args.seconds, Path(folder), only_search) for size in sizes}
        mariadb = {size: measure_mariadb(size, args.seconds, Path(folder)) for size in mariadb_sizes}
    if table:
        print_table("SQLite", table)
    if mariadb:
        print_table("MariaDB (Mroonga)", mariadb)


def print_table(title: str, table: dict[int, dict[str, dict[str, float]]]) -> None:
    sizes = list(table)
    labels = list(table[sizes[0]])
    print(f"\n{title}: p50 latency in ms (p99 in brackets), one connection:\n")
    print(
        "| query | " + " | ".join(f"{size:,} boards" for size in sizes) + f" | {sizes[-1]:,} / {sizes[0]:,} |"
    )
    print("|---|" + "---:|" * (len(sizes) + 1))
    for label in labels:
        cells = [f"{table[size][label]['p50_ms']:.2f} ({table[size][label]['p99_ms']:.1f})" for size in sizes]
        growth = table[sizes[-1]][label]["p50_ms"] / table[sizes[0]][label]["p50_ms"]
        print(f"| {label} | " + " | ".join(cells) + f" | {growth:.2f}x |")


if __name__ == "__main__":
    main()
