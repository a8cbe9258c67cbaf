"""A graceful reload under load: how long does a SIGHUP to the gunicorn master stall requests?

Starts the API with `make serve`'s gunicorn command (or another config, to compare), drives
GET /boards/<id> from 8 client threads and sends the master SIGHUP (gunicorn's graceful reload, what
operators use to deploy) after a few seconds, then reports the slowest request (one still
unanswered at the end counts with its wait so far): every request must be answered within 1 s.

    python bench/reload.py [--config gunicorn.conf.py] [--seconds 8] [--reloads 2]
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (
    BIN,
    ROOT,
    app_env,
    free_port,
    machine,
    seeded_database,
    wait_until_up,
)

CLIENTS = 8


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default=str(ROOT / "gunicorn.conf.py"))
    parser.add_argument("--seconds", type=int, default=8, help="wrk's run")
    parser.add_argument("--reloads", type=int, default=2, help="SIGHUPs, spread over the run")
    args = parser.parse_args()
    print(f"machine: {machine()}\nconfig:  {args.config}")
    with tempfile.TemporaryDirectory(prefix="board-reload-") as name:
        folder = Path(name)
        database, _ = seeded_database(folder, users=20, boards=1000)
        port = free_port()
        command = [str(BIN / "gunicorn"), "--config", args.config, "--no-control-socket", "app:create_app()"]
        with (folder / "server.log").open("ab") as log:
            server = subprocess.Popen(
                command, cwd=ROOT, env={**app_env(database), "PORT": str(port)}, stdout=log, stderr=log
            )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url, server)
            result = run_with_reloads(url, server.pid, args.seconds, args.reloads)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            log = (folder / "server.log").read_text()
            print_answers_per_second(log)
            for line in log.splitlines():
                if "Worker ready" in line:
                    print(line)
    verdict = "✓" if result["max_ms"] < 1000 and not result["failures"] else "✗"
    print(
        f"{result['requests']} requests, {result['rps']:.0f}/s; p99 {result['p99_ms']:.0f} ms, "
        f"slowest {result['max_ms']:.0f} ms; {result['failures']} failed, {result['unanswered']} still "
        f"waiting at the end  {verdict} (every request answered within 1 s)"
    )


def run_with_reloads(url: str, master: int, seconds: int, reloads: int) -> dict[str, float]:
    """CLIENTS threads request GET /boards/500 in a loop, one connection per request (sync workers
    close it anyway), for `seconds`, while the master gets `reloads` SIGHUPs. A request still
    unanswered at the end counts with the time it has waited so far (wrk would leave it out)."""
    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    failures: list[str] = []
    pending: dict[int, float] = {}
    lock = threading.Lock()

    def client(number: int) -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            pending[number] = started
            try:
                connection = http.client.HTTPConnection(host, int(port), timeout=seconds + 30)
                connection.request("GET", "/boards/500")
                response = connection.getresponse()
                response.read()
                connection.close()
                ok = response.status == 200
            except OSError as error:
                ok, response = False, error  # type: ignore[assignment]
            with lock:
                del pending[number]
                latencies.append(time.monotonic() - started)
                if not ok:
                    failures.append(str(getattr(response, "status", response)))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for _ in range(reloads):
        time.sleep(seconds / (reloads + 1))
        os.kill(master, signal.SIGHUP)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 0.5)
    now = time.monotonic()
    with lock:
        waiting = [now - started for started in pending.values()]
        done = sorted(latencies)
    return {
        "requests": len(done),
        "rps": len(done) / seconds,
        "p99_ms": done[int(len(done) * 0.99)] * 1000 if done else 0.0,
        "max_ms": max(done + waiting, default=0.0) * 1000,
        "unanswered": len(waiting),
        "failures": len(failures),
    }


def print_answers_per_second(log: str) -> None:
    """Requests answered in each second of the run, from the access log, with the reloads:
    a stall shows as seconds with few or no answers."""
    counts: dict[str, int] = {}
    for line in log.splitlines():
        if '"GET /boards/' in line:
            second = line.split("[", 1)[1].split()[0]
            counts[second] = counts.get(second, 0) + 1
        elif "Handling signal: hup" in line:
            counts[line[1:20] + " SIGHUP"] = 0
    print(
        "answers per second: "
        + ", ".join(f"{k[-15:] if 'SIGHUP' in k else k[-2:]}: {v}" for k, v in counts.items())
    )


if __name__ == "__main__":
    main()
