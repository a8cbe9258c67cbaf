"""`make bench-scale`: latency of GET /boards as the table grows (1,000 / 100,000 / 1,000,000 boards).

For each size: a fresh SQLite database seeded with 200 users and N boards, the API under
`make serve`'s gunicorn settings, and wrk with one connection (latency, not throughput) on:
the first page, the author_id filter, a deep keyset page (`before`), the q filter, the first page
of sort=top (most liked first), and, for contrast, the deepest offset page (what `before` is for).
Then GET /boards/feed of a user who follows 1,000 users: 100 of the 200 authors (half of the
boards) and 900 users without boards.

    python bench/scale.py [--sizes 1000,100000,1000000] [--seconds 5]
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

from servers import app_env, flask, gunicorn, request_json, seeded_database, wrk

USERS = 200
SILENT_FOLLOWEES = 900  # users without boards, followed too: 1,000 followees in all
SEED_PASSWORD = "seed-password"  # flask seed's default


def queries(boards: int, author_id: int) -> dict[str, str]:
    return {
        "first page": "/boards?page_size=20",
        "author_id filter": f"/boards?author_id={author_id}&page_size=20",
        "deep keyset page (before=100)": "/boards?before=100&page_size=20",
        "q filter (q=apple)": "/boards?q=apple&page_size=20",
        "sort=top first page": "/boards?sort=top&page_size=20",
        "deepest offset page": f"/boards?page={boards // 20}&page_size=20",
    }


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


def measure(boards: int, seconds: int, folder: Path) -> dict[str, dict[str, float]]:
    started = time.perf_counter()
    database, seeded = seeded_database(folder, users=USERS, boards=boards)
    spread_like_counts(database)
    flask(app_env(database), "seed", "--users", str(SILENT_FOLLOWEES))
    print(f"{seeded} (set-up {time.perf_counter() - started:.1f} s)", flush=True)
    results = {}
    with gunicorn("app:create_app()", app_env(database), folder / f"access-{boards}.log") as url:
        first = request_json(url + "/boards?page_size=1")[0]
        token = follow_for_the_feed(url)
        paths = [(label, path, None) for label, path in queries(boards, first["author"]["id"]).items()]
        paths += [(label, path, token) for label, path in feed_queries(boards).items()]
        for label, path, auth in paths:
            results[label] = result = wrk(url + path, seconds, connections=1, token=auth)
            assert result["non_2xx"] == 0, (label, result)
            print(f"  {label:36} p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,100000,1000000", help="board counts, comma-separated")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per query")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="board-scale-") as folder:
        table = {size: measure(size, args.seconds, Path(folder)) for size in sizes}

    labels = list(table[sizes[0]])
    print("\np50 latency in ms (p99 in brackets), one connection:\n")
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
