"""CSRF on the forms with no login behind them: each is posted as another site would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from form_helpers import form_token
from queue_helpers import START

from hub.queue.policy import Category, State
from hub.queue.service import QueueService
from hub.web import forms
from hub.web.page import TEMPLATES

SLOT = START + timedelta(hours=6)
BOOK = {"direction": "kz-tm", "category": "general", "day": "2026-11-21", "hour": "15",
        "tractor": "555ZZZ02", "tractor_country": "KZ"}  # fmt: skip
LOGIN = {"username": "officer1", "password": "long enough pw"}
# Every form with no login: where it posts, what it sends, the page that renders it.
FORMS = [
    ("/book", BOOK), ("/book/{held}", {"driver_name": "Aidos", "phone": "+77015550101"}),
    ("/b/{booked}/cancel", {}), ("/b/{booked}/reschedule", {"day": "2026-11-22", "hour": "9"}),
    ("/login", LOGIN), ("/carrier/login", {"token": "whatever"}), ("/verify", {"bundle": "{}"}),
]  # fmt: skip


def _queue(web: TestClient) -> QueueService:
    queue: QueueService = web.app.state.hub.queue  # type: ignore[attr-defined]
    return queue


@pytest.fixture
def refs(web: TestClient) -> dict[str, str]:
    queue = _queue(web)
    held, _ = queue.hold("kz-tm", Category.GENERAL, SLOT, ("123ABC02", "KZ"), [], "web")
    booked, _ = queue.book("kz-tm", Category.GENERAL, SLOT, ("124ABC02", "KZ"), [],
                           "Aidos", "+77015550101", "")  # fmt: skip
    return {"held": held, "booked": booked}


def _nothing_happened(web: TestClient, refs: dict[str, str]) -> None:
    queue = _queue(web)
    assert queue.status(refs["held"]).booking.state is State.HELD
    assert queue.status(refs["booked"]).booking.state is State.BOOKED
    assert queue.status(refs["booked"]).booking.slot == "2026-11-21T12:00:00.000Z"
    assert "shekara_session" not in web.cookies and "shekara_carrier" not in web.cookies
    assert [b.tractor.text for b in queue.store.in_states([State.HELD], "kz-tm")] == ["123ABC02"]


def test_every_post_form_of_every_template_carries_a_csrf_field() -> None:
    posted = 0
    for template in TEMPLATES.glob("*.html"):
        for form in re.findall(r'<form\b[^>]*method="post".*?</form>', template.read_text(), re.S):
            posted += 1
            assert 'name="csrf"' in form, (template.name, form[:80])
    assert posted >= 12


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_a_cross_site_post_is_refused(
    web: TestClient, refs: dict[str, str], path: str, data: dict[str, str]
) -> None:
    url = path.format(**refs)
    # From another site a SameSite=Strict cookie does not come along: with no cookie,
    # neither a missing value nor a valid one (the attacker's own) passes.
    assert web.post(url, data=data).status_code == 403
    stolen = form_token(web)
    web.cookies.clear()
    assert web.post(url, data={**data, "csrf": stolen}).status_code == 403
    # A browser with the cookie and a forged form: no value, a wrong one, one valid for
    # another nonce, one that is not even ASCII.
    form_token(web)
    other = forms.token(web.app.state.form_key, "the attacker's nonce")  # type: ignore[attr-defined]
    for forged in (None, "forged", stolen, other, "ф" * 32):
        sent = data if forged is None else {**data, "csrf": forged}
        refused = web.post(f"{url}?lang=ru", data=sent)
        assert refused.status_code == 403, forged
        assert "Форма устарела или отправлена с другого сайта." in refused.text
    _nothing_happened(web, refs)
    # The form as its own page gave it goes through.
    assert web.post(url, data={**data, "csrf": form_token(web)}).status_code != 403


def test_the_cookie_is_strict_httponly_and_only_where_a_form_is(web: TestClient) -> None:
    assert "shekara_form" not in web.get("/").headers.get("set-cookie", "")
    cookie = web.get("/book").headers["set-cookie"]
    assert cookie.startswith("shekara_form=") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Secure" not in cookie  # development: plain HTTP
    token = form_token(web, "/login")
    assert form_token(web, "/verify") == token  # one per browser: several tabs work
    assert "set-cookie" not in web.get("/book").headers  # kept, not replaced
