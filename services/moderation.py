"""Reports, moderation cases, and hiding: what users report and what admins do about it.

- One report per user and item (the first stays); each reported item has one case, which counts
  its reports (in all, by reason, and since it was last dismissed).
- An item is hidden at once when REPORT_HIDE_THRESHOLD distinct users have reported it since
  its case was last dismissed; admins hide, restore, dismiss or delete through its case.
- A hidden item stays visible to its author and to admins only (services/hiding.py: the rule,
  and `set_hidden`, which alone writes `hidden` and moves the counts that leave it out).

Concurrency. Every report and every admin action first locks its item with a write that changes
nothing (the board's row, then the comment's: the lock order of every comment write), so that on
MariaDB everything that touches one item queues there, and on SQLite the transaction holds the
write lock from then on. Every read after that is a locking read (`FOR UPDATE`), which on
MariaDB sees the latest committed rows, not the request's older snapshot. The counts move with
atomic `UPDATE … SET n = n + 1`, and the automatic hide is the conditional
`UPDATE … SET status = 'hidden' WHERE status = 'open' AND pending_count >= threshold`: of any
number of concurrent reporters, exactly one makes it true.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, insert, select, update

from db import UTCDateTime, connection, utcnow
from models import ModerationCase, Report, TokenUser, User
from models.moderation import REASONS
from services import audit
from services import boards as board_service
from services import comments as comment_service
from services.access import require_admin
from services.errors import Conflict, Invalid, NotFound, Unauthorized
from services.hiding import Item, boards, comments, lock_item, set_hidden
from services.pages import Page, PageRequest

ACTIONS = ("hide", "restore", "dismiss", "delete")
# GET /moderation/cases/<id> shows this many of a case's reports, newest first (report_count has them all).
REPORTS_SHOWN = 100

cases = ModerationCase.__table__
reports = Report.__table__


def _insert_ignoring_duplicates(table: Any) -> Any:
    """An INSERT that a unique index turns away without an error (rowcount 0), on SQLite and MariaDB."""
    return (
        insert(table)
        .prefix_with("OR IGNORE", dialect="sqlite")
        .prefix_with("IGNORE", dialect="mysql")
        .prefix_with("IGNORE", dialect="mariadb")
    )


# Cases and reports.
INSERT_CASE = _insert_ignoring_duplicates(cases).values(
    target_type=bindparam("target_type"),
    target_id=bindparam("target_id"),
    target_created_at=bindparam("created_at"),
    status="open",
    report_count=0,
    pending_count=0,
    spam_count=0,
    abuse_count=0,
    illegal_count=0,
    other_count=0,
    created_at=bindparam("at"),
)
CASE_SEEN = select(cases.c.id).where(
    cases.c.target_type == bindparam("target_type"),
    cases.c.target_id == bindparam("target_id"),
    cases.c.target_created_at == bindparam("created_at"),
)
CASE_OF_TARGET = CASE_SEEN.with_for_update()
CASE_TARGET = select(cases.c.target_type, cases.c.target_id, cases.c.target_created_at).where(
    cases.c.id == bindparam("case_id")
)
CASE_STATUS = select(cases.c.status).where(cases.c.id == bindparam("case_id")).with_for_update()
INSERT_REPORT = _insert_ignoring_duplicates(reports).values(
    case_id=bindparam("case_id"),
    reporter_id=bindparam("reporter_id"),
    reason=bindparam("reason"),
    detail=bindparam("detail"),
    created_at=bindparam("at"),
)
REPORT_OF = (
    select(
        reports.c.id,
        reports.c.reason,
        reports.c.detail,
        reports.c.created_at,
    )
    .where(reports.c.case_id == bindparam("case_id"), reports.c.reporter_id == bindparam("reporter_id"))
    .with_for_update()
)
# A new report counts, and reopens a dismissed case.
COUNT_REPORT = {
    reason: update(cases)
    .where(cases.c.id == bindparam("case_id"))
    .values(
        {
            "report_count": cases.c.report_count + 1,
            "pending_count": cases.c.pending_count + 1,
            f"{reason}_count": cases.c[f"{reason}_count"] + 1,
            "first_reported_at": func.coalesce(
                cases.c.first_reported_at, bindparam("at", type_=UTCDateTime())
            ),
            "last_reported_at": bindparam("at"),
            "status": case((cases.c.status == "dismissed", "open"), else_=cases.c.status),
        }
    )
    for reason in REASONS
}
AUTO_HIDE = (
    update(cases)
    .where(
        cases.c.id == bindparam("case_id"),
        cases.c.status == "open",
        cases.c.pending_count >= bindparam("threshold"),
    )
    .values(status="hidden")
)
SET_STATUS = update(cases).where(cases.c.id == bindparam("case_id")).values(status=bindparam("to"))
# Dismissing (and restoring) starts the count toward hiding again from zero.
DISMISS = update(cases).where(cases.c.id == bindparam("case_id")).values(status="dismissed", pending_count=0)

# Reads of cases: each with a label for people (the board's title, the comment's text).
labelled_boards = boards.alias("labelled_board")
labelled_comments = comments.alias("labelled_comment")
CASE_ROWS = (
    select(
        cases.c.id,
        cases.c.target_type,
        cases.c.target_id,
        cases.c.status,
        cases.c.report_count,
        *(cases.c[f"{reason}_count"] for reason in REASONS),
        cases.c.first_reported_at,
        cases.c.last_reported_at,
        func.coalesce(labelled_boards.c.title, labelled_comments.c.content).label("label"),
    )
    .outerjoin(
        labelled_boards, and_(cases.c.target_type == "board", labelled_boards.c.id == cases.c.target_id)
    )
    .outerjoin(
        labelled_comments,
        and_(cases.c.target_type == "comment", labelled_comments.c.id == cases.c.target_id),
    )
)
CASE_BY_ID = CASE_ROWS.where(cases.c.id == bindparam("case_id"))
CASES_PAGE = (
    CASE_ROWS.where(cases.c.status == bindparam("status"))
    .order_by(cases.c.report_count.desc(), cases.c.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
COUNT_CASES = select(func.count()).select_from(cases).where(cases.c.status == bindparam("status"))
REPORTS_OF_CASE = (
    select(
        reports.c.id,
        reports.c.reporter_id,
        User.username,
        reports.c.reason,
        reports.c.detail,
        reports.c.created_at,
    )
    .outerjoin(User, User.id == reports.c.reporter_id)
    .where(reports.c.case_id == bindparam("case_id"))
    .order_by(reports.c.id.desc())
    .limit(REPORTS_SHOWN)
)


def _delete(actor: TokenUser, item: Item) -> None:
    """Delete the item as its author's delete would (the same service, as an admin, without
    If-Match): a hidden one is restored first, so that the delete moves the counts of a visible
    item. Comments on a board go with it."""
    if item.hidden:
        set_hidden(item, False)
    if item.type == "board":
        board_service.delete_board(item.id, actor, _any_version)
    else:
        comment_service.delete_comment(item.id, actor, _any_version)


def _any_version(written: dict[str, Any]) -> None:
    """An admin's delete of a case's item holds no If-Match: any version goes."""


def report(
    reporter: TokenUser, target_type: str, target_id: int, reason: str, detail: str
) -> tuple[dict[str, Any], bool]:
    """Report a board or comment; (the report, whether it is new). A repeat changes nothing and
    answers the first report."""
    item = lock_item(target_type, target_id)
    if item is None or item.deleted or not item.visible_to(reporter):
        raise NotFound(f"{target_type.capitalize()} {target_id} not found.")
    if item.author_id == reporter.id:
        message = f"You cannot report your own {target_type}."
        raise Invalid(message, error="cannot_report_own", field=f"{target_type}_id", location="path")
    conn = connection()
    now = utcnow()
    case_id = _case_of(item, now)
    ids = {"case_id": case_id, "reporter_id": reporter.id}
    new = conn.execute(INSERT_REPORT, {**ids, "reason": reason, "detail": detail, "at": now}).rowcount == 1
    if new:
        conn.execute(COUNT_REPORT[reason], {"case_id": case_id, "at": now})
        threshold = current_app.config["REPORT_HIDE_THRESHOLD"]
        if conn.execute(AUTO_HIDE, {"case_id": case_id, "threshold": threshold}).rowcount:
            set_hidden(item, True)
    row = conn.execute(REPORT_OF, ids).one_or_none()
    if row is None:  # MariaDB's IGNORE also turns away a reporter deleted meanwhile
        raise Unauthorized("The user of this token no longer exists.", error="user_not_found")
    body = {
        "id": row.id,
        "target": {"type": target_type, "id": target_id},
        "reason": row.reason,
        "detail": row.detail,
        "created_at": row.created_at,
    }
    return body, new


def _case_of(item: Item, now: datetime) -> int:
    """The id of the item's case, opened now if it has none (the unique index decides).

    A plain read first: a case, once made, stays, so one found is the one. It takes no lock: on
    MariaDB a locking read of a missing row locks the gap where it would go, and two first reports
    of different items, each waiting to insert into the gap the other locked, would deadlock. It
    also spares MariaDB the id that every insert turned away burns."""
    conn = connection()
    target = {"target_type": item.type, "target_id": item.id, "created_at": item.created_at}
    case_id = conn.execute(CASE_SEEN, target).scalar()
    if case_id is None:
        conn.execute(INSERT_CASE, {**target, "at": now})
        case_id = conn.execute(CASE_OF_TARGET, target).scalar_one()
    return case_id  # type: ignore[no-any-return]


def act(actor: TokenUser, case_id: int, action: str) -> dict[str, Any]:
    """An admin's action on a case: hide, restore, dismiss or delete its item; the case after it."""
    require_admin(actor)
    target = connection().execute(CASE_TARGET, {"case_id": case_id}).one_or_none()
    if target is None:
        raise NotFound(f"Case {case_id} not found.")
    item = lock_item(target.target_type, target.target_id)
    if item is not None and item.created_at != target.target_created_at:
        item = None  # a later item took the id of the deleted one
    _apply(actor, case_id, target.target_type, target.target_id, item, action)
    return read_case(case_id)


