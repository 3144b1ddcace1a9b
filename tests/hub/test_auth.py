"""Password hashes and sessions on a real database."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.auth import (
    MAX_FAILURES,
    AuthError,
    LockedOut,
    Role,
    check_password,
    hash_password,
    login,
    logout,
    session_of,
)
from hub.store import Store
from hub.store.queue_sql import QueueStore

NOW = datetime(2026, 11, 21, 8, tzinfo=UTC)


def test_hashes_are_salted_argon2id_and_check() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert check_password("correct horse", a) and not check_password("wrong horse", a)
    assert not check_password("correct horse", "md5$whatever")
    with pytest.raises(AuthError, match="10 characters"):
        hash_password("short")


def test_sessions_open_expire_and_close(tmp_path: Path) -> None:
    with Store(tmp_path / "hub.db") as store:
        queue = QueueStore(store)
        queue.add_user("aidana", hash_password("correct horse"), "operator", "-")
        with pytest.raises(AuthError):
            login(queue, "aidana", "wrong horse!", NOW, 12)
        token, session = login(queue, "aidana", "correct horse", NOW, 12)
        assert session.role is Role.OPERATOR and len(session.csrf) > 20
        day = 24 * 60  # no idle limit to speak of: this is the absolute one
        assert session_of(queue, token, NOW + timedelta(hours=11), day) == session
        assert session_of(queue, token, NOW + timedelta(hours=13), day) is None
        assert session_of(queue, "forged", NOW, day) is None
        logout(queue, token)
        assert session_of(queue, token, NOW, day) is None


def test_an_idle_session_closes_and_one_in_use_stays_open(tmp_path: Path) -> None:
    with Store(tmp_path / "hub.db") as store:
        queue = QueueStore(store)
        queue.add_user("aidana", hash_password("correct horse"), "officer", "-")
        idle, _ = login(queue, "aidana", "correct horse", NOW, 12)
        busy, _ = login(queue, "aidana", "correct horse", NOW, 12)
        for minutes in (20, 40, 60, 80):  # used every 20 minutes: never 30 idle
            assert session_of(queue, busy, NOW + timedelta(minutes=minutes), 30) is not None
        assert session_of(queue, idle, NOW + timedelta(minutes=29), 30) is not None
        assert session_of(queue, idle, NOW + timedelta(minutes=29 + 31), 30) is None
        # Walked away from the terminal: 31 minutes after the last use it is closed.
        assert session_of(queue, busy, NOW + timedelta(minutes=111), 30) is None


def test_last_use_is_written_at_most_once_a_minute(tmp_path: Path) -> None:
    with Store(tmp_path / "hub.db") as store:
        queue = QueueStore(store)
        queue.add_user("aidana", hash_password("correct horse"), "officer", "-")
        token, _ = login(queue, "aidana", "correct horse", NOW, 12)

        def last_seen() -> str:
            found = queue.session(hashlib.sha256(token.encode()).hexdigest(), "2000", "2000")
            assert found is not None
            return found[3]

        session_of(queue, token, NOW + timedelta(seconds=59), 30)
        assert last_seen() == "2026-11-21T08:00:00.000Z"  # no write for a minute
        session_of(queue, token, NOW + timedelta(seconds=61), 30)
        assert last_seen() == "2026-11-21T08:01:01.000Z"


# scrypt$N$r$p$salt$hash of "correct horse" with a zero salt, as the earlier hub stored it.
LEGACY = (
    "scrypt$16384$8$1$"
    + base64.b64encode(bytes(16)).decode()
    + "$"
    + base64.b64encode(
        hashlib.scrypt(b"correct horse", salt=bytes(16), n=2**14, r=8, p=1, dklen=32)
    ).decode()
)


def test_a_legacy_scrypt_hash_logs_in_and_becomes_argon2id(tmp_path: Path) -> None:
    with Store(tmp_path / "hub.db") as store:
        queue = QueueStore(store)
        queue.add_user("old", LEGACY, "officer", "-")
        login(queue, "old", "correct horse", NOW, 12)
        user = queue.user("old")
        assert user is not None and user[0].startswith("$argon2id$")
        login(queue, "old", "correct horse", NOW, 12)  # and the new hash works


def test_repeated_failures_lock_the_account(tmp_path: Path) -> None:
    with Store(tmp_path / "hub.db") as store:
        queue = QueueStore(store)
        queue.add_user("aidana", hash_password("correct horse"), "officer", "-")
        for _ in range(MAX_FAILURES - 1):
            with pytest.raises(AuthError, match="wrong user name or password"):
                login(queue, "aidana", "wrong horse!", NOW, 12)
        login(queue, "aidana", "correct horse", NOW, 12)  # a good login resets the count
        for _ in range(MAX_FAILURES):
            with pytest.raises(AuthError):
                login(queue, "aidana", "wrong horse!", NOW, 12)
        with pytest.raises(LockedOut, match="try again after 08:15 UTC") as locked:
            login(queue, "aidana", "correct horse", NOW + timedelta(minutes=14), 12)
        assert locked.value.until == "2026-11-21T08:15:00.000Z"
        token, _ = login(queue, "aidana", "correct horse", NOW + timedelta(minutes=16), 12)
        assert token


def test_roles_are_ordered() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR) and Role.OPERATOR.allows(Role.OFFICER)
    assert not Role.OFFICER.allows(Role.OPERATOR) and not Role.OPERATOR.allows(Role.ADMIN)
