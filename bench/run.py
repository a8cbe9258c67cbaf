"""`make bench`: the API against the physical floor, in one run on one machine.

Seeds a fresh SQLite database (200 users, 10,000 boards), starts the API under `make serve`'s
gunicorn settings and a bare-Flask hello-world (bench/hello.py) under the same settings, and
drives both with wrk. Each endpoint's runs alternate with floor runs, so that both see the same
machine (other processes included); the ratio of the two is what the targets are set on.

    python bench/run.py [--seconds 10] [--rounds 2] [--connections N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import ROOT, app_env, gunicorn, request_json, seeded_database, wrk

PASSWORD = "seed-password"
COMMENTED_BOARD = 5000


@dataclass
class Endpoint:
    label: str
    path: str
    target: float | None
    method: str = "GET"
    body: dict[str, Any] | None = None
    authenticated: bool = False
    alternate: str | None = None  # every other request uses this method (like, unlike, like, …)


ENDPOINTS = [
    Endpoint("GET /boards?page_size=20", "/boards?page_size=20", 0.25),
    Endpoint("GET /boards/<id>", "/boards/5000", 0.40),
    # The board that prepare_comments() fills: 20 threads, every fourth with 5 replies embedded,
    # 45 comments a page against the list's 20 boards (in-process CPU, bench/cpu_cost.py: 1.26 ms
    # against 0.65 ms). A provisional target, until measured on a quiet machine.
    Endpoint("GET /boards/<id>/comments", f"/boards/{COMMENTED_BOARD}/comments", 0.12),
    Endpoint("GET /auth/me", "/auth/me", 0.40, authenticated=True),
    Endpoint(
        "POST /boards",
        "/boards",
        0.15,
        "POST",
        {"title": "Benchmark post", "content": "Written by wrk."},
        authenticated=True,
    ),
    Endpoint("POST /auth/login", "/auth/login", None, "POST", {"username": "seed_1", "password": PASSWORD}),
    # Likes and scraps (issue 13). Targets provisional, set by analogy until measured: a like is
    # a small write (three statements, like POST /boards); marks ride in the list's statement.
    Endpoint(
        "PUT ⇄ DELETE /boards/<id>/like",
        "/boards/5000/like",
        0.15,
        "PUT",
        authenticated=True,
        alternate="DELETE",
    ),
    Endpoint("GET /boards?page_size=20 (token)", "/boards?page_size=20", 0.20, authenticated=True),
    Endpoint("GET /boards?sort=top", "/boards?sort=top&page_size=20", 0.25),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=int, default=10, help="wrk seconds per endpoint (and as many for the floor)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="floor/endpoint alternations per endpoint")
    parser.add_argument("--connections", type=int, default=0, help="default: 2 per gunicorn worker")
    args = parser.parse_args()
    workers = int(os.environ.get("WEB_CONCURRENCY") or 0) or _default_workers()
    connections = args.connections or 2 * workers

    with tempfile.TemporaryDirectory(prefix="board-bench-") as folder:
        started = time.perf_counter()
        database, seeded = seeded_database(Path(folder), users=200, boards=10_000)
        print(f"{seeded} (set-up {time.perf_counter() - started:.1f} s)")
        env = app_env(database)
        log = Path(folder) / "access.log"
        with (
            gunicorn("hello:create_app()", env, log, chdir=ROOT / "bench") as floor_url,
            gunicorn("app:create_app()", env, log) as api_url,
        ):
            token = request_json(api_url + "/auth/login", {"username": "seed_1", "password": PASSWORD})[
                "access_token"
            ]
            prepare_comments(api_url, token, COMMENTED_BOARD)
            print(
                f"gunicorn: {workers} sync workers each; wrk: 1 thread, {connections} connections, "
                f"{args.seconds} s an endpoint in {args.rounds} rounds, each after a run of the floor "
                "(bare-Flask hello-world) of the same length\n"
            )
            rows = [
                _measure(endpoint, api_url, floor_url, token, args.seconds, connections, args.rounds)
                for endpoint in ENDPOINTS
            ]
    _print_table(rows)


def prepare_comments(api_url: str, token: str, board_id: int) -> None:
    """20 top-level comments on one board, every fourth with 5 replies, through the API itself
    (so that every counter is what real writes make it)."""
    url = f"{api_url}/boards/{board_id}/comments"
    for n in range(20):
        comment = request_json(url, {"content": f"Benchmark comment {n}"}, token)
        if n % 4 == 0:
            for m in range(5):
                request_json(url, {"content": f"Reply {m}", "parent_id": comment["id"]}, token)


def _default_workers() -> int:
    sys.path.insert(0, str(ROOT))
    import importlib.util

    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.workers


def _measure(
    endpoint: Endpoint, api_url: str, floor_url: str, token: str, seconds: int, connections: int, rounds: int
) -> dict[str, Any]:
    """`rounds` alternations of a floor run and an endpoint run, each seconds/rounds long: a
    neighbour's burst of work then falls on both alike instead of on one of them."""
    slice_seconds = max(1, round(seconds / rounds))
    floors, results = [], []
    for _ in range(rounds):
        floors.append(wrk(floor_url + "/", slice_seconds, connections))
        results.append(
            wrk(
                api_url + endpoint.path,
                slice_seconds,
                connections,
                endpoint.method,
                endpoint.body,
                token if endpoint.authenticated else None,
                endpoint.alternate,
            )
        )
    floor = _combined(floors)
    result = _combined(results)
    ratio = result["rps"] / floor["rps"]
    print(
        f"{endpoint.label:34} {result['rps']:8.0f} req/s  p99 {result['p99_ms']:6.1f} ms   "
        f"floor {floor['rps']:6.0f} req/s  ratio {ratio:.3f}",
        flush=True,
    )
    if result["non_2xx"] or result["socket_errors"]:
        print(f"  !! {result['non_2xx']} non-2xx answers, {result['socket_errors']} socket errors")
    return {"endpoint": endpoint, "result": result, "floor": floor, "ratio": ratio}


def _combined(runs: list[dict[str, float]]) -> dict[str, float]:
    """Requests/s over all runs; the worst p99 of them; errors summed."""
    return {
        "rps": sum(run["requests"] for run in runs) / sum(run["requests"] / run["rps"] for run in runs),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "non_2xx": sum(run["non_2xx"] for run in runs),
        "socket_errors": sum(run["socket_errors"] for run in runs),
    }


def _print_table(rows: list[dict[str, Any]]) -> None:
    print("\n| endpoint | req/s | p99 (ms) | floor req/s | ratio to floor | target |")
    print("|---|---:|---:|---:|---:|---|")
    for row in rows:
        endpoint, result = row["endpoint"], row["result"]
        target = "argon2-bound" if endpoint.target is None else f"≥ {endpoint.target:.2f}"
        if endpoint.target is not None:
            target += " ✓" if row["ratio"] >= endpoint.target else " ✗"
        print(
            f"| `{endpoint.label}` | {result['rps']:.0f} | {result['p99_ms']:.1f} | "
            f"{row['floor']['rps']:.0f} | {row['ratio']:.3f} | {target} |"
        )


if __name__ == "__main__":
    main()
