"""The access log of `make serve`: one line per request on stdout, in Apache's combined format.

granian's own access log names the connection's peer, which behind a proxy is the proxy: this
one is written by the app's outermost layer after the app ran, so that it shows the client address
the app used (TRUSTED_PROXY_COUNT, ProxyFix), as gunicorn's log does. Each line is a single
`write` to file descriptor 1, which pipes and files take whole, so the lines of several threads
and workers never mix; a line that cannot be written never fails the request.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Characters a path keeps unescaped in the line (RFC 3986's pchar and "/").
PATH_SAFE = "/:@!$&'()*+,;=-._~"


class RequestLog:
    """WSGI middleware: the wrapped app's requests, logged once their status and headers are known
    (the size is the response's Content-Length: "-" for a streamed body)."""

    def __init__(self, app: WSGIApp, fd: int = 1) -> None:
        self.app = app
        self.fd = fd
        self._second = -1
        self._stamp = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer: list[Any] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = (status, headers)
            return start_response(status, headers, exc_info)

        body = self.app(environ, start)
        if answer:
            self.write(environ, answer)
            return body
        # A body that calls start_response only once iterated: logged when the server closes it.
        return _LoggedOnClose(body, lambda: self.write(environ, answer))

    def write(self, environ: dict[str, Any], answer: list[Any]) -> None:
        if answer:
            # As gunicorn's: a lost log line never fails the request.
            with contextlib.suppress(OSError, ValueError):
                os.write(self.fd, self.line(environ, *answer).encode("utf-8", "backslashreplace"))

    def line(self, environ: dict[str, Any], status: str, headers: list[tuple[str, str]]) -> str:
        target = environ.get("RAW_URI") or _target(environ)
        size = next((value for name, value in headers if name.lower() == "content-length"), "-")
        return '%s - %s %s "%s %s %s" %s %s "%s" "%s"\n' % (  # noqa: UP031 (the combined format)
            _safe(environ.get("REMOTE_ADDR") or "-"),
            _safe(environ.get("REMOTE_USER") or "-"),
            self._now(),
            _safe(environ.get("REQUEST_METHOD", "-")),
            _safe(target),
            _safe(environ.get("SERVER_PROTOCOL", "-")),
            status.split(None, 1)[0],
            size,
            _safe(environ.get("HTTP_REFERER", "-")),
            _safe(environ.get("HTTP_USER_AGENT", "-")),
        )

    def _now(self) -> str:
        """The date in the combined format's brackets, formatted once a second."""
        second = int(time.time())
        if second != self._second:
            self._stamp = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second))
            self._second = second
        return self._stamp


class _LoggedOnClose:
    """The app's body as it is, with `on_close` run after its own close (WSGI's last call)."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self.body, self.on_close = body, on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.on_close()


def _target(environ: dict[str, Any]) -> str:
    """The request target rebuilt from PATH_INFO (decoded, as WSGI has it) and QUERY_STRING."""
    path = quote(environ.get("PATH_INFO", "").encode("latin-1", "replace"), safe=PATH_SAFE)
    query = environ.get("QUERY_STRING")
    return (
        f"{environ.get('SCRIPT_NAME', '')}{path}?{query}" if query else environ.get("SCRIPT_NAME", "") + path
    )


def _safe(value: str) -> str:
    """Quotes and control characters escaped, so that the quoted fields stay parseable."""
    if value.isprintable() and '"' not in value:
        return value
    return value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
