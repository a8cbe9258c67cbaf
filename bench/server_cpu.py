"""CPU per request of the served API: `make serve`'s workers, measured from /proc while wrk runs.

    python bench/server_cpu.py [--seconds 5]
    GRANIAN_ARGS="--blocking-threads=1" python bench/server_cpu.py   # another server setting

Seeds a database (200 users, 10,000 boards), starts the API as `make serve` runs it, and for each
row and each wrk setting (-t1 -c4, -t2 -c16) reports requests a second, the cores the server's
processes used meanwhile (user + system time from /proc/<pid>/stat), and so CPU µs per request.
Unlike bench/cpu_cost.py this counts the server too (granian, its threads, the access log); unlike
`make bench` it does not depend on what else the machine runs, as long as a core is left free.
Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import WRK_SCRIPT, app_env, descendants, make_serve, request_json, seeded_database

ROWS = [
    ("POST /boards", "POST", "/boards", {"title": "Benchmark post", "content": "Written by wrk."}),
    ("GET /boards?page_size=20", "GET", "/boards?page_size=20", None),
    ("PUT /boards/<id>/like", "PUT", "/boards/5000/like", None),
]


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=5, help="wrk seconds per row and setting")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="board-cpu-") as name:
        folder = Path(name)
        database, _ = seeded_database(folder, users=200, boards=10_000)
        env = app_env(database, RATE_LIMIT_FILE=str(folder / "rate-limits.sqlite3"))
        with make_serve(env, folder / "serve.log") as (url, pid):
            login = {"username": "seed_1", "password": "seed-password"}
            token = request_json(url + "/auth/login", login)["access_token"]
            pids = [pid, *descendants(pid)]
            print(f"GRANIAN_ARGS={os.environ.get('GRANIAN_ARGS', '')!r}")
            for label, method, path, body in ROWS:
                for threads, connections in ((1, 4), (2, 16)):
                    wrk_env = {
                        **os.environ,
                        "WRK_METHOD": method,
                        "WRK_BODY": json.dumps(body) if body else "",
                    }
                    command = [
                        "wrk",
                        f"-t{threads}",
                        f"-c{connections}",
                        f"-d{args.seconds}s",
                        "-s",
                        str(WRK_SCRIPT),
                    ]
                    command += ["-H", f"Authorization: Bearer {token}", url + path]
                    before, started = cpu_seconds(pids), time.monotonic()
                    out = subprocess.run(
                        command, capture_output=True, text=True, env=wrk_env, check=True
                    ).stdout
                    elapsed, used = time.monotonic() - started, cpu_seconds(pids) - before
                    rate = float(
                        next(line for line in out.splitlines() if "Requests/sec" in line).split()[-1]
                    )
                    print(
                        f"{label:26} -t{threads} -c{connections:<3} {rate:7.0f} req/s  server "
                        f"{used / elapsed:4.2f} cores  {used / (rate * elapsed) * 1e6:6.0f} µs CPU/request"
                    )


if __name__ == "__main__":
    main()
