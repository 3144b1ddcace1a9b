"""POST /api/auth/login and /api/auth/logout: officer and operator sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, HTTPException, Response, status

from hub.api.deps import LoginLimit, QueueDep, SettingsDep
from hub.api.queue_schemas import LoginIn, LoginOut
from hub.auth import COOKIE, AuthError, login, logout

router = APIRouter(prefix="/auth", tags=["auth"])


# Rate-limited per client address on top of the per-account lockout: that one stops
# guessing one officer's password, this one a sweep of one password over every name.
@router.post("/login", response_model=LoginOut, dependencies=[LoginLimit])
def log_in(body: LoginIn, response: Response, queue: QueueDep, settings: SettingsDep) -> LoginOut:
    """Open a session: an httponly cookie, and a CSRF token to echo on changes."""
    try:
        token, session = login(
            queue.store, body.username, body.password, queue.now(), settings.session_hours
        )
    except AuthError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
    response.set_cookie(
        COOKIE, token, max_age=int(settings.session_hours * 3600), httponly=True,
        samesite="strict", secure=settings.env == "production", path="/",
    )  # fmt: skip
    return LoginOut(username=session.username, role=session.role.value, csrf=session.csrf)


@router.post("/logout", status_code=204)
def log_out(
    response: Response, queue: QueueDep, token: Annotated[str | None, Cookie(alias=COOKIE)] = None
) -> None:
    """End the session."""
    if token:
        logout(queue.store, token)
    response.delete_cookie(COOKIE, path="/")
