"""Helpers for the page tests: post a form with no login as a browser does, with the
CSRF value its page gave (hub/web/forms.py)."""

from __future__ import annotations

import re
from typing import Any

import httpx2

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def form_token(client: httpx2.Client, page: str = "/login") -> str:
    """The CSRF value of the forms ``page`` renders; its cookie is now in ``client`` (a
    TestClient, or an httpx2 client of a live hub)."""
    found = CSRF.search(client.get(page).text)
    assert found, f"no csrf field on {page}"
    return found.group(1)


def post_form(client: httpx2.Client, url: str, data: dict[str, Any] | None = None,
              **kwargs: Any) -> Any:  # fmt: skip
    """POST a form with no login behind it, its CSRF value included (the response)."""
    return client.post(url, data={**(data or {}), "csrf": form_token(client)}, **kwargs)
