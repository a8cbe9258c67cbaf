"""The notice of an email change, mailed to the old address after the change is committed.

Whoever held the account's email is told that it changed, by the user or by an admin: if
someone else made the change (a stolen token, say), the owner hears of it where they still read
mail. The new address is not in the notice: when an admin moves an account away from a mailbox
someone else controls, that mailbox must not learn where the account went.
"""

from __future__ import annotations

import functools
from datetime import datetime

from flask import current_app
from flask_mail import Message

from db import utcnow
from ops.mailer import outbox, send_or_log

SUBJECT = "The email address of your Board API account changed"


def notify_email_change(username: str, old_email: str, *, by_admin: bool) -> None:
    """Queue the notice to `old_email`; call it once the change is committed."""
    job = functools.partial(send_email_change_notice, username, old_email, by_admin, utcnow())
    outbox.submit(current_app._get_current_object(), job)


def send_email_change_notice(username: str, old_email: str, by_admin: bool, when: datetime) -> None:
    send_or_log(email_change_message(username, old_email, by_admin=by_admin, when=when))


def email_change_message(username: str, old_email: str, *, by_admin: bool, when: datetime) -> Message:
    who = "An administrator changed" if by_admin else "Someone logged in as you changed"
    body = f"""Hello {username},

{who} the email address of your Board API account on {when:%Y-%m-%d at %H:%M} UTC.
Password reset links and notices now go to the new address, no longer to {old_email}.
Any reset link sent here before the change no longer works.

If you made this change, there is nothing more to do.
If you did not, someone else may be using your account: log in, change your password and
log out everywhere, or ask the administrators of this service for help.
"""
    return Message(subject=SUBJECT, recipients=[old_email], body=body)