def act_on_item(actor: TokenUser, target_type: str, target_id: int, action: str) -> dict[str, Any]:
    """The same action on an item found without its case (the manage pages' list of boards): its
    case is opened first when nobody has reported it yet."""
    require_admin(actor)
    item = lock_item(target_type, target_id)
    if item is None:
        raise NotFound(f"{target_type.capitalize()} {target_id} not found.")
    case_id = _case_of(item, utcnow())
    _apply(actor, case_id, target_type, target_id, item, action)
    return read_case(case_id)


def _apply(
    actor: TokenUser, case_id: int, target_type: str, target_id: int, item: Item | None, action: str
) -> None:
    """Carry an action out on a case and its (locked) item, and write it to the audit log."""
    conn = connection()
    status = conn.execute(CASE_STATUS, {"case_id": case_id}).scalar_one()
    if status == "deleted":
        raise Conflict(f"Case {case_id} is closed: its {target_type} was deleted.", error="case_closed")
    name = f"{target_type.capitalize()} {target_id}"
    if item is None or item.deleted:
        if action in ("hide", "restore"):
            raise Conflict(f"{name} no longer exists: only dismiss or delete apply.", error="item_gone")
        item = None
    if action == "hide":
        conn.execute(SET_STATUS, {"case_id": case_id, "to": "hidden"})
        set_hidden(item, True)  # type: ignore[arg-type]
    elif action == "restore":
        conn.execute(DISMISS, {"case_id": case_id})
        set_hidden(item, False)  # type: ignore[arg-type]
    elif action == "dismiss":
        if item is not None and item.hidden:
            raise Conflict(f"{name} is hidden: restore it to dismiss its reports.", error="item_hidden")
        conn.execute(DISMISS, {"case_id": case_id})
    else:
        if item is not None:
            _delete(actor, item)
        conn.execute(SET_STATUS, {"case_id": case_id, "to": "deleted"})
    audit.record(actor.id, action, audit.Target(target_type, target_id), f"case {case_id}")


