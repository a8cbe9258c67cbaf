"""The reads of /messages: one message, and a page of a box, with a constant number of statements.

A box is what the caller sent plus what they received, newest first, minus the copies they
deleted. An `OR` of the two would make the database collect and sort the whole box for every
page; instead each side is its own index range read newest first (ix_messages_sent,
ix_messages_received, ix_messages_conversation, ix_messages_unread), cut at `offset + size`
rows, and the two are merged: a page reads at most `offset + size` index entries per side,
however large the box. The same shape serves `with` (a conversation) and `unread`.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Response, jsonify
from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select, union_all
from sqlalchemy.orm import aliased

from db import connection
from models import Message, User
from schemas.message import message_json

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


def read_message(message_id: int, me: int) -> dict[str, Any] | None:
    """The message as its party `me` sees it; None when it does not exist for them."""
    row = connection().execute(MESSAGE_BY_ID, {"message_id": message_id, "me": me}).first()
    return None if row is None else message_json(*row)


def parties(message_id: int, me: int) -> tuple[int | None, int | None] | None:
    """(sender_id, recipient_id) of a message `me` keeps a copy of, else None."""
    row = connection().execute(PARTIES_BY_ID, {"message_id": message_id, "me": me}).first()
    return None if row is None else (row.sender_id, row.recipient_id)


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


def list_messages(me: int, args: dict[str, Any], pagination: Any) -> Response:
    """One page of `me`'s box as a JSON response; fills in `pagination` for X-Pagination."""
    other = args.get("with_")
    rows_stmt, count_stmt = _statements(other is not None, args["unread"])
    params = {"me": me, "other": other}
    conn = connection()
    total = conn.execute(count_stmt, params).scalar_one()
    pagination.item_count = total
    offset = pagination.first_item
    rows = []
    # A page past the end is empty without asking: a huge page number must not reach SQL.
    if offset < total:
        size = pagination.page_size
        window = {"window": offset + size, "limit": size, "offset": offset}
        rows = conn.execute(rows_stmt, {**params, **window}).all()
    return jsonify([message_json(*row) for row in rows])
