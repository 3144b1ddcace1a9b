"""The officers' pages: login, and the console (call, skip, inspect, decide, walk-ins, capacity).

Every console form carries the session's CSRF token, the login form the token of
:mod:`hub.web.forms`; the session cookie is httponly and SameSite=Strict.  Logins count
against the per-address limit the API login has too.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from hub.api.deps import login_allowed, runtime_of
from hub.auth import COOKIE, AuthError, LockedOut, Role, Session, login, logout
from hub.queue.policy import Category, State
from hub.queue.records import NotFound, QueueError
from hub.web.page import Csrf, Lang, LangCookie, Page, bad_request, message_of
from shekara.wire import utc_timestamp

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, lang: Lang = None, lang_cookie: LangCookie = None) -> Response:
    """The officers' login form."""
    return Page(request, lang, lang_cookie).render("login.html")


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Csrf = "",
    lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Log in; the session cookie is httponly and SameSite=Strict."""
    page = Page(request, lang, lang_cookie)
    if (refused := page.forged(csrf, "/login")) is not None:
        return refused
    if not login_allowed(request):
        return page.render("login.html", status_code=429, bad=True, message=page.gettext(
            "Too many requests. Wait a minute and try again."))  # fmt: skip
    settings = runtime_of(request).settings
    try:
        token, _ = login(page.queue.store, username, password, page.queue.now(),
                         settings.session_hours)  # fmt: skip
    except LockedOut as exc:
        text = page.gettext("Too many failed logins. Try again after %(time)s.")
        return page.render("login.html", status_code=401, bad=True,
                           message=text % {"time": page.when(exc.until, short=True)})  # fmt: skip
    except AuthError:
        return page.render("login.html", status_code=401, bad=True,
                           message=page.gettext("Wrong user name or password."))  # fmt: skip
    response = page.redirect("/officer")
    response.set_cookie(COOKIE, token, max_age=int(settings.session_hours * 3600), httponly=True,
                        samesite="strict", secure=settings.env == "production")  # fmt: skip
    return response


@router.post("/logout")
def logout_submit(
    request: Request, token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
    csrf: Csrf = "", lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """End the session (the form carries its CSRF token)."""
    page = Page(request, lang, lang_cookie)
    session = page.session(token)
    if session is not None and not hmac.compare_digest(csrf.encode(), session.csrf.encode()):
        return _expired(page)
    if token:
        logout(page.queue.store, token)
    response = page.redirect("/login")
    response.delete_cookie(COOKIE)
    return response


@router.get("/officer", response_class=HTMLResponse)
def officer_page(
    request: Request, token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
    lang: Lang = None, lang_cookie: LangCookie = None, message: str | None = None,
) -> Response:  # fmt: skip
    """The line in call order with call, skip, inspect and decide; capacity for operators."""
    page = Page(request, lang, lang_cookie)
    session = page.session(token)
    if session is None:
        return page.redirect("/login")
    lines = []
    for d in page.queue.config.directions:
        waiting = [page.queue.get(w.booking) for w in page.queue.waiting_order(d.id)]
        at_lanes = page.queue.store.in_states([State.CALLED, State.AT_CONTROL, State.INSPECTION],
                                              d.id)  # fmt: skip
        lines.append({"id": d.id, "name": d.name, "entry_lanes": d.entry_lanes,
                      "waiting": waiting, "at_lanes": at_lanes})  # fmt: skip
    since = utc_timestamp(page.queue.now() - timedelta(days=30))
    return page.render(
        "officer.html", session=session, lines=lines, unmatched=page.queue.store.unmatched(20),
        churn=page.queue.store.churn(since, 20), today=page.today(), message=message,
        refresh=60,
    )  # fmt: skip


@router.post("/officer/{action}", response_class=HTMLResponse)
async def officer_action(
    request: Request, action: str, token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
    lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """Call, skip, inspect, decide, capacity: a form with the session's CSRF token."""
    # Async only to read the form; the queue's work (a lock, database writes) runs in
    # the thread pool like every other route, never on the event loop.
    form = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(_officer_form, request, action, token, lang, lang_cookie, form)


def _officer_form(
    request: Request, action: str, token: str | None, lang: str | None,
    lang_cookie: str | None, form: dict[str, str],
) -> Response:  # fmt: skip
    page = Page(request, lang, lang_cookie)
    session = page.session(token)
    if session is None:
        return page.redirect("/login")
    if not hmac.compare_digest(form.get("csrf", "").encode(), session.csrf.encode()):
        return _expired(page)
    try:
        message = _act(page, session, action, form)
    except QueueError as exc:
        return officer_page(request, token, page.lang, None, message_of(exc, page.gettext))
    return officer_page(request, token, page.lang, None, message)


def _expired(page: Page) -> Response:
    return page.render("base.html", status_code=403, bad=True,
                       message=page.gettext("The form expired. Reload the page."))  # fmt: skip


def _act(page: Page, session: Session, action: str, form: dict[str, str]) -> str:
    q, who, _ = page.queue, session.username, page.gettext
    if action == "call":
        called = q.call_next(form.get("direction", ""), form.get("lane", ""), who)
        if called is None:
            return _("Nobody is waiting.")
        return _("%(plate)s called to %(lane)s.") % {"plate": called.tractor.text,
                                                     "lane": called.lane}  # fmt: skip
    if action == "walk-in":
        try:
            category = Category(form.get("category", ""))
        except ValueError:
            raise bad_request(_("Choose a direction and a cargo type."), "category") from None
        walked = q.walk_in(
            form.get("direction", ""), category,
            (form.get("tractor", ""), form.get("tractor_country", "KZ")), [],
            form.get("driver_name", ""), form.get("phone", ""), "", who,
        )[1]  # fmt: skip
        return _("%(plate)s joined the live queue.") % {"plate": walked.tractor.text}
    booking = form.get("booking", "")
    if action == "skip":
        q.skip(booking, form.get("reason", ""), who)
    elif action == "inspect":
        q.inspect(booking, who)
    elif action == "decide":
        q.decide(booking, form.get("cleared") == "1", form.get("reason", ""), who)
    elif action == "capacity":
        if not session.role.allows(Role.OPERATOR):
            return _("Only operators set capacity.")
        try:
            slots = int(form.get("slots", ""))
        except ValueError:
            raise bad_request(_("Slots must be a number."), "slots") from None
        hour = page.local_slot(form.get("day", ""), form.get("hour", ""))
        category = Category(form.get("category", "general"))
        q.set_capacity(form.get("direction", ""), category, hour, slots, who)
    else:
        raise NotFound(_("Unknown action."))
    return _("Done.")
