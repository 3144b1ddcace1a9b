"""Logins: the ``users`` and ``sessions`` tables (see :mod:`hub.auth`)."""

from __future__ import annotations

from hub.store.sqlite import Store


class LoginTables:
    """The ``users`` and ``sessions`` tables of a :class:`~hub.store.Store`."""

    _store: Store

    def add_user(self, username: str, password_hash: str, role: str, at: str) -> None:
        """Create or replace a user."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, "
                "role = excluded.role",
                (username, password_hash, role, at),
            )

    def user(self, username: str) -> tuple[str, str, int, str | None] | None:
        """(password hash, role, failed logins in a row, locked until) of a user, or None."""
        row = (
            self._store._reader()
            .execute(
                "SELECT password_hash, role, failed_logins, locked_until FROM users "
                "WHERE username = ?",
                (username,),
            )
            .fetchone()
        )
        return (row[0], row[1], row[2], row[3]) if row else None

    def login_failed(self, username: str, max_failures: int, lock_until: str) -> None:
        """Count a failed login; the ``max_failures``-th in a row locks the account."""
        with self._store._transaction() as conn:
            conn.execute(
                "UPDATE users SET failed_logins = failed_logins + 1, locked_until = CASE "
                "WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END WHERE username = ?",
                (max_failures, lock_until, username),
            )
            conn.execute(
                "UPDATE users SET failed_logins = 0 WHERE username = ? AND failed_logins >= ?",
                (username, max_failures),
            )

    def login_succeeded(self, username: str, new_hash: str | None) -> None:
        """Reset the failure count; store ``new_hash`` when the old one was outdated."""
        with self._store._transaction() as conn:
            conn.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL, "
                "password_hash = COALESCE(?, password_hash) WHERE username = ?",
                (new_hash, username),
            )

    def users(self) -> list[tuple[str, str, str | None]]:
        """(username, role, locked until) of every login."""
        rows = self._store._reader().execute(
            "SELECT username, role, locked_until FROM users ORDER BY username"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def add_session(self, token_hash: str, username: str, csrf: str, expires: str, at: str) -> None:
        """Record a login session, used last at ``at``."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO sessions (token_hash, username, csrf, expires, last_seen) "
                "VALUES (?, ?, ?, ?, ?)",
                (token_hash, username, csrf, expires, at),
            )

    def session(
        self, token_hash: str, now: str, idle_since: str
    ) -> tuple[str, str, str, str] | None:
        """(username, role, csrf token, last seen) of a session that has not expired by
        ``now`` and was used after ``idle_since``, or None."""
        # A session from before last_seen existed (NULL) counts as idle: one more login.
        row = (
            self._store._reader()
            .execute(
                "SELECT s.username, u.role, s.csrf, s.last_seen FROM sessions s JOIN users u "
                "ON u.username = s.username WHERE s.token_hash = ? AND s.expires > ? "
                "AND s.last_seen > ?",
                (token_hash, now, idle_since),
            )
            .fetchone()
        )
        return (row[0], row[1], row[2], row[3]) if row else None

    def touch_session(self, token_hash: str, at: str) -> None:
        """Note that a session was used at ``at``."""
        with self._store._transaction() as conn:
            conn.execute(
                "UPDATE sessions SET last_seen = ? WHERE token_hash = ? AND last_seen < ?",
                (at, token_hash, at),
            )

    def drop_session(self, token_hash: str) -> None:
        """Log a session out."""
        with self._store._transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
