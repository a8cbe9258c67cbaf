"""/manage: server-rendered pages for admins (sign in, dashboard, users, boards, cases, audit log).

Plain HTML forms: they work with JavaScript off. Every change goes through the services the API
uses (services/moderation.py, services/bans.py), in its own unit of work; a refusal comes back
as a message on the page. Not part of the OpenAPI document. See resources/manage_support.py for
the session, CSRF and error pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask.views import MethodView
from marshmallow import ValidationError

from db import transaction
from models.moderation import STATUSES
from resources.blueprint import unit_of_work
from resources.manage_support import protect_forms, sign_in, sign_out, signed_in_admin, with_policy
from schemas.auth import LoginSchema
from schemas.moderation import BanSchema
from security.auth_limits import ADDRESS_SIGN_INS, FAILED_SIGN_INS, note_failed_password
from security.rate_limits import limited
from services import audit, auth, bans, manage, moderation
from services.errors import ServiceError
from services.pages import Page, PageRequest

blp = Blueprint("manage", __name__, url_prefix="/manage", template_folder="templates", static_folder="static")

PAGE_SIZE = 20
PUBLIC = {"manage.sign_in", "manage.static"}
WRONG_CREDENTIALS = "Wrong username or password."
ADMINS_ONLY = "Only administrators can sign in here."


@blp.before_request
def admins_only() -> Response | None:
    """A form without its CSRF token changes nothing (400); every page but sign-in needs an admin."""
    protect_forms()
    if request.endpoint in PUBLIC:
        return None
    g.admin = signed_in_admin()
    if g.admin is None:
        flash("Sign in to continue.")
        return redirect(url_for("manage.sign_in"))
    return None


blp.after_request(with_policy)


def _page_request() -> PageRequest:
    """The page asked for: ASCII digits, 1 up to a bound (anything else is the first page)."""
    page = request.args.get("page", "1")
    number = int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1
    return PageRequest(page=max(number, 1), page_size=PAGE_SIZE)


def _render(template: str, found: Page | None = None, **context: Any) -> str:
    if found is not None:
        number = _page_request().page
        context |= {
            "items": found.items,
            "total": found.total,
            "page": number,
            "has_next": (found.total or 0) > number * PAGE_SIZE,
        }
    return render_template(f"manage/{template}", admin=g.admin, query=request.args.get("q", ""), **context)


def _carry_out(change: Callable[[], Any], done: Callable[[Any], str]) -> Response:
    """Run a change in its own unit of work, and say on the next page what came of it."""
    try:
        with transaction():
            result = change()
    except ServiceError as refused:
        flash(refused.message, "error")
    else:
        flash(done(result))
    return _back()


def _back() -> Response:
    """Back to the page the form was on: only a /manage page, never an address the form was given."""
    back = request.form.get("next", "")
    if not back.startswith("/manage/") or back.startswith("//"):
        back = url_for("manage.dashboard")
    return redirect(back, 303)


class SignIn(MethodView):
    decorators: ClassVar[list[Callable[..., Any]]] = [unit_of_work]

    def get(self) -> Any:
        if signed_in_admin() is not None:
            return redirect(url_for("manage.dashboard"))
        return render_template("manage/sign_in.html")

    @limited(FAILED_SIGN_INS, ADDRESS_SIGN_INS)
    def post(self) -> Any:
        try:
            data = LoginSchema().load({key: request.form.get(key, "") for key in ("username", "password")})
        except ValidationError:
            data = None
        account = auth.authenticate(data["username"], data["password"]) if data else None
        if account is None:
            note_failed_password()
            return _refuse(WRONG_CREDENTIALS, 401)
        try:
            bans.refuse_if_banned(account.ban_reason, account.banned_until)
        except ServiceError as banned:
            return _refuse(banned.message, 403)
        if not account.is_admin:
            return _refuse(ADMINS_ONLY, 403)
        sign_in(auth.token_user(account))
        return redirect(url_for("manage.dashboard"), 303)


def _refuse(message: str, status: int) -> tuple[str, int]:
    return render_template(
        "manage/sign_in.html", refusal=message, username=request.form.get("username")
    ), status


blp.add_url_rule("/sign-in", view_func=SignIn.as_view("sign_in"))


@blp.post("/sign-out")
@unit_of_work  # the revocation of the session's id is stored in it
def sign_out_page() -> Response:
    sign_out()
    flash("Signed out.")
    return redirect(url_for("manage.sign_in"), 303)


@blp.get("/")
@unit_of_work
def dashboard() -> str:
    return _render("dashboard.html", counts=manage.dashboard(g.admin))


@blp.get("/users")
@unit_of_work
def users() -> str:
    query = request.args.get("q", "")[:254]
    return _render("users.html", manage.find_users(g.admin, query, _page_request()))


@blp.post("/users/<id:user_id>/ban")
def ban(user_id: int) -> Response:
    form = {"reason": request.form.get("reason", ""), "until": request.form.get("until") or None}
    try:
        data = BanSchema().load(form)
    except ValidationError as invalid:
        problems = invalid.normalized_messages()
        flash(
            "; ".join(f"{name.capitalize()}: {' '.join(texts)}" for name, texts in problems.items()), "error"
        )
        return _back()
    change = lambda: bans.ban(g.admin, user_id, data["reason"], data["until"])  # noqa: E731
    return _carry_out(change, lambda state: f"{state['user']['username']} is banned.")


@blp.post("/users/<id:user_id>/unban")
def unban(user_id: int) -> Response:
    change = lambda: bans.unban(g.admin, user_id)  # noqa: E731
    return _carry_out(change, lambda state: f"{state['user']['username']} is no longer banned.")


@blp.get("/boards")
@unit_of_work
def boards() -> str:
    query = request.args.get("q", "")[:200]
    return _render("boards.html", manage.find_boards(g.admin, query, _page_request()))


DONE = {"hide": "hidden", "restore": "restored", "delete": "deleted"}
DONE_WITH_CASE = {
    "hide": "its item is hidden",
    "restore": "its item is restored",
    "dismiss": "its reports are dismissed",
    "delete": "its item is deleted",
}


@blp.post("/boards/<id:board_id>/<any(hide, restore, delete):action>")
def act_on_board(board_id: int, action: str) -> Response:
    change = lambda: moderation.act_on_item(g.admin, "board", board_id, action)  # noqa: E731
    return _carry_out(change, lambda _: f"Board {board_id} {DONE[action]}.")


@blp.get("/cases")
@unit_of_work
def cases() -> str:
    status = request.args.get("status", "open")
    status = status if status in STATUSES else "open"
    found = moderation.list_cases(g.admin, status, _page_request())
    return _render("cases.html", found, status=status, statuses=STATUSES)


@blp.post("/cases/<id:case_id>/<any(hide, restore, dismiss, delete):action>")
def act_on_case(case_id: int, action: str) -> Response:
    change = lambda: moderation.act(g.admin, case_id, action)  # noqa: E731
    return _carry_out(change, lambda _: f"Case {case_id}: {DONE_WITH_CASE[action]}.")


@blp.get("/log")
@unit_of_work
def log() -> str:
    return _render("log.html", audit.entries(g.admin, _page_request()))
