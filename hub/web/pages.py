"""The public and driver pages: queue statistics, the board, booking, a booking's status.

Server-rendered HTML (Jinja2), plain forms, no JavaScript: a cheap phone on a weak
signal gets a page it can use.  Pages that change refresh themselves with a meta tag;
every refusal re-renders the form with the message beside the field at fault.  Every
form carries the CSRF value of :mod:`hub.web.forms`, and every post counts against the
booking limits per client address (and per phone) that the API has too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from hub.api.deps import client_of, runtime_of
from hub.queue import views
from hub.queue.journal import booking_id
from hub.queue.plates import booking_plate
from hub.queue.policy import Category, State
from hub.queue.records import NotFound, QueueError, RateLimited
from hub.queue.service import clean_reference
from hub.web.page import Csrf, Lang, LangCookie, Page, bad_request, form_errors, message_of

router = APIRouter(include_in_schema=False)


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
    trailer2: Annotated[str, Form()] = "",
    trailer2_country: Annotated[str, Form()] = "KZ",
    csrf: Csrf = "",
    lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Hold the slot, then ask for the driver's details."""
    page = Page(request, lang, lang_cookie)
    if (refused := page.forged(csrf, "/book")) is not None:
        return refused
    form = {"direction": direction, "category": category, "day": day, "hour": int(hour or 0),
            "tractor": tractor, "tractor_country": tractor_country, "trailer": trailer,
            "trailer_country": trailer_country, "trailer2": trailer2,
            "trailer2_country": trailer2_country}  # fmt: skip
    try:
        _limit(page, None)
        slot = page.local_slot(day, hour)
        given = [("trailer", trailer, trailer_country), ("trailer2", trailer2, trailer2_country)]
        given = [g for g in given if g[1].strip()]
        trailers = [(text, country) for _, text, country in given]
        try:
            page.queue.config_direction(direction)
            chosen = Category(category)
        except ValueError:
            raise bad_request(
                page.gettext("Choose a direction and a cargo type."), "category"
            ) from None
        for name, text, country in given:
            try:
                booking_plate(text, country)
            except QueueError as exc:
                exc.details["trailer"] = name  # which plate field to mark
                raise
        reference, _ = page.queue.hold(direction, chosen, slot, (tractor, tractor_country),
                                       trailers, "web")  # fmt: skip
    except QueueError as exc:
        return _book_form(page, form, form_errors(exc, page), exc.status)
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
    csrf: Csrf = "",
    lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Complete the booking; show its reference."""
    page = Page(request, lang, lang_cookie)
    if (refused := page.forged(csrf, f"/book/{reference}")) is not None:
        return refused
    form = {"driver_name": driver_name, "phone": phone, "carrier": carrier}
    try:
        _limit(page, phone)
        page.queue.complete(reference, driver_name, phone, carrier)
    except QueueError as exc:
        return _details(page, reference, form, form_errors(exc, page), exc.status)
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
    request: Request, reference: str, csrf: Csrf = "", lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """Cancel the booking."""
    page = Page(request, lang, lang_cookie)
    if (refused := page.forged(csrf, f"/b/{reference}")) is not None:
        return refused
    try:
        _limit(page, None)
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
    csrf: Csrf = "",
    lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Move the booking to another hour."""
    page = Page(request, lang, lang_cookie)
    if (refused := page.forged(csrf, f"/b/{reference}")) is not None:
        return refused
    try:
        _limit(page, None)
        page.queue.reschedule(reference, page.local_slot(day, hour))
    except QueueError as exc:
        return _status(page, reference, message_of(exc, page.gettext), True, exc.status)
    return page.redirect(f"/b/{clean_reference(reference)}")


def _limit(page: Page, phone: str | None) -> None:
    limiter = runtime_of(page.request).limiter
    client = client_of(page.request)
    if not limiter.allow_client(client) or (phone and not limiter.allow_phone(phone)):
        raise RateLimited(page.gettext("Too many requests. Wait a minute and try again."))
