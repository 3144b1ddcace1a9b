"""The operators' dashboard page: every direction's queue, every device, the alerts.

Operators and admins only (a login; officers get a 403 page).  Figures come from
:mod:`hub.dashboard.snapshot`, charts are inline SVG (:mod:`hub.dashboard.charts`) with
the same numbers in tables; the page refreshes itself every :data:`REFRESH_S` seconds
with a ``<meta>`` refresh (no script).  Acknowledging an alert and revoking a device
are forms carrying the session's CSRF token; revoking goes through a confirmation page
that asks for the reason.  Each post redirects back, so a refresh never repeats it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from hub.api.deps import AlertId, runtime_of
from hub.auth import COOKIE, Role, Session
from hub.dashboard.charts import Bar, bars_svg, sparkline_svg
from hub.dashboard.figures import DirectionFigures
from hub.dashboard.health import DeviceHealth
from hub.dashboard.snapshot import take
from hub.lifecycle import DeviceAdmin
from hub.store import StoreError
from hub.store.alert_sql import Alert, AlertNotFound, AlreadyAcked
from hub.web.page import Csrf, Lang, LangCookie, Page
from shekara.errors import ConfigError
from shekara.wire import utc_timestamp

router = APIRouter(include_in_schema=False)
REFRESH_S = 30
Token = Annotated[str | None, Cookie(alias=COOKIE)]
Gettext = Callable[[str], str]


def _operator(page: Page, token: str | None) -> Session | Response:
    """The operator's session, or the response to send instead (login, or 403)."""
    session = page.session(token)
    if session is None:
        return page.redirect("/login")
    if not session.role.allows(Role.OPERATOR):
        return page.render("base.html", status_code=403, bad=True,
                           message=page.gettext("Operators only."))  # fmt: skip
    return session


def _operator_form(page: Page, token: str | None, csrf: str) -> Session | Response:
    """As :func:`_operator`, for a form post: its CSRF token must be the session's."""
    session = _operator(page, token)
    if isinstance(session, Session) and not hmac.compare_digest(
        csrf.encode(), session.csrf.encode()
    ):
        return _expired(page)
    return session


def alert_text(alert: Alert, _: Gettext) -> str:
    """What an alert says, in the page's language (the API keeps the English message)."""
    d = alert.detail
    try:
        if alert.rule == "device_offline":
            return _("%(device)s (%(lane)s) is offline: last seen %(minutes)s min ago") % d
        if alert.rule == "device_never_seen":
            return _("%(device)s (%(lane)s) was registered %(minutes)s min ago and never seen") % d
        if alert.rule == "outbox_growing":
            return _("The outbox of %(device)s is growing: %(from)s to %(depth)s events") % d
        if alert.rule == "long_wait":
            return _("The longest wait in %(direction)s is %(minutes)s min") % d
        if alert.rule == "dead_letters":
            return _("%(count)s messages dead-lettered in %(minutes)s min") % {
                "count": d["count"], "minutes": f"{d['minutes']:g}"}  # fmt: skip
    except (KeyError, TypeError, ValueError):
        pass  # an alert from another version: its own English message
    return alert.message


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def direction_charts(f: DirectionFigures, _: Gettext) -> dict[str, Markup]:
    """The throughput and the waits chart of one direction, titled in the page's language."""
    hours = [
        Bar(h.label[:2] if i % 3 == 0 else "", h.called, h.capacity,
            _("%(hour)s: %(called)s called, %(capacity)s slots")
            % {"hour": h.label, "called": h.called, "capacity": h.capacity})
        for i, h in enumerate(f.hours)
    ]  # fmt: skip
    days = [
        Bar(d.day.strftime("%d.%m"), d.waits.p50 or 0, d.waits.p90,
            _("%(day)s: median %(p50)s min, 90th percentile %(p90)s min, %(count)s trucks")
            % {"day": d.day.isoformat(), "p50": _minutes(d.waits.p50),
               "p90": _minutes(d.waits.p90), "count": d.waits.count})
        for d in f.days
    ]  # fmt: skip
    return {
        "throughput": bars_svg(_("Trucks called per hour today against capacity: %(name)s")
                               % {"name": f.name}, hours, over_class=True),
        "waits": bars_svg(_("Median and 90th percentile wait per day, minutes: %(name)s")
                          % {"name": f.name}, days),
    }  # fmt: skip


def outbox_chart(d: DeviceHealth, _: Gettext) -> Markup:
    """The device's outbox depth over the history window."""
    h = d.outbox_history
    if not h:
        title = _("Outbox of %(device)s: no status reports in 6 hours") % {"device": d.device_id}
    else:
        text = _("Outbox of %(device)s over 6 hours: from %(first)s to %(last)s, at most %(top)s")
        title = text % {"device": d.device_id, "first": h[0], "last": h[-1], "top": max(h)}
    return sparkline_svg(title, h)


