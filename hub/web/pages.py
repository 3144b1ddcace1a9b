"""The pages: driver booking and status, the board, the public queue page, the officer console.

Server-rendered HTML (Jinja2), plain forms, no JavaScript: a cheap phone on a weak
signal gets a page it can use.  Pages that change refresh themselves with a meta tag.
Officer forms carry the session's CSRF token; every refusal re-renders the form with
the message beside the field at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from hub.api.deps import get_runtime
from hub.auth import COOKIE, AuthError, Session, login, logout, session_of
from hub.queue import views
from hub.queue.journal import booking_id, parse_time
from hub.queue.plates import booking_plate
from hub.queue.policy import Category, State
from hub.queue.records import BadRequest, NotFound, QueueError, RateLimited
from hub.queue.service import QueueService, clean_reference
from hub.web.i18n import LANGUAGES, pick, translations, when
from shekara.wire import utc_timestamp

TEMPLATES = Path(__file__).with_name("templates")
router = APIRouter(include_in_schema=False)
Lang = Annotated[str | None, Query(alias="lang")]
LangCookie = Annotated[str | None, Cookie(alias="lang")]


@cache
def environment(lang: str) -> Environment:
    """One template environment per language, its catalogue installed."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def _names(lang: str) -> dict[str, dict[str, str]]:
    _ = translations(lang).gettext
    categories = {
        "general": _("General cargo"), "perishable": _("Perishable"),
        "dangerous": _("Dangerous goods"), "humanitarian": _("Humanitarian"),
        "empty": _("Empty truck"), "transit": _("Transit / TIR"),
    }  # fmt: skip
    states = {
        "held": _("Held"), "booked": _("Booked"), "arrived": _("Checked in"),
        "called": _("Called: drive to the lane"), "at_control": _("At control"),
        "inspection": _("Inspection"), "cleared": _("Cleared"), "refused": _("Refused"),
        "exited": _("Crossed"), "cancelled": _("Cancelled"), "no_show": _("No-show"),
        "expired": _("Hold expired"),
    }  # fmt: skip
    return {"category_names": categories, "state_names": states}


class Page:
    """What every page needs: the language, the queue, a renderer."""

    def __init__(self, request: Request, lang_query: str | None, lang_cookie: str | None) -> None:
        self.request = request
        self.queue: QueueService = get_runtime(request).queue
        self.lang = pick(lang_query, lang_cookie, request.headers.get("accept-language"))
        self.set_cookie = lang_query in LANGUAGES
        self.gettext = translations(self.lang).gettext

    def when(self, moment: datetime | str | None, short: bool = False) -> str:
        """A time in the checkpoint's zone and the page's language."""
        if isinstance(moment, str):
            moment = parse_time(moment)
        return when(moment, self.lang, self.queue.config.zone, short)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """The template in the page's language."""
        body = environment(self.lang).get_template(template).render(
            lang=self.lang, languages=LANGUAGES, checkpoint=self.queue.config.name,
            when=self.when, categories=list(Category), **_names(self.lang), **context,
        )  # fmt: skip
        response = HTMLResponse(body, status_code=status_code)
        self._finish(response)
        return response

    def redirect(self, url: str) -> RedirectResponse:
        """See other (after a form post)."""
        sep = "&" if "?" in url else "?"
        response = RedirectResponse(f"{url}{sep}lang={self.lang}", status_code=303)
        self._finish(response)
        return response

    def _finish(self, response: Response) -> None:
        # The booking reference is in the URL: it must not leak to other sites.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if self.set_cookie:
            response.set_cookie("lang", self.lang, max_age=365 * 86400, samesite="lax")

    def local_slot(self, day: str, hour: str) -> datetime:
        """A form's local date and hour as a UTC datetime."""
        try:
            local = datetime.combine(date.fromisoformat(day), time(int(hour)),
                                     tzinfo=self.queue.config.zone)  # fmt: skip
        except ValueError:
            raise _bad(self.gettext("Choose a date and an hour."), "slot") from None
        return local.astimezone(UTC)

    def today(self) -> str:
        """Today at the checkpoint (ISO)."""
        return self.queue.now().astimezone(self.queue.config.zone).date().isoformat()


def _bad(message: str, field: str) -> QueueError:
    return BadRequest(message, field=field)


def _errors(exc: QueueError, page: Page) -> dict[str, Any]:
    field = exc.details.get("field")
    if field == "plate":  # the form has two plate fields: say which
        field = "trailer" if exc.details.get("trailer") else "tractor"
    return {"message": message_of(exc, page.gettext), "field": field}


