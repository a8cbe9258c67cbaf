"""`make bench`: the API against the true floor, in one run on one machine.

Seeds a fresh SQLite database (200 users, 10,000 boards) and starts, side by side:
- the floor: a bare Flask route under plain gunicorn, `gunicorn -w N bench.hello:app` (no config
  file, no access log, nothing beyond the worker count): nothing built on Flask answers faster;
- the API exactly as `make serve` runs it (its server, its settings, its access log).
For each endpoint and each wrk setting (`-t1 -c4`, then `-t2 -c16`), runs of the API alternate
with runs of the floor of the same length, so that a neighbour's burst of work falls on both alike;
the ratio of the two is what the targets are set on. Worker memory is read after the last run.

    python bench/run.py [--seconds 10] [--rounds 2] [--only me,boards] [--settings 1x4,2x16]

To add an endpoint, add a row to ENDPOINTS (a `setup` function may create what it needs and name
the ids its path uses, e.g. "/boards/{board_id}/comments").
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (
    ROOT,
    app_env,
    command_line,
    descendants,
    floor,
    floor_command,
    machine,
    make_serve,
    make_serve_command,
    request_json,
    rss_mib,
    seeded_database,
    wrk,
)

PASSWORD = "seed-password"
SETTINGS = [(1, 4), (2, 16)]  # wrk (threads, connections)
RSS_LIMIT_MIB = 150


@dataclass
class Bench:
    """What a row's `setup` may use: the running API, a token of seed_1, the database file."""

    api_url: str
    token: str
    database: Path

    def post(self, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        return request_json(self.api_url + path, body, token or self.token)

    def get(self, path: str, token: str | None = None) -> Any:
        return request_json(self.api_url + path, None, token)

    def put(self, path: str) -> Any:
        return request_json(self.api_url + path, None, self.token, method="PUT")


@dataclass(frozen=True)
class Endpoint:
    label: str
    path: str  # may name values that `setup` returns: "/boards/{board_id}/comments"
    target: float | None  # ratio to the floor, on every wrk setting; None: reported only
    method: str = "GET"
    body: dict[str, Any] | None = None
    authenticated: bool = False  # sends seed_1's access token
    setup: Callable[[Bench], dict[str, Any]] | None = None
    alternate: str | None = None  # every other request uses this method (like, unlike, like, …)


def commented_board(bench: Bench) -> dict[str, Any]:
    """Board 5000 with 20 top-level comments, every fourth with 5 replies (45 comments a page),
    written through the API itself so that every counter is what real writes make it."""
    url = "/boards/5000/comments"
    for n in range(20):
        comment = bench.post(url, {"content": f"Benchmark comment {n}"})
        for m in range(5 if n % 4 == 0 else 0):
            bench.post(url, {"content": f"Reply {m}", "parent_id": comment["id"]})
    return {}


def followed_authors(bench: Bench) -> dict[str, Any]:
    """seed_1 follows 50 of the 200 seeded users: a feed of about a quarter of the boards."""
    for user_id in range(2, 52):
        bench.put(f"/users/{user_id}/follow")
    return {}


ENDPOINTS = [
    Endpoint("GET /boards?page_size=20", "/boards?page_size=20", 0.35),
    Endpoint("GET /boards?page_size=20 (token)", "/boards?page_size=20", 0.30, authenticated=True),
    Endpoint("GET /boards/<id>", "/boards/5000", 0.50),
    Endpoint("GET /auth/me", "/auth/me", 0.40, authenticated=True),
    Endpoint(
        "POST /boards",
        "/boards",
        0.25,
        "POST",
        {"title": "Benchmark post", "content": "Written by wrk."},
        authenticated=True,
    ),
    Endpoint("POST /auth/login", "/auth/login", None, "POST", {"username": "seed_1", "password": PASSWORD}),
    Endpoint("GET /boards/<id>/comments", "/boards/5000/comments", 0.25, setup=commented_board),
    Endpoint(
        "PUT ⇄ DELETE /boards/<id>/like",
        "/boards/5000/like",
        0.25,
        "PUT",
        authenticated=True,
        alternate="DELETE",
    ),
    Endpoint(
        "GET /boards/feed", "/boards/feed?page_size=20", 0.25, authenticated=True, setup=followed_authors
    ),
    Endpoint("GET /boards?sort=top", "/boards?sort=top&page_size=20", 0.30),
    # One forum's page: General holds every seeded board. Its total is the forum's board_count,
    # so it should cost what the plain list costs.
    Endpoint("GET /boards?forum_id=", "/boards?forum_id=1&page_size=20", 0.35),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=int, default=10, help="wrk seconds per endpoint and setting (as many for the floor)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="floor/endpoint alternations per measurement")
    parser.add_argument(
        "--only", default="", help="comma-separated words: only endpoints whose label has one"
    )
    parser.add_argument(
        "--settings", default=",".join(f"{t}x{c}" for t, c in SETTINGS), help="wrk THREADSxCONNECTIONS, …"
    )
    args = parser.parse_args()
    settings = [tuple(int(n) for n in item.split("x")) for item in args.settings.split(",")]
    words = [word.strip().lower() for word in args.only.split(",") if word.strip()]
    endpoints = [e for e in ENDPOINTS if not words or any(w in e.label.lower() for w in words)]
    workers = _default_workers()

    with tempfile.TemporaryDirectory(prefix="board-bench-") as name:
        folder = Path(name)
        started = time.perf_counter()
        database, seeded = seeded_database(folder, users=200, boards=10_000)
        print(f"{seeded} (set-up {time.perf_counter() - started:.1f} s)", flush=True)
        env = app_env(database, RATE_LIMIT_FILE=str(folder / "rate-limits.sqlite3"))
        with (
            floor(workers, folder, folder / "floor.log") as (floor_url, floor_pid),
            make_serve(env, folder / "serve.log") as (api_url, api_pid),
        ):
            token = request_json(api_url + "/auth/login", {"username": "seed_1", "password": PASSWORD})
            bench = Bench(api_url, token["access_token"], database)
            _print_header(workers, floor_pid, api_pid, settings, args)
            rows = [_measure(e, bench, floor_url, settings, args.seconds, args.rounds) for e in endpoints]
            memory = {pid: rss_mib(pid) for pid in descendants(api_pid) + descendants(floor_pid)}
            commands = {pid: command_line(pid) for pid in memory}
    _print_table(rows, settings)
    _print_memory(memory, commands, api_pid, floor_pid)


def _default_workers() -> int:
    """The worker count `make serve` uses here (WEB_CONCURRENCY, else serving.default_workers)."""
    import os

    sys.path.insert(0, str(ROOT))
    from ops import serving

    return int(os.environ.get("WEB_CONCURRENCY") or serving.default_workers())


def _print_header(workers: int, floor_pid: int, api_pid: int, settings: list, args: Any) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"date:    {now}")
    print(f"machine: {machine()}")
    print(f"floor:   {shlex.join(floor_command(workers, 0)).replace('127.0.0.1:0', '127.0.0.1:PORT')}")
    print(f"API:     {shlex.join(make_serve_command())}  →  {_server_command(api_pid)}")
    wrk_settings = ", ".join(f"-t{t} -c{c}" for t, c in settings)
    print(
        f"wrk:     {wrk_settings}; {args.seconds} s per endpoint and setting in {args.rounds} rounds, "
        "each after a floor run of the same length"
    )
    print(f"command: python bench/run.py {shlex.join(sys.argv[1:])}\n", flush=True)


def _server_command(pid: int) -> str:
    """The server process that make started (its first descendant that is not a shell)."""
    for child in descendants(pid):
        command = command_line(child)
        if command and not command.startswith(("/bin/sh", "sh ")):
            return command.replace(str(ROOT) + "/", "")
    return "?"


def _measure(
    endpoint: Endpoint, bench: Bench, floor_url: str, settings: list, seconds: int, rounds: int
) -> dict[str, Any]:
    """For each wrk setting, `rounds` alternations of a floor run and an endpoint run, each
    seconds/rounds long."""
    values = endpoint.setup(bench) if endpoint.setup else {}
    url = bench.api_url + endpoint.path.format(**values)
    token = bench.token if endpoint.authenticated else None
    slice_seconds = max(1, round(seconds / rounds))
    row: dict[str, Any] = {"endpoint": endpoint, "by_setting": {}}
    for threads, connections in settings:
        floors, results = [], []
        for _ in range(rounds):
            floors.append(wrk(floor_url + "/", slice_seconds, connections, threads=threads))
            results.append(
                wrk(
                    url,
                    slice_seconds,
                    connections,
                    endpoint.method,
                    endpoint.body,
                    token,
                    endpoint.alternate,
                    threads=threads,
                )
            )
        result, floor_result = _combined(results), _combined(floors)
        ratio = result["rps"] / floor_result["rps"]
        row["by_setting"][(threads, connections)] = (result, floor_result, ratio)
        print(
            f"{endpoint.label:34} -t{threads} -c{connections:<3} {result['rps']:7.0f} req/s "
            f"p99 {result['p99_ms']:6.1f} ms   floor {floor_result['rps']:6.0f} req/s   ratio {ratio:.3f}",
            flush=True,
        )
        if result["non_2xx"] or result["socket_errors"]:
            print(f"  !! {result['non_2xx']} non-2xx answers, {result['socket_errors']} socket errors")
    return row


def _combined(runs: list[dict[str, float]]) -> dict[str, float]:
    """Requests/s over all runs; the worst p99 of them; errors summed."""
    return {
        "rps": sum(run["requests"] for run in runs) / sum(run["requests"] / run["rps"] for run in runs),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "non_2xx": sum(run["non_2xx"] for run in runs),
        "socket_errors": sum(run["socket_errors"] for run in runs),
    }


def _print_table(rows: list[dict[str, Any]], settings: list) -> None:
    heads = [f"`-t{t} -c{c}` req/s (p99 ms) | floor | ratio" for t, c in settings]
    print("\n| endpoint | " + " | ".join(heads) + " | target |")
    print("|---|" + "---:|---:|---:|" * len(settings) + "---|")
    for row in rows:
        endpoint = row["endpoint"]
        cells, ratios = [], []
        for setting in settings:
            result, floor_result, ratio = row["by_setting"][setting]
            ratios.append(ratio)
            cells.append(
                f"{result['rps']:.0f} ({result['p99_ms']:.1f}) | {floor_result['rps']:.0f} | **{ratio:.3f}**"
            )
        if endpoint.target is None:
            target = "reported (argon2-bound)"
        else:
            target = f"≥ {endpoint.target:.2f} " + ("✓" if min(ratios) >= endpoint.target else "✗")
        print(f"| `{endpoint.label}` | " + " | ".join(cells) + f" | {target} |")


def _print_memory(
    memory: dict[int, float | None], commands: dict[int, str], api: int, floor_pid: int
) -> None:
    print("\nResident memory after the run (MiB):")
    for pid, rss in memory.items():
        if rss is None or commands[pid].startswith(("/bin/sh", "sh ")):
            continue
        flag = "" if rss < RSS_LIMIT_MIB else f"  !! over {RSS_LIMIT_MIB} MiB"
        print(f"  {pid:>7}  {rss:6.1f}  {commands[pid][:110]}{flag}")


if __name__ == "__main__":
    main()
