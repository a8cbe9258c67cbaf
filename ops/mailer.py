"""Outgoing mail (Flask-Mail), sent after the response by one background thread per process.

A view hands a job to `outbox.submit(...)` and answers at once: the request never waits for the
database work behind a mail nor for SMTP, so its timing says nothing about what the job found.
Without MAIL_SERVER (the development default) a message is written whole to the log instead of
being sent, so that a developer can follow its link; an SMTP failure is logged and goes no further.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import smtplib
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app
from flask_mail import Connection, Mail, Message

log = logging.getLogger("board_api.mail")

# Jobs waiting beyond this are dropped (and logged): a flood of requests must not grow memory
# without bound while SMTP is slow. The rate limits keep a real queue far shorter.
OUTBOX_SIZE = 1000
DRAIN_AT_EXIT_SECONDS = 5.0


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def mail_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Flask-Mail's settings from the environment, for Config.from_env."""
    return {
        # Empty or unset: messages go to the log (see send_or_log).
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": _flag(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _flag(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER") or "Board API <no-reply@localhost>",
        # Seconds for the SMTP connection and each command: a server that never answers must not
        # hold the outbox thread (and every mail behind it) forever.
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT") or 10),
        # Flask-Mail would not send at all under TESTING; the tests talk to a real SMTP server.
        "MAIL_SUPPRESS_SEND": False,
    }


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def init_mail(app: Flask) -> None:
    Mail(app)
    # Python logs only warnings unless configured, and `flask run` / gunicorn configure only their
    # own loggers: the mail log gets a handler of its own, so that the message is seen.
    if not log.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


class _TimedConnection(Connection):
    """Flask-Mail's connection, with a timeout (its own has none)."""

    def configure_host(self) -> smtplib.SMTP:
        mail, timeout = self.mail, current_app.config.get("MAIL_TIMEOUT", 10)
        smtp = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
        host = smtp(mail.server, mail.port, timeout=timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


def send_or_log(message: Message) -> bool:
    """Send through SMTP, or log the whole message when no MAIL_SERVER is set (in production only
    a line saying it was not sent: a log is no place for a working reset link). Never raises:
    False when the message could not be sent."""
    config = current_app.config
    if bad := [address for address in message.recipients if not address.isascii()]:
        # Stored before such addresses were refused: Flask-Mail would fail on it in any case.
        log.error(
            "mail %r to %s not sent: %s has non-ASCII characters, which this service does not send"
            " to (the account needs a new email address)",
            message.subject,
            message.recipients,
            ", ".join(bad),
        )
        return False
    if not config.get("MAIL_SERVER"):
        if config.get("APP_ENV") == "production":
            log.error("MAIL_SERVER is not set: mail %r to %s not sent", message.subject, message.recipients)
            return False
        text = message.as_string().replace("\r\n", "\n")  # SMTP's line ends, not a log's
        log.info("MAIL_SERVER is not set: this mail is logged, not sent.\n%s", text)
        return True
    try:
        with _TimedConnection(current_app.extensions["mail"]) as connection:
            message.send(connection)
    # Refused, unreachable, timed out, rejected; or a message Flask-Mail cannot encode.
    except (OSError, smtplib.SMTPException, UnicodeError, ValueError) as failure:
        log.error("mail %r to %s not sent: %s", message.subject, message.recipients, failure)
        return False
    return True


class Outbox:
    """A queue and one daemon thread per process, started by the first job.

    Per process and lazily, so that it holds under gunicorn's sync workers: the master forks the
    workers, and a thread never crosses a fork, so each worker starts its own on first use (the
    process id tells a forked copy from the original). Jobs run one by one in an app context.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[tuple[Flask, Callable[[], None]]] = queue.Queue(OUTBOX_SIZE)

    def submit(self, app: Flask, job: Callable[[], None]) -> None:
        """Run `job()` in an app context of `app`, after the current request; never raises."""
        self._start()
        try:
            self._queue.put_nowait((app, job))
        except queue.Full:
            log.error("the outbox is full (%d jobs): a mail was dropped", OUTBOX_SIZE)

    def wait_idle(self) -> None:
        """Until every job submitted so far has run (tests; the exit handler)."""
        self._queue.join()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # A fresh queue too: a forked copy of a queue may hold a lock taken by a dead thread.
            self._queue = queue.Queue(OUTBOX_SIZE)
            self._pid = os.getpid()
            threading.Thread(target=self._run, args=(self._queue,), name="outbox", daemon=True).start()

    @staticmethod
    def _run(jobs: queue.Queue[tuple[Flask, Callable[[], None]]]) -> None:
        while True:
            app, job = jobs.get()
            try:
                with app.app_context():
                    job()
            # Whatever a job raises (SystemExit included, which would end the thread without a
            # word) is logged with its cause, and the thread goes on with the next job.
            except BaseException as failure:
                log.error("outbox job %s failed: %s", job_name(job), describe(failure), exc_info=failure)
            finally:
                jobs.task_done()

    def drain(self, timeout: float = DRAIN_AT_EXIT_SECONDS) -> None:
        """Give queued jobs a few seconds at exit (a worker being recycled, a restart)."""
        if self._pid != os.getpid():
            return
        done = threading.Thread(target=self.wait_idle, daemon=True)
        done.start()
        done.join(timeout)


def job_name(job: Callable[[], None]) -> str:
    """The function a job runs (a functools.partial's too), for the log."""
    return getattr(getattr(job, "func", job), "__qualname__", repr(job))


def describe(failure: BaseException) -> str:
    """The cause in one line: the exception's type and the first line of its text."""
    text = str(failure).strip().splitlines()
    return f"{type(failure).__name__}: {text[0]}" if text else type(failure).__name__


outbox = Outbox()
atexit.register(outbox.drain)
