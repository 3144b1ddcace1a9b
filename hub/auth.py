"""Officer and operator logins: scrypt password hashes, session tokens, CSRF tokens.

Passwords are stored as ``scrypt$N$r$p$salt$hash`` (RFC 7914, N=2^14, r=8, p=1,
16-byte salt, 32-byte hash, base64).  A login gets a random 256-bit session token
(in an httponly, SameSite=Strict cookie; only its SHA-256 is stored) and a CSRF
token that every state-changing request must echo (form field or ``X-CSRF-Token``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hub.store.queue_sql import QueueStore
from shekara.errors import ShekaraError
from shekara.wire import utc_timestamp

_N, _R, _P = 2**14, 8, 1
COOKIE = "shekara_session"


class Role(StrEnum):
    """What a login may do: officers run the lanes, operators also set capacity."""

    OFFICER = "officer"
    OPERATOR = "operator"


class AuthError(ShekaraError):
    """Wrong user name or password, or no valid session."""


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` in the stored form."""
    if len(password) < 10:
        raise AuthError("a password needs at least 10 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(
        ["scrypt", str(_N), str(_R), str(_P), base64.b64encode(salt).decode(),
         base64.b64encode(digest).decode()]
    )  # fmt: skip


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash (constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            dklen=len(base64.b64decode(digest)),
        )  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in user."""

    username: str
    role: Role
    csrf: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(
    store: QueueStore, username: str, password: str, now: datetime, hours: float
) -> tuple[str, Session]:
    """Check the password and open a session; returns (cookie token, session)."""
    user = store.user(username)
    # Hash anyway when the user is unknown, so timing does not tell names apart.
    stored = user[0] if user else "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"
    if not check_password(password, stored) or user is None:
        raise AuthError("wrong user name or password")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    expires = utc_timestamp(now + timedelta(hours=hours))
    store.add_session(_token_hash(token), username, csrf, expires)
    return token, Session(username, Role(user[1]), csrf)


def session_of(store: QueueStore, token: str | None, now: datetime) -> Session | None:
    """The live session of a cookie token, or None."""
    if not token:
        return None
    found = store.session(_token_hash(token), utc_timestamp(now))
    return Session(found[0], Role(found[1]), found[2]) if found else None


def logout(store: QueueStore, token: str) -> None:
    """End a session."""
    store.drop_session(_token_hash(token))
