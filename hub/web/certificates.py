"""The printable certificate (officers) and the public verify page.

The print page shows the body, how to verify it, and the QR code that carries the
bundle (:mod:`hub.cert.qr`).  The verify page is for the other side's officer: a hand
scanner types the QR's content into its text box (or a phone opens its URL), and the
page answers verified or not verified, with the reason, using only the keys this hub
trusts: no call to the issuing hub.
"""

from __future__ import annotations

from string import hexdigits
from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from hub.api.deps import runtime_of
from hub.auth import COOKIE
from hub.cert import qr
from hub.cert.verify import Outcome, check_text
from hub.web.page import Csrf, Lang, LangCookie, Page

router = APIRouter(include_in_schema=False)
MAX_BUNDLE_CHARS = 64 * 1024


@router.get("/officer/certificates/{cert_id}", response_class=HTMLResponse)
def certificate_page(
    request: Request, cert_id: str, token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
    lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """A certificate to print: the body, the verification keys, the QR code."""
    page = Page(request, lang, lang_cookie)
    session = page.session(token)
    if session is None:
        return page.redirect("/login")
    certs = runtime_of(request).certs
    cert = certs.desk.find(cert_id)
    if cert is None:
        return page.render("base.html", status_code=404, bad=True,
                           message=page.gettext("No such certificate."))  # fmt: skip
    # One checkpoint for the QR code and the page: a cosignature arriving in between
    # must not leave the page saying "witnessed" over a code that is not.
    checkpoint = certs.desk.covering(cert)
    bundle = certs.desk.bundle(cert, checkpoint)
    text = qr.payload(bundle, runtime_of(request).settings.public_url)
    return page.render(
        "certificate.html", cert=cert, body=cert.body, qr=Markup(qr.svg(text)),  # noqa: S704
        qr_holds_bundle=not text.startswith(("http://", "https://")),
        log_key=certs.log.verifier_key, witnesses=sorted(checkpoint.cosignatures),
        awaiting=[w for w in certs.desk.witnesses if w not in checkpoint.cosignatures],
        size=checkpoint.size,
    )  # fmt: skip


def _verdict(page: Page, outcome: Outcome) -> dict[str, object]:
    _ = page.gettext
    reasons = {
        "verified": _("Verified: signed by the issuing log and included in it."),
        "body_hash_mismatch": _("Not verified: the certificate text was changed."),
        "bad_log_signature": _("Not verified: the log's signature is wrong."),
        "bad_cosignature": _("Not verified: a witness's cosignature is wrong."),
        "missing_trusted_signature": _("Not verified: a required signature or cosignature "
                                       "is missing."),
        "inclusion_proof_mismatch": _("Not verified: the certificate is not in the log."),
        "unknown_log": _("Not verified: this hub does not trust the issuing log."),
    }  # fmt: skip
    return {
        "ok": outcome.ok, "reason": outcome.reason, "detail": outcome.detail,
        "headline": reasons.get(outcome.reason, _("Not verified: the bundle is malformed.")),
        "body": outcome.body,
        "witnesses": outcome.verified.witnesses if outcome.verified else (),
    }  # fmt: skip


@router.get("/verify", response_class=HTMLResponse)
def verify_page(
    request: Request, leaf: Annotated[str, Query(max_length=64)] = "",
    lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """The verify form; with ``?leaf=`` the certificate of that body digest, checked."""
    page = Page(request, lang, lang_cookie)
    if not leaf:
        return page.render("verify.html", verdict=None, text="")
    certs = runtime_of(request).certs
    cert = certs.log.tables.certificate_by_digest(leaf.lower())
    if cert is None:
        return page.render("verify.html", status_code=404, verdict=None, text="", bad=True,
                           message=page.gettext("This hub holds no such certificate."))  # fmt: skip
    outcome = check_text(certs.desk.bundle(cert).to_json(), certs.policy)
    return page.render("verify.html", verdict=_verdict(page, outcome), text="")


@router.post("/verify", response_class=HTMLResponse)
def verify_submit(
    request: Request, bundle: Annotated[str, Form(max_length=MAX_BUNDLE_CHARS)] = "",
    csrf: Csrf = "", lang: Lang = None, lang_cookie: LangCookie = None,
) -> Response:  # fmt: skip
    """Check a scanned or pasted bundle."""
    page = Page(request, lang, lang_cookie)
    if (refused := page.forged(csrf, "/verify")) is not None:
        return refused
    text = bundle.strip()
    if text.startswith(("http://", "https://")) and "leaf=" in text:
        digest = "".join(c for c in text.rsplit("leaf=", 1)[1][:64] if c in hexdigits)
        return page.redirect(f"/verify?leaf={digest}")
    outcome = check_text(text, runtime_of(request).certs.policy)
    status = 200 if outcome.ok else 422
    return page.render("verify.html", status_code=status, verdict=_verdict(page, outcome),
                       text=text)  # fmt: skip
