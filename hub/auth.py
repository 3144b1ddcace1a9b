"""Logins: argon2id password hashes, lockout, session tokens, CSRF tokens, roles.

Passwords are stored in the PHC string form of argon2id (RFC 9106; argon2-cffi's
defaults: t=3, m=64 MiB, p=4).  Hashes of the earlier ``scrypt$N$r$p$salt$hash`` form
(RFC 7914) are still accepted and replaced by argon2id at the next good login.

Five failed logins in a row lock the account for 15 minutes; during the lock even the
right password is refused, and a good login resets the count.  The lock tells an
attacker that the name exists; the alternative (locking nothing) lets one guess
passwords forever, and names of officers are not secret at a checkpoint.

A login gets a random 256-bit session token (in an httponly, SameSite=Strict cookie;
only its SHA-256 is stored) and a CSRF token that every state-changing request must
echo (form field or ``X-CSRF-Token``).  A session ends ``session_hours`` after the
login, or sooner when it goes unused for ``session_idle_minutes``: an officer who walks
away from a shared terminal does not leave the console open for the next person.  Its
last use is written at most once a :data:`TOUCH_EVERY`, not on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.store.queue_sql import QueueStore
from shekara.errors import ShekaraError
from shekara.wire import utc_timestamp

COOKIE = "shekara_session"
MAX_FAILURES = 5
LOCK_MINUTES = 15
# How stale a session's last use may be before a request writes it again; the idle
# limit is then kept to within this, at one write a minute per busy officer.
TOUCH_EVERY = timedelta(minutes=1)
_HASHER = PasswordHasher()
# Verified when the user is unknown, so timing does not tell names apart.
_DUMMY = _HASHER.hash("not a password of anyone")


class Role(StrEnum):
    """What a login may do; each role may do everything of the roles below it."""

    OFFICER = "officer"  # the lanes: call, decide, inspect; the lane terminal
    OPERATOR = "operator"  # also capacity and the operators' views
    ADMIN = "admin"  # also logins and carriers' tokens

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


class AuthError(ShekaraError):
    """Wrong user name or password, a locked account, or no valid session."""


class LockedOut(AuthError):
    """Too many failed logins in a row; ``until`` is when the lock ends (UTC)."""

    def __init__(self, until: str) -> None:
        super().__init__(f"too many failed logins; try again after {until[11:16]} UTC")
        self.until = until


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` in PHC string form."""
    if len(password) < 10:
        raise AuthError("a password needs at least 10 characters")
    return _HASHER.hash(password)


def _check_scrypt(password: str, stored: str) -> bool:
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


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash (argon2id, or the legacy scrypt form)."""
    if stored.startswith("scrypt$"):
        return _check_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash should be replaced by a fresh argon2id one."""
    return stored.startswith("scrypt$") or _HASHER.check_needs_rehash(stored)


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
    if user is None:
        check_password(password, _DUMMY)
        raise AuthError("wrong user name or password")
    stored, role, _, locked_until = user
    stamp = utc_timestamp(now)
    if locked_until is not None and locked_until > stamp:
        raise LockedOut(locked_until)
    if not check_password(password, stored):
        lock = utc_timestamp(now + timedelta(minutes=LOCK_MINUTES))
        store.login_failed(username, MAX_FAILURES, lock)
        raise AuthError("wrong user name or password")
    store.login_succeeded(username, hash_password(password) if needs_rehash(stored) else None)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    expires = utc_timestamp(now + timedelta(hours=hours))
    store.add_session(_token_hash(token), username, csrf, expires, utc_timestamp(now))
    return token, Session(username, Role(role), csrf)


def session_of(
    store: QueueStore, token: str | None, now: datetime, idle_minutes: float
) -> Session | None:
    """The live session of a cookie token, or None; using it keeps it from going idle."""
    if not token:
        return None
    key, idle_since = _token_hash(token), now - timedelta(minutes=idle_minutes)
    found = store.session(key, utc_timestamp(now), utc_timestamp(idle_since))
    if found is None:
        return None
    username, role, csrf, last_seen = found
    if last_seen <= utc_timestamp(now - TOUCH_EVERY):
        store.touch_session(key, utc_timestamp(now))
    return Session(username, Role(role), csrf)


def logout(store: QueueStore, token: str) -> None:
    """End a session."""
    store.drop_session(_token_hash(token))
