"""Slow clients (slowloris): do connections that trickle their requests in keep others waiting?

Opens `--slow` connections (50) to the server, each sending the start of a request and then one
more header byte a second, never finishing it (with `--body`: whole headers of a `POST /auth/login`
announcing a 1,000-byte body, then one body byte a second); once every one of them has sent a few
bytes (the server has accepted and is reading them all), sends `--requests` (5) ordinary
`GET /health` requests, one after the other, each on a new connection, and reports how long each
took. Every one must be answered within `--limit` seconds (1). Exits 0 when they were, 1
otherwise; the slow connections are closed at the end, whatever happened.

    python bench/slow_clients.py http://127.0.0.1:5000 [--slow 50] [--requests 5] [--limit 1] [--body]

Only for servers of your own on this machine (127.0.0.1): it holds `--slow` connections open.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Report:
    """What a run found: each normal request's time (None: no answer), and the slow sockets."""

    times: list[float | None] = field(default_factory=list)
    statuses: list[int | None] = field(default_factory=list)
    slow_open: int = 0  # slow connections the server still held at the end
    slow_closed: int = 0  # slow connections the server closed (a header timeout, say)

    @property
    def slowest(self) -> float | None:
        """The slowest answer, None when some request got none at all."""
        return None if None in self.times or not self.times else max(t for t in self.times if t is not None)

    def ok(self, limit: float) -> bool:
        slowest = self.slowest
        return slowest is not None and slowest <= limit and all(s == 200 for s in self.statuses)


class SlowClient(threading.Thread):
    """One connection sending `GET /health` with a never-ending header, one byte a second (or a
    login whose body comes one byte a second)."""

    def __init__(self, host: str, port: int, stop: threading.Event, body: bool = False) -> None:
        super().__init__(daemon=True)
        self.host, self.port, self.stop, self.body = host, port, stop, body
        self.sent = 0
        self.closed_by_server = False
        self.started_sending = threading.Event()

    def run(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=5)
        except OSError:
            self.closed_by_server = True
            self.started_sending.set()
            return
        with sock:
            head = f"GET /health HTTP/1.1\r\nHost: {self.host}\r\nX-Slow: ".encode()
            if self.body:
                head = (
                    f"POST /auth/login HTTP/1.1\r\nHost: {self.host}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
                ).encode()
            try:
                sock.sendall(head)
                self.sent = len(head)
                self.started_sending.set()
                while not self.stop.wait(1.0):
                    sock.sendall(b" " if self.body else b"a")
                    self.sent += 1
            except OSError:
                self.closed_by_server = True
            finally:
                self.started_sending.set()


def timed_get(host: str, port: int, limit: float) -> tuple[float | None, int | None]:
    """One `GET /health` on a new connection; its time, or None when no answer came in 5 times the limit."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=5 * limit)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        return time.perf_counter() - started, response.status
    except OSError:
        return None, None
    finally:
        connection.close()


def run(
    url: str, slow: int = 50, requests: int = 5, limit: float = 1.0, settle: float = 2.0, body: bool = False
) -> Report:
    """Hold `slow` trickling connections open, then time `requests` normal ones."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    stop = threading.Event()
    clients = [SlowClient(host, port, stop, body) for _ in range(slow)]
    report = Report()
    try:
        for client in clients:
            client.start()
        for client in clients:
            client.started_sending.wait(10)
        time.sleep(settle)  # every slow connection has trickled a byte or two more: all are being read
        for _ in range(requests):
            elapsed, status = timed_get(host, port, limit)
            report.times.append(elapsed)
            report.statuses.append(status)
    finally:
        report.slow_closed = sum(client.closed_by_server for client in clients)
        report.slow_open = slow - report.slow_closed
        stop.set()
        for client in clients:
            client.join(5)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--slow", type=int, default=50, help="slow connections held open")
    parser.add_argument("--requests", type=int, default=5, help="normal requests timed meanwhile")
    parser.add_argument("--limit", type=float, default=1.0, help="seconds each may take")
    parser.add_argument("--body", action="store_true", help="trickle a body in, not headers")
    args = parser.parse_args()
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("only servers on this machine (127.0.0.1)")
    report = run(args.url, args.slow, args.requests, args.limit, body=args.body)
    shown = [None if t is None else round(t * 1000, 1) for t in report.times]
    print(
        json.dumps(
            {
                "slow_connections": args.slow,
                "trickling": "body" if args.body else "headers",
                "still_open_at_the_end": report.slow_open,
                "closed_by_the_server": report.slow_closed,
                "times_ms": shown,
                "statuses": report.statuses,
                "slowest_ms": None if report.slowest is None else round(report.slowest * 1000, 1),
                "ok": report.ok(args.limit),
            }
        )
    )
    sys.exit(0 if report.ok(args.limit) else 1)


if __name__ == "__main__":
    main()
