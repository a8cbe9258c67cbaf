"""Private messages and the rules that move them: sending, reading, listing, deleting.

Privacy first: a message exists only for its two parties. Anyone else, admins included, and a
party who deleted their copy, find it no more than an id that was never used.

One row per message, with a deleted flag per party: deleting removes the message for the caller
only, and the row goes once neither party keeps a copy. A party whose account is deleted counts
as having deleted their copy, and their side becomes NULL (the other party still reads it).

`users.unread_messages` counts each user's unread received messages that they still keep. Every
change of it is an atomic `UPDATE … SET n = n ± 1` in the same transaction as the message row,
guarded by a conditional UPDATE of that row (`… AND read_at IS NULL`), so that two racing
requests (two reads, a read and a delete) can move it only once.

Lock order on MySQL/MariaDB: users rows first (in id order), then message rows. InnoDB checks
the foreign key, taking a shared lock on the users row, whenever a write touches an index that
holds sender_id or recipient_id: inserting a message, and also flagging it read or deleted. Two
transactions holding that shared lock and then both moving the counter (an exclusive lock on the
same row) deadlock; so does a crossing pair of sends. Every write here therefore locks the users
rows it involves first, exclusively: the foreign key checks then find them already held.

A box is what the caller sent plus what they received, newest first, minus the copies they
deleted. An `OR` of the two would make the database collect and sort the whole box for every
page; instead each side is its own index range read newest first (ix_messages_sent,
ix_messages_received, ix_messages_conversation, ix_messages_unread), cut at `offset + size`
rows, and the two are merged: a page reads at most `offset + size` index entries per side,
however large the box. The same shape serves a conversation and the unread messages.

Statements are Core, built once (module constants; the box's per combination of filters, by a
cached builder), run on the request's `connection()`.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from db import connection, utcnow
from errors import DEFAULT_MESSAGES
from models import Message, TokenUser, User
from schemas.message import message_json
from services.errors import Forbidden, Invalid, NotFound
from services.pages import Page, PageRequest

UNKNOWN_RECIPIENT = "No such user to write to (or it is yourself)."
RECIPIENT_ONLY = "Only the recipient can mark a message read."

Sender = aliased(User, name="sender")
Recipient = aliased(User, name="recipient")
MESSAGE_ROWS = (
    select(
        Message.id,
        Message.sender_id,
        Sender.username.label("sender_username"),
        Message.recipient_id,
        Recipient.username.label("recipient_username"),
        Message.content,
        Message.created_at,
        Message.read_at,
    )
    .outerjoin(Sender, Sender.id == Message.sender_id)
    .outerjoin(Recipient, Recipient.id == Message.recipient_id)
)
# A party who deleted their copy no longer sees it, exactly like anybody else.
VISIBLE = or_(
    and_(Message.sender_id == bindparam("me"), Message.sender_deleted == false()),
    and_(Message.recipient_id == bindparam("me"), Message.recipient_deleted == false()),
)
MESSAGE_BY_ID = MESSAGE_ROWS.where(Message.id == bindparam("message_id"), VISIBLE)
PARTIES_BY_ID = select(Message.sender_id, Message.recipient_id).where(
    Message.id == bindparam("message_id"), VISIBLE
)


LOCK_PARTIES = (
    select(User.id, User.username)
    .where(User.id.in_([bindparam("sender_id"), bindparam("recipient_id")]))
    .order_by(User.id)
    .with_for_update()
)
LOCK_USER = select(User.id).where(User.id == bindparam("user_id")).with_for_update()
COUNT_UNREAD = (
    update(User).where(User.id == bindparam("user_id")).values(unread_messages=User.unread_messages + 1)
)
UNCOUNT_UNREAD = (
    update(User).where(User.id == bindparam("user_id")).values(unread_messages=User.unread_messages - 1)
)
INSERT_MESSAGE = Message.__table__.insert()
_MINE = (Message.id == bindparam("message_id"),)
_RECEIVED = (*_MINE, Message.recipient_id == bindparam("user_id"), Message.recipient_deleted == false())
_SENT = (*_MINE, Message.sender_id == bindparam("user_id"), Message.sender_deleted == false())
MARK_READ = update(Message).where(*_RECEIVED, Message.read_at.is_(None)).values(read_at=bindparam("now"))
DELETE_UNREAD_RECEIVED = (
    update(Message).where(*_RECEIVED, Message.read_at.is_(None)).values(recipient_deleted=true())
)
DELETE_RECEIVED = update(Message).where(*_RECEIVED).values(recipient_deleted=true())
DELETE_SENT = update(Message).where(*_SENT).values(sender_deleted=true())
DROP_IF_NOBODY_KEEPS_IT = delete(Message).where(*_MINE, Message.sender_deleted, Message.recipient_deleted)


# The state of a message `me` received and keeps, read as it now is (a locking read on MariaDB,
# where a plain one would see the transaction's snapshot, older than the UPDATE that just failed).
RECEIVED_STATE = select(Message.read_at).where(*_RECEIVED).with_for_update()


def _not_found(message_id: int) -> NotFound:
    return NotFound(f"Message {message_id} not found.")


def _lock_user(user_id: int) -> None:
    """Lock the user's row until the transaction ends (MySQL/MariaDB; a no-op on SQLite)."""
    connection().execute(LOCK_USER, {"user_id": user_id}).all()