def message_of(exc: QueueError, _: Callable[[str], str]) -> str:
    """A refusal in the page's language (the API keeps the English detail)."""
    field, d = exc.details.get("field"), exc.details
    by_field = {
        "plate": _("Not a plate of this country."), "slot": _("This hour cannot be booked."),
        "phone": _("The phone number needs 8 to 15 digits."),
        "driver_name": _("Enter the driver's name (2 to 100 characters)."),
        "country": _("The country is a code of 2 or 3 letters, e.g. KZ."),
        "reason": _("Give a reason (3 to 200 characters)."),
        "category": _("Choose a direction and a cargo type."),
    }  # fmt: skip
    by_code = {
        "slot_full": _("This hour is full for this cargo. Choose another hour."),
        "plate_busy": _("This vehicle already has an active booking."),
        "banned": _("This vehicle cannot book until %(until)s: missed bookings.")
        % {"until": d.get("until", "")},
        "too_late": _("Changes close 3 hours before the slot."),
        "wrong_state": _("This booking can no longer be changed."),
        "rate_limited": _("Too many requests. Wait a minute and try again."),
        "not_found": _("No booking has this reference."),
    }
    if exc.code == "invalid" and field in by_field:
        text = by_field[field]
        if "layouts" in d:
            text += " " + _("Layouts: %(layouts)s (9 a digit, A a letter, # a region code).") % {
                "layouts": d["layouts"]
            }
        return text
    return by_code.get(exc.code, str(exc))


# --- public ---------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def public_page(request: Request, lang: Lang = None, lang_cookie: LangCookie = None) -> Response:
    """Queue length, free slots by hour, average wait today."""
    page = Page(request, lang, lang_cookie)
    out = []
    for d in page.queue.config.directions:
        stats = views.stats(page.queue, d.id)
        free = [(page.when(hour, short=True), n) for hour, n in stats.free_by_hour.items()]
        out.append({"name": d.name, "stats": stats, "free": free})
    return page.render("public.html", stats=out, refresh=60)


