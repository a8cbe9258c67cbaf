"""gunicorn's access log line, written for a fraction of gunicorn's cost (`make serve` keeps one).

gunicorn builds a dictionary of every atom its format could name (each request header, each
response header and each environ variable, lower-cased), wraps it, formats the date anew, and goes
through a LogRecord of the logging module, for every request. With gunicorn's default format (the
Apache combined one) this logger formats the same line from the few values it shows and writes it
to the same handler's stream; any other format, or a handler of another kind (syslog, a logging
config), goes through gunicorn's own code. The line is the same, byte for byte.

It is the server's speed-up, not the app's (gunicorn.conf.py's `logger_class`): when SPEEDUPS
leaves it out, every line goes through gunicorn's own code. So does every line when gunicorn is
not the major version this was written for, or no longer has the private `_get_user` it calls
(logged once per worker).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import gunicorn
from dotenv import dotenv_values, find_dotenv
from gunicorn import glogging
from gunicorn.config import AccessLogFormat

from speedups import chosen

COMBINED = AccessLogFormat.default
GUNICORN_MAJOR = 27


def enabled() -> bool:
    """Whether SPEEDUPS (from the environment, else from .env, as create_app reads it) has it."""
    setting = os.environ.get("SPEEDUPS", dotenv_values(find_dotenv()).get("SPEEDUPS"))
    return "access_log" in chosen(setting)


def applicable() -> bool:
    """Whether gunicorn is still shaped as this logger expects."""
    return gunicorn.version_info[0] == GUNICORN_MAJOR and callable(
        getattr(glogging.Logger, "_get_user", None)
    )


class AccessLogger(glogging.Logger):
    _second = -1
    _stamp = ""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        self.fast = enabled()
        if self.fast and not applicable():
            self.fast = False
            self.error("gunicorn changed: the access log is written by gunicorn's own code (slower).")

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        handlers = self.access_log.handlers
        if (
            not self.fast
            or self.cfg.access_log_format != COMBINED
            or len(handlers) != 1
            or type(handlers[0]) not in (logging.StreamHandler, logging.FileHandler)
            or self.access_log.propagate
        ):
            super().access(resp, req, environ, request_time)
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        line = '%s - %s %s "%s %s %s" %s %s "%s" "%s"\n' % (  # noqa: UP031 (gunicorn's own formatting)
            _safe(environ.get("REMOTE_ADDR", "-")),
            _safe(self._get_user(environ) or "-"),
            self._now(),
            _safe(environ["REQUEST_METHOD"]),
            _safe(environ["RAW_URI"]),
            _safe(environ["SERVER_PROTOCOL"]),
            _safe(status),
            (sent is not None and str(sent)) or "-",
            _safe(environ.get("HTTP_REFERER", "-")),
            _safe(environ.get("HTTP_USER_AGENT", "-")),
        )
        handler = handlers[0]
        handler.acquire()
        try:
            handler.stream.write(line)
            handler.flush()
        except Exception:  # as gunicorn: a failed log line never fails the request
            handler.release()
            self.error("access log write failed", exc_info=True)
            return
        handler.release()

    def _now(self) -> str:
        """gunicorn's `now()`, formatted once a second instead of on every request."""
        second = int(time.time())
        if second != self._second:
            self._stamp = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second))
            self._second = second
        return self._stamp


def _safe(value: Any) -> Any:
    """gunicorn's SafeAtoms: quotes in strings are escaped so that the quoted fields stay parseable."""
    return value.replace('"', '\\"') if isinstance(value, str) else value