def read_message(message_id: int, me: int) -> dict[str, Any]:
    """The message as its party `me` sees it."""
    row = connection().execute(MESSAGE_BY_ID, {"message_id": message_id, "me": me}).first()
    if row is None:
        raise _not_found(message_id)
    return message_json(row._mapping)


def _sides(conversation: bool, unread: bool) -> list[list[ColumnElement[bool]]]:
    """The WHERE of each side of the box: what `me` sent, what `me` received."""
    sent = [Message.sender_id == bindparam("me"), Message.sender_deleted == false()]
    received = [Message.recipient_id == bindparam("me"), Message.recipient_deleted == false()]
    if conversation:
        sent.append(Message.recipient_id == bindparam("other"))
        received.append(Message.sender_id == bindparam("other"))
    if unread:
        return [[*received, Message.read_at.is_(None)]]
    return [sent, received]


@functools.cache
def _statements(conversation: bool, unread: bool) -> tuple[Select[Any], Select[Any]]:
    """The page query and the count query for a combination of filters, built once."""
    sides = _sides(conversation, unread)
    # Each side cut at `window` = offset + size rows. Wrapped in a subquery: SQLite (and
    # standard SQL) allow no LIMIT on the arms of a UNION themselves.
    windows = [
        select(
            select(Message.id).where(*where).order_by(Message.id.desc()).limit(bindparam("window")).subquery()
        )
        for where in sides
    ]
    merged = (union_all(*windows) if len(windows) > 1 else windows[0]).subquery("box")
    # A derived table, not `IN (…)`: MySQL refuses LIMIT inside an IN subquery.
    page = (
        select(merged.c.id)
        .order_by(merged.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    rows = MESSAGE_ROWS.join(page, page.c.id == Message.id).order_by(Message.id.desc())
    counts = [select(func.count()).select_from(Message).where(*where).scalar_subquery() for where in sides]
    count = select(counts[0] + counts[1] if len(counts) > 1 else counts[0])
    return rows, count


def list_messages(me: int, page: PageRequest, with_user: int | None = None, unread: bool = False) -> Page:
    """One page of `me`'s box, newest first: only the conversation with `with_user` when given,
    only the unread received messages with `unread`."""
    rows_stmt, count_stmt = _statements(with_user is not None, unread)
    params = {"me": me, "other": with_user}
    conn = connection()
    total = conn.execute(count_stmt, params).scalar_one()
    rows = []
    # A page past the end is empty without asking: a huge page number must not reach SQL.
    if page.offset < total:
        window = {"window": page.offset + page.page_size, "limit": page.page_size, "offset": page.offset}
        rows = conn.execute(rows_stmt, {**params, **window}).all()
    return Page([message_json(row._mapping) for row in rows], total)


def send_message(sender: TokenUser, recipient_id: int, content: str) -> dict[str, Any]:
    """Send a message and count it unread for the recipient; its JSON body. Invalid when the
    recipient does not exist or is the sender."""
    unknown = Invalid(DEFAULT_MESSAGES[422], errors={"json": {"recipient_id": [UNKNOWN_RECIPIENT]}})
    if sender.id == recipient_id:
        raise unknown
    params = {"sender_id": sender.id, "recipient_id": recipient_id}
    names = dict(connection().execute(LOCK_PARTIES, params).all())
    # SQLite has no row locks: the recipient may be deleted between that read and this write.
    if (
        recipient_id not in names
        or not connection().execute(COUNT_UNREAD, {"user_id": recipient_id}).rowcount
    ):
        raise unknown
    now = utcnow()
    values = {**params, "content": content, "created_at": now}
    try:
        message_id = connection().execute(INSERT_MESSAGE, values).inserted_primary_key[0]
    except IntegrityError:  # the sender's own account went meanwhile (SQLite, as above)
        raise unknown from None
    sent = {**values, "id": message_id, "read_at": None}
    return message_json(
        {**sent, "sender_username": sender.username, "recipient_username": names[recipient_id]}
    )


def mark_read(message_id: int, me: int) -> dict[str, Any]:
    """Mark a message `me` received read (again: no change) and uncount it; its JSON body."""
    body = read_message(message_id, me)
    if body["recipient"] is None or body["recipient"]["id"] != me:
        raise Forbidden(RECIPIENT_ONLY)
    if body["read_at"] is not None:
        return body
    _lock_user(me)
    now = utcnow()
    conn = connection()
    if conn.execute(MARK_READ, {"message_id": message_id, "user_id": me, "now": now}).rowcount:
        conn.execute(UNCOUNT_UNREAD, {"user_id": me})
        return {**body, "read_at": now.isoformat()}
    # Read or deleted by another request of the same user in the meantime: as it now is.
    state = conn.execute(RECEIVED_STATE, {"message_id": message_id, "user_id": me}).first()
    if state is None:
        raise _not_found(message_id)
    return {**body, "read_at": state.read_at.isoformat()}


def delete_copy(message_id: int, me: int) -> None:
    """Delete `me`'s copy of a message, and the row when the other party has none left."""
    found = connection().execute(PARTIES_BY_ID, {"message_id": message_id, "me": me}).first()
    if found is None:
        raise _not_found(message_id)
    _lock_user(me)
    conn = connection()
    params = {"message_id": message_id, "user_id": me}
    if found.sender_id == me:
        deleted = conn.execute(DELETE_SENT, params).rowcount
    elif conn.execute(DELETE_UNREAD_RECEIVED, params).rowcount:
        deleted = conn.execute(UNCOUNT_UNREAD, {"user_id": me}).rowcount
    else:
        deleted = conn.execute(DELETE_RECEIVED, params).rowcount
    if not deleted:  # deleted by another request of the same user in the meantime
        raise _not_found(message_id)
    conn.execute(DROP_IF_NOBODY_KEEPS_IT, {"message_id": message_id})


# A user's messages, for the user's deletion (bind parameter `user_id`).
DROP_SENT_NOBODY_KEEPS = delete(Message).where(
    Message.sender_id == bindparam("user_id"), Message.recipient_deleted
)
DROP_RECEIVED_NOBODY_KEEPS = delete(Message).where(
    Message.recipient_id == bindparam("user_id"), Message.sender_deleted
)
FORGET_SENDER = (
    update(Message)
    .where(Message.sender_id == bindparam("user_id"))
    .values(sender_id=None, sender_deleted=True)
)
FORGET_RECIPIENT = (
    update(Message)
    .where(Message.recipient_id == bindparam("user_id"))
    .values(recipient_id=None, recipient_deleted=True)
)


def delete_messages_of_user(user_id: int) -> None:
    """Before a user row goes: messages the other party no longer keeps go too; the others stay
    in that party's box with this side NULL (and counted as deleted). Nobody else's unread count
    moves: an unread message this user sent stays unread for its recipient.

    Statements: a constant five, whatever the number of messages (index ranges on sender_id and
    recipient_id). The user row is locked first, as sending does (see the module's docstring).
    """
    _lock_user(user_id)
    conn = connection()
    user = {"user_id": user_id}
    for statement in (DROP_SENT_NOBODY_KEEPS, DROP_RECEIVED_NOBODY_KEEPS, FORGET_SENDER, FORGET_RECIPIENT):
        conn.execute(statement, user)
