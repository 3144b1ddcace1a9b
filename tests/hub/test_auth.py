"""Password hashes and sessions on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.auth import AuthError, Role, check_password, hash_password, login, logout, session_of
from hub.store import Store
from hub.store.queue_sql import QueueStore

NOW = datetime(2026, 11, 21, 8, tzinfo=UTC)


def test_hashes_are_salted_scrypt_and_check() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$16384$8$1$")
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
        assert session_of(queue, token, NOW + timedelta(hours=11)) == session
        assert session_of(queue, token, NOW + timedelta(hours=13)) is None
        assert session_of(queue, "forged", NOW) is None
        logout(queue, token)
        assert session_of(queue, token, NOW) is None
