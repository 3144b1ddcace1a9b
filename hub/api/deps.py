"""Dependencies of the route handlers, as ``Annotated`` aliases.

The ones that only read ``app.state`` are ``async``: FastAPI runs a plain ``def``
dependency in the thread pool, and three such hops per request cost more than the
booking itself under load (docs/benchmarks.md).  Those that touch the database stay
plain functions, so they run off the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Cookie, Depends, Header, HTTPException, Query, Request, status
from fastapi import Path as PathParam

from hub.api.writer import SerialWriter
from hub.auth import COOKIE, Role, Session, session_of
from hub.config import HubSettings
from hub.dashboard.setup import AlertParts
from hub.enrolment import EnrolmentDesk
from hub.notify.desk import NotifyDesk, token_hash
from hub.queue.records import RateLimited
from hub.queue.service import QueueService
from hub.runtime import HubRuntime
from hub.store import Store


def runtime_of(request: Request) -> HubRuntime:
    """The running hub's parts (set by the lifespan)."""
    runtime: HubRuntime = request.app.state.hub
    return runtime


async def get_runtime(request: Request) -> HubRuntime:
    """The running hub's parts, as a dependency."""
    return runtime_of(request)


async def get_store(request: Request) -> Store:
    """The database."""
    return runtime_of(request).store


async def get_settings(request: Request) -> HubSettings:
    """The settings the hub runs with."""
    return runtime_of(request).settings


async def get_queue(request: Request) -> QueueService:
    """The checkpoint's queue."""
    return runtime_of(request).queue


async def get_writer(request: Request) -> SerialWriter:
    """The single thread the public booking routes change the queue on."""
    return runtime_of(request).writer


async def get_notify(request: Request) -> NotifyDesk:
    """The notification desk."""
    return runtime_of(request).notify


async def get_alerts(request: Request) -> AlertParts:
    """The operators' alerts and the dashboard's queries."""
    return runtime_of(request).alerts


def get_carrier(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """The carrier whose API token is in ``Authorization: Bearer …`` (401 without one)."""
    scheme, _, token = (authorization or "").partition(" ")
    carrier = None
    if scheme.lower() == "bearer" and token:
        carrier = runtime_of(request).notify.store.carrier_of(token_hash(token.strip()))
    if carrier is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a carrier API token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    return carrier


def client_of(request: Request) -> str:
    """The client's address (behind a TLS proxy, the one uvicorn's proxy headers give)."""
    return request.client.host if request.client else "?"


async def client_limit(request: Request) -> None:
    """Refuse a client address over the booking rate limit (429)."""
    if not runtime_of(request).limiter.allow_client(client_of(request)):
        raise RateLimited("too many requests from this address; wait a minute")


def login_allowed(request: Request) -> bool:
    """Count a login attempt (API or form) from the client's address; False over the limit."""
    runtime = runtime_of(request)
    return runtime.limiter.allow_login(client_of(request), runtime.settings.login_rate_per_minute)


async def login_limit(request: Request) -> None:
    """Refuse a client address over the login rate limit (429), before any password check."""
    if not login_allowed(request):
        raise RateLimited("too many login attempts from this address; wait a minute")


def get_session(
    request: Request, token: Annotated[str | None, Cookie(alias=COOKIE)] = None
) -> Session:
    """The logged-in officer or operator (401 without a live session)."""
    runtime = runtime_of(request)
    idle = runtime.settings.session_idle_minutes
    session = session_of(runtime.queue.store, token, runtime.queue.now(), idle)
    if session is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first")
    return session


async def officer_write(
    session: Annotated[Session, Depends(get_session)],
    csrf: Annotated[str | None, Header(alias="X-CSRF-Token")] = None,
) -> Session:
    """A session allowed to change state: the CSRF token must come back in a header."""
    if csrf != session.csrf:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong X-CSRF-Token")
    return session


def _at_least(session: Session, role: Role) -> Session:
    if not session.role.allows(role):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{role.value}s only")
    return session


async def operator_write(session: Annotated[Session, Depends(officer_write)]) -> Session:
    """An operator's (or admin's) state-changing session (403 for officers)."""
    return _at_least(session, Role.OPERATOR)


async def operator_read(session: Annotated[Session, Depends(get_session)]) -> Session:
    """An operator's (or admin's) session, for reading (403 for officers)."""
    return _at_least(session, Role.OPERATOR)


async def admin_read(session: Annotated[Session, Depends(get_session)]) -> Session:
    """An admin's session (403 for everyone else)."""
    return _at_least(session, Role.ADMIN)


async def admin_write(session: Annotated[Session, Depends(officer_write)]) -> Session:
    """An admin's state-changing session (CSRF checked; 403 for everyone else)."""
    return _at_least(session, Role.ADMIN)


def get_enrolments(request: Request) -> EnrolmentDesk:
    """Device enrolment and lifecycle actions on this hub's store and settings."""
    runtime = runtime_of(request)
    return EnrolmentDesk(runtime.store, runtime.settings, runtime.queue.now)


# Larger integers do not fit an SQLite INTEGER; bounding them here makes such a
# request a 422 instead of an OverflowError in the store.
SQLITE_MAX_INT = 2**63 - 1
After = Annotated[int, Query(ge=0, le=SQLITE_MAX_INT, description="Entries after this seq or id")]
ArrivalId = Annotated[int, PathParam(ge=1, le=SQLITE_MAX_INT, description="Arrival id")]
AlertId = Annotated[int, PathParam(ge=1, le=SQLITE_MAX_INT, description="Alert id")]

RuntimeDep = Annotated[HubRuntime, Depends(get_runtime)]
EnrolmentDep = Annotated[EnrolmentDesk, Depends(get_enrolments)]
QueueDep = Annotated[QueueService, Depends(get_queue)]
WriterDep = Annotated[SerialWriter, Depends(get_writer)]
NotifyDep = Annotated[NotifyDesk, Depends(get_notify)]
AlertsDep = Annotated[AlertParts, Depends(get_alerts)]
CarrierDep = Annotated[str, Depends(get_carrier)]
SessionDep = Annotated[Session, Depends(get_session)]
OfficerDep = Annotated[Session, Depends(officer_write)]
OperatorDep = Annotated[Session, Depends(operator_write)]
AdminDep = Annotated[Session, Depends(admin_read)]
# Whole routers of operational data (events, devices, dead letters).
OperatorOnly = Depends(operator_read)
AdminWriteDep = Annotated[Session, Depends(admin_write)]
ClientLimit = Depends(client_limit)
LoginLimit = Depends(login_limit)
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[HubSettings, Depends(get_settings)]
