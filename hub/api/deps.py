"""Dependencies of the route handlers, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Cookie, Depends, Header, HTTPException, Request, status

from hub.auth import COOKIE, Role, Session, session_of
from hub.config import HubSettings
from hub.queue.records import RateLimited
from hub.queue.service import QueueService
from hub.runtime import HubRuntime
from hub.store import Store


def get_runtime(request: Request) -> HubRuntime:
    """The running hub's parts (set by the lifespan)."""
    runtime: HubRuntime = request.app.state.hub
    return runtime


def get_store(request: Request) -> Store:
    """The database."""
    return get_runtime(request).store


def get_settings(request: Request) -> HubSettings:
    """The settings the hub runs with."""
    return get_runtime(request).settings


def get_queue(request: Request) -> QueueService:
    """The checkpoint's queue."""
    return get_runtime(request).queue


def client_limit(request: Request) -> None:
    """Refuse a client address over the booking rate limit (429)."""
    client = request.client.host if request.client else "?"
    if not get_runtime(request).limiter.allow_client(client):
        raise RateLimited("too many requests from this address; wait a minute")


def get_session(
    request: Request, token: Annotated[str | None, Cookie(alias=COOKIE)] = None
) -> Session:
    """The logged-in officer or operator (401 without a live session)."""
    runtime = get_runtime(request)
    session = session_of(runtime.queue.store, token, runtime.queue.now())
    if session is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first")
    return session


def officer_write(
    session: Annotated[Session, Depends(get_session)],
    csrf: Annotated[str | None, Header(alias="X-CSRF-Token")] = None,
) -> Session:
    """A session allowed to change state: the CSRF token must come back in a header."""
    if csrf != session.csrf:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong X-CSRF-Token")
    return session


def operator_write(session: Annotated[Session, Depends(officer_write)]) -> Session:
    """An operator's state-changing session (403 for officers)."""
    if session.role is not Role.OPERATOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "operators only")
    return session


RuntimeDep = Annotated[HubRuntime, Depends(get_runtime)]
QueueDep = Annotated[QueueService, Depends(get_queue)]
SessionDep = Annotated[Session, Depends(get_session)]
OfficerDep = Annotated[Session, Depends(officer_write)]
OperatorDep = Annotated[Session, Depends(operator_write)]
ClientLimit = Depends(client_limit)
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[HubSettings, Depends(get_settings)]
