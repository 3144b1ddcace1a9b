"""CSRF tokens of the forms with no login behind them: booking, the sign-ins, verify.

A signed double submit: the browser keeps a random nonce in an httponly, SameSite=Strict
cookie, and each such form carries HMAC(form key, nonce) in its ``csrf`` field.  A page
on another site can make a browser post here, but a Strict cookie does not go with that
post, and without the key nobody makes the token of a nonce of their own.  Forms behind
a login carry the session's own CSRF token instead (:mod:`hub.auth`).

The key is the ``form_secret`` setting, which production requires; a development hub
keeps one in its database, as it does the journal key, so open forms survive a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

from fastapi import Request

from hub.api.deps import runtime_of

COOKIE = "shekara_form"
_DOMAIN = b"shekara form csrf\0"  # a key reused elsewhere cannot be made to sign a token
_LOCK = threading.Lock()


def new_nonce() -> str:
    """A fresh nonce for the cookie (128 random bits)."""
    return secrets.token_urlsafe(16)


def token(key: bytes, nonce: str) -> str:
    """The form field's value for the cookie's ``nonce``."""
    return hmac.new(key, _DOMAIN + nonce.encode(), hashlib.sha256).hexdigest()[:32]


def valid(key: bytes, nonce: str | None, submitted: str) -> bool:
    """Whether ``submitted`` is the token of the cookie's ``nonce`` (False without one)."""
    # Bytes: compare_digest raises on a str that is not ASCII, and the field is the
    # attacker's to fill.
    return bool(nonce) and hmac.compare_digest(token(key, nonce or "").encode(), submitted.encode())


def form_key(request: Request) -> bytes:
    """The app's form key: ``form_secret``, or the development one kept in the database."""
    state = request.app.state
    with _LOCK:  # the first requests of a new development database must agree on one key
        key: bytes | None = getattr(state, "form_key", None)
        if key is None:
            runtime = runtime_of(request)
            if runtime.settings.form_secret is not None:
                key = runtime.settings.form_secret.get_secret_value().encode()
            else:
                store = runtime.queue.store
                kept = store.meta("form_secret_dev")
                if kept is None:
                    kept = secrets.token_hex(32)
                    store.set_meta("form_secret_dev", kept)
                key = kept.encode()
            state.form_key = key
    return key