def read_case(case_id: int) -> dict[str, Any]:
    row = connection().execute(CASE_BY_ID, {"case_id": case_id}).one_or_none()
    if row is None:
        raise NotFound(f"Case {case_id} not found.")
    return case_json(row._mapping)


def case_with_reports(viewer: TokenUser, case_id: int) -> dict[str, Any]:
    """A case and its newest reports (reporter, reason, detail, time)."""
    require_admin(viewer)
    body = read_case(case_id)
    rows = connection().execute(REPORTS_OF_CASE, {"case_id": case_id})
    body["reports"] = [
        {
            "id": row.id,
            "reporter": None
            if row.reporter_id is None
            else {"id": row.reporter_id, "username": row.username},
            "reason": row.reason,
            "detail": row.detail,
            "created_at": row.created_at,
        }
        for row in rows
    ]
    return body


def list_cases(viewer: TokenUser, status: str, page: PageRequest) -> Page:
    """One page of the cases in one status, most reported first (a count, then the page)."""
    require_admin(viewer)
    conn = connection()
    total = conn.execute(COUNT_CASES, {"status": status}).scalar_one()
    if page.offset >= total:
        return Page([], total)
    params = {"status": status, "limit": page.page_size, "offset": page.offset}
    return Page([case_json(row._mapping) for row in conn.execute(CASES_PAGE, params)], total)


def case_json(row: Any) -> dict[str, Any]:
    """The case shape, plus `label` (the item's title or text, None once it is gone) for pages."""
    return {
        "id": row["id"],
        "target": {"type": row["target_type"], "id": row["target_id"]},
        "status": row["status"],
        "report_count": row["report_count"],
        "reasons": {reason: row[f"{reason}_count"] for reason in REASONS},
        "first_reported_at": row["first_reported_at"],
        "last_reported_at": row["last_reported_at"],
        "label": row["label"],
    }
