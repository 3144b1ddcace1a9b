"""The officer's lane terminal and search pages (login, role officer or operator).

The lane page is a shell: ``static/lane.js`` follows ``/api/lanes/{lane}/live``
(server-sent events) and draws each arrival; decisions go to the JSON API with the
session's CSRF token in ``X-CSRF-Token``.  Search is server-rendered.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, Response

from hub.api.deps import runtime_of
from hub.auth import COOKIE
from hub.web.page import Lang, LangCookie, Page

router = APIRouter(include_in_schema=False)


def _labels(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {
        "waiting": _("Waiting for the next vehicle"), "live": _("Live"),
        "offline": _("Connection lost; reconnecting"), "plate": _("Plate"),
        "confidence": _("Confidence"), "no_match": _("No notification matches"),
        "match": _("Matches"), "probable": _("Probable: check by hand"),
        "tractor_changed": _("Tractor differs from the notification"),
        "declared_seen": _("Declared and seen"), "declared_not_seen": _("Declared, not seen"),
        "seen_not_declared": _("Seen, not declared"), "booking": _("Queue booking"),
        "none": _("none"), "decided": _("Decided"), "saved": _("Decision recorded"),
        "failed": _("The decision was not recorded"), "amended": _("Amended since arrival"),
        "evidence": _("Evidence crop kept on the device"), "code": _("Code"),
        "status": _("Status"), "kind": _("Kind"), "certificate": _("Certificate"),
    }  # fmt: skip


@router.get("/officer/lanes/{lane}", response_class=HTMLResponse)
def lane_page(
    request: Request, lane: str, token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
    lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """One lane, live: the vehicle, its match, the items; release, inspect or refuse."""
    page = Page(request, lang, lang_cookie)
    session = page.session(token)
    if session is None:
        return page.redirect("/login")
    if page.queue.config.lane_role(lane) is None:
        return page.render("base.html", status_code=404, bad=True,
                           message=page.gettext("No such lane."))  # fmt: skip
    return page.render("lane.html", session=session, lane=lane, labels=_labels(page))


@router.get("/officer/search", response_class=HTMLResponse)
def search_page(
    request: Request, token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
    q: Annotated[str, Query(max_length=40)] = "", lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """Recent passages and notifications by plate, container or SSCC."""
    page = Page(request, lang, lang_cookie)
    session = page.session(token)
    if session is None:
        return page.redirect("/login")
    found: dict[str, Any] | None = None
    if len(q.strip()) >= 3:
        found = runtime_of(request).terminal.search(q)
    return page.render("search.html", session=session, q=q, found=found)
