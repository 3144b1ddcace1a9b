"""What every page shares: the language, the template environment, the queue, refusals.

One Jinja2 environment per language with its Babel catalogue installed; :class:`Page`
picks the language (query, cookie, Accept-Language), renders, redirects after a post,
and gives and checks the CSRF value of the forms with no login (:mod:`hub.web.forms`);
the security headers of every response are set by :mod:`hub.web.headers`, not here.
:func:`message_of` turns a refusal of the rules into a sentence in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Cookie, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub.api.deps import runtime_of
from hub.auth import Session, session_of
from hub.queue.journal import parse_time
from hub.queue.policy import Category
from hub.queue.records import BadRequest, QueueError
from hub.queue.service import QueueService
from hub.web import forms
from hub.web.i18n import LANGUAGES, pick, translations, when

TEMPLATES = Path(__file__).with_name("templates")
Lang = Annotated[str | None, Query(alias="lang")]
LangCookie = Annotated[str | None, Cookie(alias="lang")]
# The CSRF value a form posts back: the session's, or the form token of hub.web.forms.
Csrf = Annotated[str, Form(max_length=100)]


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
        self.queue: QueueService = runtime_of(request).queue
        self.lang = pick(lang_query, lang_cookie, request.headers.get("accept-language"))
        self.set_cookie = lang_query in LANGUAGES
        self.gettext = translations(self.lang).gettext
        self._nonce: str | None = None  # the form cookie's, once a form asked for a token

    def session(self, token: str | None) -> Session | None:
        """The officer's live session of the login cookie ``token``, if any."""
        idle = runtime_of(self.request).settings.session_idle_minutes
        return session_of(self.queue.store, token, self.queue.now(), idle)

    def form_token(self) -> str:
        """The CSRF value of a form with no login; the response then sets its cookie."""
        if self._nonce is None:
            self._nonce = self.request.cookies.get(forms.COOKIE) or forms.new_nonce()
        return forms.token(forms.form_key(self.request), self._nonce)

    def forged(self, submitted: str, back: str) -> Response | None:
        """A 403 page when a form with no login came without its CSRF value, else None;
        ``back`` is where the form is opened again."""
        nonce = self.request.cookies.get(forms.COOKIE)
        if forms.valid(forms.form_key(self.request), nonce, submitted):
            return None
        message = self.gettext("The form has expired or was sent from another site.")
        return self.render("base.html", status_code=403, bad=True, message=message, back=back)

    def when(self, moment: datetime | str | None, short: bool = False) -> str:
        """A time in the checkpoint's zone and the page's language."""
        if isinstance(moment, str):
            moment = parse_time(moment)
        return when(moment, self.lang, self.queue.config.zone, short)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """The template in the page's language."""
        body = environment(self.lang).get_template(template).render(
            lang=self.lang, languages=LANGUAGES, checkpoint=self.queue.config.name,
            when=self.when, categories=list(Category), form_token=self.form_token,
            **_names(self.lang), **context,
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
        if self._nonce is not None and self._nonce != self.request.cookies.get(forms.COOKIE):
            production = runtime_of(self.request).settings.env == "production"
            response.set_cookie(forms.COOKIE, self._nonce, httponly=True, samesite="strict",
                                secure=production)  # fmt: skip
        if self.set_cookie:
            response.set_cookie("lang", self.lang, max_age=365 * 86400, samesite="lax")

    def local_slot(self, day: str, hour: str) -> datetime:
        """A form's local date and hour as a UTC datetime."""
        try:
            local = datetime.combine(date.fromisoformat(day), time(int(hour)),
                                     tzinfo=self.queue.config.zone)  # fmt: skip
        except ValueError:
            raise bad_request(self.gettext("Choose a date and an hour."), "slot") from None
        return local.astimezone(UTC)

    def today(self) -> str:
        """Today at the checkpoint (ISO)."""
        return self.queue.now().astimezone(self.queue.config.zone).date().isoformat()


def bad_request(message: str, field: str) -> QueueError:
    """A refusal of a form's own, naming the field."""
    return BadRequest(message, field=field)


def form_errors(exc: QueueError, page: Page) -> dict[str, Any]:
    """What a form template shows of a refusal: the message and the field at fault."""
    field = exc.details.get("field")
    if field == "plate":  # the form has several plate fields: say which
        field = exc.details.get("trailer") or "tractor"
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