def _context(page: Page, session: Session, message: str | None) -> dict[str, Any]:
    runtime = runtime_of(page.request)
    snap = take(runtime.settings, runtime.store, page.queue, runtime.alerts)
    _ = page.gettext
    words = {
        "online": _("online"), "offline": _("offline"), "unknown": _("unknown"),
        "rising": _("rising"), "falling": _("falling"), "steady": _("steady"),
        "pending": _("pending"), "delivered": _("delivered"), "failed": _("failed"),
    }  # fmt: skip
    return {
        "session": session, "snap": snap, "words": words, "message": message,
        "charts": {f.direction: direction_charts(f, _) for f in snap.directions},
        "sparks": {d.device_id: outbox_chart(d, _) for cp in snap.devices for d in cp.devices},
        "alert_text": lambda a: alert_text(a, _), "refresh": REFRESH_S,
        "minutes": _minutes,
    }  # fmt: skip


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, token: Token = None, lang: Lang = None, lang_cookie: LangCookie = None,
    done: str | None = None,
) -> Response:  # fmt: skip
    """Queue figures, device health, alerts and dead letters of the hub."""
    page = Page(request, lang, lang_cookie)
    session = _operator(page, token)
    if not isinstance(session, Session):
        return session
    notes = {"acked": page.gettext("Alert acknowledged."),
             "revoked": page.gettext("Device revoked.")}  # fmt: skip
    return page.render("dashboard.html", **_context(page, session, notes.get(done or "")))


@router.post("/dashboard/alerts/{alert_id}/ack", response_class=HTMLResponse)
def ack_submit(
    request: Request, alert_id: AlertId, token: Token = None, csrf: Csrf = "",
    lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """Acknowledge an alert (the form carries the session's CSRF token)."""
    page = Page(request, lang, lang_cookie)
    session = _operator_form(page, token, csrf)
    if not isinstance(session, Session):
        return session
    try:
        runtime_of(request).alerts.tables.ack(alert_id, session.username,
                                              utc_timestamp(page.queue.now()))  # fmt: skip
    except AlertNotFound:
        return page.render("base.html", status_code=404, bad=True,
                           message=page.gettext("No such alert."))  # fmt: skip
    except AlreadyAcked:
        pass  # a colleague was quicker: the page shows who
    return page.redirect("/dashboard?done=acked")


@router.get("/dashboard/devices/{device_id}/revoke", response_class=HTMLResponse)
def revoke_page(
    request: Request, device_id: str, token: Token = None, lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """Confirm a device's revocation and give the reason."""
    page = Page(request, lang, lang_cookie)
    session = _operator(page, token)
    if not isinstance(session, Session):
        return session
    device = runtime_of(request).store.get_device(device_id)
    if device is None:
        return _no_device(page)
    return page.render("dashboard_revoke.html", session=session, device=device)


@router.post("/dashboard/devices/{device_id}/revoke", response_class=HTMLResponse)
def revoke_submit(
    request: Request, device_id: str, reason: Annotated[str, Form(max_length=500)] = "",
    token: Token = None, csrf: Csrf = "", lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """Revoke the device for good, as ``POST /api/devices/{id}/revoke`` does."""
    page = Page(request, lang, lang_cookie)
    session = _operator_form(page, token, csrf)
    if not isinstance(session, Session):
        return session
    runtime = runtime_of(request)
    device = runtime.store.get_device(device_id)
    if device is None:
        return _no_device(page)
    admin = DeviceAdmin(runtime.store, runtime.settings)
    refusal, status = None, 409
    if device_id in admin.tables.revocations():
        refusal = page.gettext("This device is already revoked.")
    elif len(reason.strip()) < 3:  # as the API's ReasonIn
        refusal, status = page.gettext("Give a reason."), 422
    else:
        try:
            admin.revoke(device_id, reason, f"web:{session.username}")
        except (StoreError, ConfigError) as exc:  # a race, or the broker's reload failed
            refusal = str(exc)
    if refusal is not None:
        return page.render("dashboard_revoke.html", status_code=status, session=session,
                           device=device, message=refusal, bad=True)  # fmt: skip
    return page.redirect("/dashboard?done=revoked")


def _expired(page: Page) -> Response:
    return page.render("base.html", status_code=403, bad=True,
                       message=page.gettext("The form expired. Reload the page."))  # fmt: skip


def _no_device(page: Page) -> Response:
    return page.render("base.html", status_code=404, bad=True,
                       message=page.gettext("No such device."))  # fmt: skip