@router.get("/board", response_class=HTMLResponse)
def board_page(
    request: Request, direction: str | None = None, lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """The big screen: called plates and their lanes, the line per category."""
    page = Page(request, lang, lang_cookie)
    shown = [d for d in page.queue.config.directions if direction in (None, d.id)]
    boards = [{"name": d.name, "board": views.board(page.queue, d.id)} for d in shown]
    return page.render("board.html", boards=boards, refresh=10)


# --- driver ---------------------------------------------------------------------------


def _book_form(page: Page, form: dict[str, Any], errors: dict[str, Any], code: int) -> Response:
    return page.render(
        "book.html", status_code=code, form=form, errors=errors,
        directions=page.queue.config.directions, today=page.today(),
        hold_minutes=page.queue.config.hold_minutes,
    )  # fmt: skip


@router.get("/book", response_class=HTMLResponse)
def book_page(request: Request, lang: Lang = None, lang_cookie: LangCookie = None) -> Response:
    """Step 1: direction, cargo, hour, plates."""
    page = Page(request, lang, lang_cookie)
    hour = (page.queue.now().astimezone(page.queue.config.zone) + timedelta(hours=4)).hour
    return _book_form(page, {"day": page.today(), "hour": hour, "category": "general"}, {}, 200)


@router.post("/book", response_class=HTMLResponse)
def book_submit(
    request: Request,
    direction: Annotated[str, Form()],
    category: Annotated[str, Form()],
    day: Annotated[str, Form()],
    hour: Annotated[str, Form()],
    tractor: Annotated[str, Form()],
    tractor_country: Annotated[str, Form()] = "KZ",
    trailer: Annotated[str, Form()] = "",
    trailer_country: Annotated[str, Form()] = "KZ",
    lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Hold the slot, then ask for the driver's details."""
    page = Page(request, lang, lang_cookie)
    form = {"direction": direction, "category": category, "day": day, "hour": int(hour or 0),
            "tractor": tractor, "tractor_country": tractor_country, "trailer": trailer,
            "trailer_country": trailer_country}  # fmt: skip
    try:
        _limit(page, None)
        slot = page.local_slot(day, hour)
        trailers = [(trailer, trailer_country)] if trailer.strip() else []
        try:
            page.queue.config_direction(direction)
            chosen = Category(category)
        except ValueError:
            raise _bad(page.gettext("Choose a direction and a cargo type."), "category") from None
        try:
            for text, country in trailers:
                booking_plate(text, country)
        except QueueError as exc:
            exc.details["trailer"] = True
            raise
        reference, _ = page.queue.hold(direction, chosen, slot, (tractor, tractor_country),
                                       trailers, "web")  # fmt: skip
    except QueueError as exc:
        return _book_form(page, form, _errors(exc, page), exc.status)
    return page.redirect(f"/book/{reference}")


@router.get("/book/{reference}", response_class=HTMLResponse)
def details_page(
    request: Request, reference: str, lang: Lang = None, lang_cookie: LangCookie = None
) -> Response:
    """Step 2: the driver's details, while the slot is held."""
    page = Page(request, lang, lang_cookie)
    return _details(page, reference, {}, {}, 200)


def _details(
    page: Page, reference: str, form: dict[str, Any], errors: dict[str, Any], code: int
) -> Response:
    try:
        ref = clean_reference(reference)
        booking = page.queue.get(booking_id(ref))
    except NotFound:
        return page.render("base.html", status_code=404, bad=True,
                           message=page.gettext("No booking has this reference."))  # fmt: skip
    if booking.state is not State.HELD:
        return page.redirect(f"/b/{ref}")
    return page.render(
        "details.html", status_code=code, reference=ref, booking=booking, form=form,
        errors=errors, expires=page.when(booking.hold_expires, short=True),
        slot=page.when(booking.slot),
    )  # fmt: skip


@router.post("/book/{reference}", response_class=HTMLResponse)
def details_submit(
    request: Request,
    reference: str,
    driver_name: Annotated[str, Form()],
    phone: Annotated[str, Form()],
    carrier: Annotated[str, Form()] = "",
    lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Complete the booking; show its reference."""
    page = Page(request, lang, lang_cookie)
    form = {"driver_name": driver_name, "phone": phone, "carrier": carrier}
    try:
        _limit(page, phone)
        page.queue.complete(reference, driver_name, phone, carrier)
    except QueueError as exc:
        return _details(page, reference, form, _errors(exc, page), exc.status)
    return page.redirect(f"/b/{clean_reference(reference)}")


@router.get("/b/{reference}", response_class=HTMLResponse)
def status_page(
    request: Request, reference: str, lang: Lang = None, lang_cookie: LangCookie = None
) -> Response:
    """A booking: state, place in the queue, estimated call; cancel, move."""
    page = Page(request, lang, lang_cookie)
    return _status(page, reference, None, False, 200)


def _status(page: Page, reference: str, message: str | None, bad: bool, code: int) -> Response:
    try:
        ref = clean_reference(reference)
        status = page.queue.status(ref)
    except NotFound:
        return page.render("base.html", status_code=404, bad=True,
                           message=page.gettext("No booking has this reference."))  # fmt: skip
    direction = page.queue.config.direction(status.booking.direction)
    return page.render(
        "status.html", status_code=code, reference=ref, status=status,
        slot=page.when(status.booking.slot) if status.booking.slot else page.gettext("live"),
        eta=page.when(status.estimated_call), direction_name=direction.name if direction else "",
        today=page.today(), message=message, bad=bad, refresh=30,
    )  # fmt: skip


@router.post("/b/{reference}/cancel", response_class=HTMLResponse)
def cancel_submit(
    request: Request, reference: str, lang: Lang = None, lang_cookie: LangCookie = None
) -> Response:
    """Cancel the booking."""
    page = Page(request, lang, lang_cookie)
    try:
        page.queue.cancel(reference)
    except QueueError as exc:
        return _status(page, reference, message_of(exc, page.gettext), True, exc.status)
    return page.redirect(f"/b/{clean_reference(reference)}")


@router.post("/b/{reference}/reschedule", response_class=HTMLResponse)
def reschedule_submit(
    request: Request,
    reference: str,
    day: Annotated[str, Form()],
    hour: Annotated[str, Form()],
    lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Move the booking to another hour."""
    page = Page(request, lang, lang_cookie)
    try:
        page.queue.reschedule(reference, page.local_slot(day, hour))
    except QueueError as exc:
        return _status(page, reference, message_of(exc, page.gettext), True, exc.status)
    return page.redirect(f"/b/{clean_reference(reference)}")


def _limit(page: Page, phone: str | None) -> None:
    limiter = get_runtime(page.request).limiter
    client = page.request.client.host if page.request.client else "?"
    if not limiter.allow(f"ip:{client}"):
        raise RateLimited(page.gettext("Too many requests. Wait a minute and try again."))
    if phone and not limiter.allow("phone:" + "".join(c for c in phone if c.isdigit())):
        raise RateLimited(page.gettext("Too many requests. Wait a minute and try again."))


# --- officers --------------------------------------------------------------------------


def _session(page: Page, token: str | None) -> Session | None:
    return session_of(page.queue.store, token, page.queue.now())


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, lang: Lang = None, lang_cookie: LangCookie = None) -> Response:
    """The officers' login form."""
    return Page(request, lang, lang_cookie).render("login.html")


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Log in; the session cookie is httponly and SameSite=Strict."""
    page = Page(request, lang, lang_cookie)
    settings = get_runtime(request).settings
    try:
        token, _ = login(page.queue.store, username, password, page.queue.now(),
                         settings.session_hours)  # fmt: skip
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
    lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """End the session."""
    page = Page(request, lang, lang_cookie)
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
    session = _session(page, token)
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
    session = _session(page, token)
    if session is None:
        return page.redirect("/login")
    if form.get("csrf") != session.csrf:
        return page.render("base.html", status_code=403, bad=True,
                           message=page.gettext("The form expired. Reload the page."))  # fmt: skip
    try:
        message = _act(page, session, action, form)
    except QueueError as exc:
        return officer_page(request, token, page.lang, None, message_of(exc, page.gettext))
    return officer_page(request, token, page.lang, None, message)


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
            raise _bad(_("Choose a direction and a cargo type."), "category") from None
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
        if session.role.value != "operator":
            return _("Only operators set capacity.")
        try:
            slots = int(form.get("slots", ""))
        except ValueError:
            raise _bad(_("Slots must be a number."), "slots") from None
        hour = page.local_slot(form.get("day", ""), form.get("hour", ""))
        category = Category(form.get("category", "general"))
        q.set_capacity(form.get("direction", ""), category, hour, slots, who)
    else:
        raise NotFound(_("Unknown action."))
    return _("Done.")
