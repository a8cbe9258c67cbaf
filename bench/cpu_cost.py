"""In-process CPU cost per request of the benchmarked endpoints, and a pyinstrument profile of one.

    python bench/cpu_cost.py                   # CPU µs per request, API vs the bare-Flask floor
    python bench/cpu_cost.py --profile me      # where the time of GET /auth/me goes
    python bench/cpu_cost.py --calls           # Python function calls per request (exact)

It calls the WSGI apps directly (no server, no sockets), so it measures only what the app does,
and it counts CPU time of this process, which other processes on the machine barely disturb.
`--calls` counts the Python function calls of one request (after warm-up): an exact figure that no
load can disturb, for judging a change on a busy machine.
It seeds its own SQLite database in a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def environ(method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Callable:
    """A factory of fresh WSGI environs for one request (an environ's input stream is read once)."""
    path, _, query = path.partition("?")
    raw = json.dumps(body).encode() if body is not None else b""

    def make() -> dict[str, Any]:
        env = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "5000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(raw),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "HTTP_HOST": "127.0.0.1:5000",
        }
        if body is not None:
            env["CONTENT_TYPE"] = "application/json"
            env["CONTENT_LENGTH"] = str(len(raw))
        if token:
            env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return env

    return make


def call(app: Callable, make_environ: Callable) -> tuple[str, bytes]:
    status: list[str] = []
    chunks = app(make_environ(), lambda s, h, e=None: status.append(s))
    body = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return status[0], body


def cpu_per_request(app: Callable, make_environ: Callable, seconds: float = 1.0) -> float:
    """Mean CPU microseconds per request over about `seconds` of CPU."""
    return cpu_per_request_pair((app, make_environ), None, seconds)[0]


def cpu_per_request_pair(
    measured: tuple[Callable, Callable], floor: tuple[Callable, Callable] | None, seconds: float = 1.0
) -> tuple[float, float]:
    """CPU µs per request of `measured` and of `floor`, in alternating rounds of 20 requests.

    Each figure is the fastest round's: a busy neighbour can only add time to a round, so the
    fastest is the least disturbed, and alternating lets both see the same machine."""
    pairs = [measured] if floor is None else [measured, floor]
    rounds: list[list[float]] = [[], []]
    for app, make_environ in pairs:
        for _ in range(20):
            call(app, make_environ)
    spent = 0.0
    while spent < seconds:
        for index, (app, make_environ) in enumerate(pairs):
            start = time.process_time()
            for _ in range(20):
                call(app, make_environ)
            rounds[index].append((time.process_time() - start) / 20 * 1e6)
        spent += rounds[0][-1] * 20 / 1e6
    return min(rounds[0]), min(rounds[1], default=0.0)


def comment_on_board_5000(api: Callable, token: str) -> None:
    """As bench/run.py's prepare_comments: 20 threads, every fourth with 5 replies."""
    for n in range(20):
        made = environ("POST", "/boards/5000/comments", {"content": f"Benchmark comment {n}"}, token)
        comment_id = json.loads(call(api, made)[1])["id"]
        for m in range(5 if n % 4 == 0 else 0):
            reply = {"content": f"Reply {m}", "parent_id": comment_id}
            call(api, environ("POST", "/boards/5000/comments", reply, token))


def alternating(*makers: Callable) -> Callable:
    """Environs that take turns (PUT, DELETE, PUT, …): a like that is taken back, and again."""
    turn = 0

    def make() -> dict[str, Any]:
        nonlocal turn
        turn += 1
        return makers[turn % len(makers)]()

    return make


def follow_authors(api: Callable, token: str) -> None:
    """As bench/run.py's followed_authors: seed_1 follows users 2..51."""
    for user_id in range(2, 52):
        call(api, environ("PUT", f"/users/{user_id}/follow", token=token))


def calls_per_request(app: Callable, make_environ: Callable) -> int:
    """Python function calls (and C calls) made by one request, counted with sys.setprofile."""
    for _ in range(3):
        call(app, make_environ)
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        call(app, make_environ)
    finally:
        sys.setprofile(None)
    return count


def build(database: Path) -> tuple[Callable, Callable, dict[str, Callable]]:
    unlimited = "1000000 per second"
    os.environ.update(
        DATABASE_URL=f"sqlite:///{database}",
        LOGIN_RATE_LIMIT=unlimited,
        LOGIN_ADDRESS_RATE_LIMIT=unlimited,
        REGISTER_RATE_LIMIT=unlimited,
        REFRESH_RATE_LIMIT=unlimited,
        FLASK_APP="app",
    )
    import hello
    from flask_migrate import upgrade

    from app import create_app
    from db import db, transaction

    api = create_app()
    with api.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from ops import seed

        with transaction():
            seed.seed(200, 10_000, "seed-password")
        db.session.remove()
    login = environ("POST", "/auth/login", {"username": "seed_1", "password": "seed-password"})
    token = json.loads(call(api, login)[1])["access_token"]
    comment_on_board_5000(api, token)
    follow_authors(api, token)
    endpoints = {
        "list": environ("GET", "/boards?page_size=20"),
        "list_token": environ("GET", "/boards?page_size=20", token=token),
        "board": environ("GET", "/boards/5000"),
        "comments": environ("GET", "/boards/5000/comments"),
        "me": environ("GET", "/auth/me", token=token),
        "create": environ("POST", "/boards", {"title": "Bench", "content": "A benchmark post."}, token),
        "login": login,
        "like": alternating(
            environ("PUT", "/boards/5000/like", token=token),
            environ("DELETE", "/boards/5000/like", token=token),
        ),
        "feed": environ("GET", "/boards/feed?page_size=20", token=token),
    }
    return hello.create_app(), api, endpoints


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--profile",
        metavar="ENDPOINT",
        help="list, list_token, board, comments, me, create, login, like or feed",
    )
    parser.add_argument("--calls", action="store_true", help="count Python calls per request instead")
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        floor_app, api, endpoints = build(Path(folder) / "profile.db")
        if args.profile:
            from pyinstrument import Profiler

            with Profiler(interval=0.0002) as profiler:
                cpu_per_request(api, endpoints[args.profile], args.seconds)
            print(
                profiler.output_text(unicode=True, color=False, show_all=os.environ.get("PROFILE_ALL") == "1")
            )
            return
        floor = (floor_app, environ("GET", "/"))
        only = [name for name in args.only.split(",") if name]
        for name, make_environ in endpoints.items():
            if only and name not in only:
                continue
            if args.calls:
                counted = calls_per_request(api, make_environ)
                print(f"{name:10} {counted:6d} calls  floor {calls_per_request(floor_app, floor[1]):4d}")
                continue
            status = call(api, make_environ)[0]
            cost, floor_cost = cpu_per_request_pair((api, make_environ), floor, args.seconds)
            print(
                f"{name:10} {cost:8.0f} µs  floor {floor_cost:4.0f} µs  {cost / floor_cost:6.1f}x  ({status})"
            )


if __name__ == "__main__":
    main()
