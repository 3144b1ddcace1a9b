"""The carrier's pages: sign in with the API token, notify or amend by form or JSON file.

The token goes once through the sign-in form into an httponly, SameSite=Strict cookie;
forms carry a CSRF value derived from it (HMAC), so a page elsewhere cannot post here.
The sign-in form itself carries the token of :mod:`hub.web.forms` and counts against
the per-address login limit: a carrier token is a password too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from hub.api.deps import login_allowed, runtime_of
from hub.notify.desk import token_hash
from hub.notify.model import NotificationIn
from hub.queue.records import QueueError
from hub.web.carrier_form import document, field_of, form_values
from hub.web.page import Lang, LangCookie, Page

router = APIRouter(include_in_schema=False)
CARRIER_COOKIE = "shekara_carrier"
CarrierCookie = Annotated[str | None, Cookie(alias=CARRIER_COOKIE)]


def _csrf(token: str) -> str:
    return hmac.new(token.encode(), b"carrier form", hashlib.sha256).hexdigest()[:32]


def _carrier(request: Request, token: str | None) -> str | None:
    if not token:
        return None
    return runtime_of(request).notify.store.carrier_of(token_hash(token))


def _form(page: Page, token: str, carrier: str, values: dict[str, str],
          errors: dict[str, str], code: int = 200, done: Any = None) -> Response:  # fmt: skip
    return page.render("carrier.html", status_code=code, carrier=carrier, v=values,
                       errors=errors, csrf=_csrf(token), done=done,
                       directions=page.queue.config.directions)  # fmt: skip


@router.get("/carrier", response_class=HTMLResponse)
def carrier_page(
    request: Request, token: CarrierCookie = None, amend: str | None = None,
    lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """The notification form (or the sign-in form); ``amend`` loads one to change."""
    page = Page(request, lang, lang_cookie)
    carrier = _carrier(request, token)
    if carrier is None or token is None:
        return page.render("carrier_login.html")
    values = {"amendment": "0", "conveyance.tractor.country": "KZ",
              "conveyance.trailers.0.country": "KZ", "drivers.0.nationality": "KZ",
              "conveyance.carrier_id": carrier}  # fmt: skip
    if amend:
        history = runtime_of(request).notify.store.history(carrier, amend)
        if history:
            current = history[-1]
            values = form_values(current.body, page.queue.config.zone)
            values["amendment"] = str(current.amendment + 1)
    return _form(page, token, carrier, values, {})


@router.post("/carrier/login", response_class=HTMLResponse)
async def carrier_login(
    request: Request, lang: Lang = None, lang_cookie: LangCookie = None
) -> Response:
    """Sign in with the API token an operator issued."""
    page = Page(request, lang, lang_cookie)
    form = await request.form()
    if (refused := page.forged(str(form.get("csrf", "")), "/carrier")) is not None:
        return refused
    if not login_allowed(request):
        return page.render("carrier_login.html", status_code=429, bad=True, message=page.gettext(
            "Too many requests. Wait a minute and try again."))  # fmt: skip
    token = str(form.get("token", "")).strip()
    if await run_in_threadpool(_carrier, request, token) is None:
        return page.render("carrier_login.html", status_code=401, bad=True,
                           message=page.gettext("This token is not valid."))  # fmt: skip
    response = page.redirect("/carrier")
    response.set_cookie(CARRIER_COOKIE, token, httponly=True, samesite="strict",
                        secure=runtime_of(request).settings.env == "production")  # fmt: skip
    return response


@router.post("/carrier/notify", response_class=HTMLResponse)
async def carrier_submit(
    request: Request, token: CarrierCookie = None, lang: Lang = None,
    lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """Submit the form, or a JSON file of the same document."""
    form = await request.form()
    upload = form.get("file")
    raw = await upload.read(1 << 20) if upload is not None and not isinstance(upload, str) else b""
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_submit, request, token, lang, lang_cookie, values, raw)


def _submit(request: Request, token: str | None, lang: str | None, lang_cookie: str | None,
            values: dict[str, str], raw: bytes) -> Response:  # fmt: skip
    page = Page(request, lang, lang_cookie)
    carrier = _carrier(request, token)
    if carrier is None or token is None:
        return page.redirect("/carrier")
    if not hmac.compare_digest(values.get("csrf", "").encode(), _csrf(token).encode()):
        return page.render("carrier_login.html", status_code=403, bad=True,
                           message=page.gettext("The form expired; sign in again."))  # fmt: skip
    try:
        doc = json.loads(raw) if raw else document(values, page.queue.config.zone,
                                                   page.queue.config.checkpoint)  # fmt: skip
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        why = page.gettext("The file is not JSON: %(why)s") % {"why": exc}
        return _form(page, token, carrier, values, {"": why}, 400)
    try:
        stored = runtime_of(request).notify.submit(NotificationIn.model_validate(doc), carrier)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors(include_url=False):
            errors.setdefault(field_of(tuple(e["loc"])) if not raw else "",
                              f"{'.'.join(map(str, e['loc']))}: {e['msg']}")  # fmt: skip
        return _form(page, token, carrier, values, errors, 422)
    except QueueError as exc:
        field = str(exc.details.get("field", ""))
        return _form(page, token, carrier, values, {field: str(exc)}, exc.status)
    return _form(page, token, carrier, values, {}, 201, done=stored)
