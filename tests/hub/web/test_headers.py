"""Security headers on every response; HSTS over TLS only; no API docs in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from queue_helpers import Clock
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hub.app import create_app
from hub.config import HubSettings
from hub.web.headers import CSP, DOCS_CSP, HSTS, SecurityHeaders
from shekara.keys import write_keypair

STRICT = {"content-security-policy": CSP, "x-frame-options": "DENY",
          "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}  # fmt: skip


@pytest.fixture
def production(tmp_path: Path) -> Iterator[TestClient]:
    """A production hub behind TLS (its secrets and keys set, as production demands)."""
    write_keypair(tmp_path / "log.key")
    write_keypair(tmp_path / "witness.key")
    settings = HubSettings(
        env="production", db_path=tmp_path / "hub.db", journal_key="j" * 32,
        form_secret="f" * 32, log_key_file=tmp_path / "log.key",
        witness_key_file=tmp_path / "witness.key", mqtt_tls_ca_file=tmp_path / "ca.crt",
        mqtt_tls_cert_file=tmp_path / "hub.crt", mqtt_tls_key_file=tmp_path / "hub.key",
    )  # fmt: skip
    app = create_app(settings, start_worker=False, clock=Clock())
    with TestClient(app, base_url="https://hub.example") as client:
        yield client


def _has_strict(headers: dict[str, str] | object) -> None:
    for name, value in STRICT.items():
        assert headers[name] == value, name  # type: ignore[index]


def test_every_kind_of_response_carries_the_headers(web: TestClient) -> None:
    answers = [
        web.get("/"), web.get("/book"), web.get("/officer", follow_redirects=False),
        web.get("/api/queue/directions"), web.get("/api/queue/slots"),  # 200, 422
        web.get("/static/style.css"), web.get("/nowhere"), web.post("/verify", data={}),  # 403
        web.get("/api/notifications/CF-1"), web.get("/openapi.json"),  # 401, the schema
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 303, 200, 422, 200, 404, 403, 401, 200]
    for answer in answers:
        _has_strict(answer.headers)
        assert "strict-transport-security" not in answer.headers  # plain HTTP


def test_the_policy_allows_nothing_inline_or_foreign() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
        "img-src": "'self' data:", "object-src": "'none'", "base-uri": "'none'",
        "frame-ancestors": "'none'", "form-action": "'self'",
    }  # fmt: skip


def test_hsts_only_when_the_request_came_over_tls(web: TestClient) -> None:
    # https is what uvicorn makes the scheme behind a TLS proxy it trusts.
    assert web.get("https://testserver/book").headers["strict-transport-security"] == HSTS
    assert web.get("https://testserver/api/queue/directions").headers[
        "strict-transport-security"] == HSTS  # fmt: skip
    assert "strict-transport-security" not in web.get("http://testserver/book").headers


def test_the_templates_have_no_inline_script_or_style() -> None:
    templates = Path(__file__).parents[3] / "hub" / "web" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", text), template.name
        # Scripts are files, or JSON data blocks (not run, so not the policy's).
        for script in re.findall(r"<script\b[^>]*>", text):
            assert 'src="/static/' in script or 'type="application/json"' in script


def test_development_docs_get_a_policy_relaxed_for_them_only(web: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = web.get(path)
        assert page.status_code == 200 and page.headers["content-security-policy"] == DOCS_CSP
        for url in re.findall(r'(?:src|href)="(https://[^/"]+)', page.text):
            assert url in DOCS_CSP, (path, url)  # what the page loads, the policy allows
    assert web.get("/openapi.json").headers["content-security-policy"] == CSP


def test_production_serves_no_docs_and_its_form_cookie_is_secure(production: TestClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        gone = production.get(path)
        assert gone.status_code == 404 and gone.headers["content-security-policy"] == CSP
    book = production.get("/book")
    _has_strict(book.headers)
    assert book.headers["strict-transport-security"] == HSTS
    assert "Secure" in book.headers["set-cookie"]


def _bare(status: int, retry_after: str | None = None) -> TestClient:
    def answer(request: Request) -> PlainTextResponse:
        headers = {"Retry-After": retry_after} if retry_after else {}
        own = {"X-Frame-Options": "SAMEORIGIN"} if retry_after else {}
        return PlainTextResponse("x", status_code=status, headers={**headers, **own})

    return TestClient(SecurityHeaders(Starlette(routes=[Route("/", answer)])))


def test_a_429_says_when_to_come_back_and_a_routes_own_headers_win() -> None:
    assert _bare(429).get("/").headers["retry-after"] == "60"
    assert "retry-after" not in _bare(200).get("/").headers
    own = _bare(429, "5").get("/").headers
    assert own["retry-after"] == "5" and own["x-frame-options"] == "SAMEORIGIN"
