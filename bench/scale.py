"""`make bench-scale`: latency of GET /boards as the table grows (1,000 / 100,000 / 1,000,000 boards).

For each size: a fresh SQLite database seeded with 200 users and N boards, the API under
`make serve`'s gunicorn settings, and wrk with one connection (latency, not throughput) on:
the first page, the author_id filter, a deep keyset page (`before`), the q filter, the first page
of sort=top (most liked first), and, for contrast, the deepest offset page (what `before` is for).

    python bench/scale.py [--sizes 1000,100000,1000000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import app_env, gunicorn, request_json, seeded_database, wrk

USERS = 200


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


def measure(boards: int, seconds: int, folder: Path) -> dict[str, dict[str, float]]:
    started = time.perf_counter()
    database, seeded = seeded_database(folder, users=USERS, boards=boards)
    spread_like_counts(database)
    print(f"{seeded} (set-up {time.perf_counter() - started:.1f} s)", flush=True)
    results = {}
    with gunicorn("app:create_app()", app_env(database), folder / f"access-{boards}.log") as url:
        first = request_json(url + "/boards?page_size=1")[0]
        for label, path in queries(boards, first["author"]["id"]).items():
            results[label] = result = wrk(url + path, seconds, connections=1)
            print(f"  {label:32} p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms", flush=True)
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
