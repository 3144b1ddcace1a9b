"""Admins: logins and carriers' API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field

from hub.api.deps import AdminDep, AdminWriteDep, QueueDep, RuntimeDep
from hub.auth import AuthError, Role, hash_password
from hub.notify.desk import new_token, token_hash
from shekara.wire import utc_timestamp

router = APIRouter(prefix="/admin", tags=["admin"])
CarrierId = Annotated[str, Path(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9._\-]+$")]


class UserIn(BaseModel):
    """A login to create, or whose password and role to set."""

    username: str = Field(min_length=2, max_length=40, pattern=r"^[a-z0-9._\-]+$")
    role: Role
    password: str = Field(min_length=10, max_length=200)


class UserOut(BaseModel):
    """A login."""

    username: str
    role: str
    locked_until: str | None


class TokenOut(BaseModel):
    """A new carrier token: shown this once, stored only hashed."""

    carrier: str
    token: str


@router.get("/users", response_model=list[UserOut])
def users(queue: QueueDep, session: AdminDep) -> list[UserOut]:
    """Every login with its role and lock."""
    return [UserOut(username=u, role=r, locked_until=lock) for u, r, lock in queue.store.users()]


@router.post("/users", response_model=UserOut, status_code=201)
def set_user(body: UserIn, queue: QueueDep, session: AdminWriteDep) -> UserOut:
    """Create a login, or set its password and role."""
    try:
        hashed = hash_password(body.password)
    except AuthError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    queue.store.add_user(body.username, hashed, body.role.value, utc_timestamp(queue.now()))
    return UserOut(username=body.username, role=body.role.value, locked_until=None)


@router.post("/carriers/{carrier}/tokens", response_model=TokenOut, status_code=201)
def issue_token(carrier: CarrierId, runtime: RuntimeDep, session: AdminWriteDep) -> TokenOut:
    """Issue an API token for a carrier."""
    token = new_token()
    runtime.notify.store.add_token(token_hash(token), carrier, utc_timestamp(runtime.queue.now()))
    return TokenOut(carrier=carrier, token=token)


@router.delete("/carriers/{carrier}/tokens")
def revoke_tokens(
    carrier: CarrierId, runtime: RuntimeDep, session: AdminWriteDep
) -> dict[str, int]:
    """Revoke every live token of a carrier."""
    return {
        "revoked": runtime.notify.store.revoke_tokens(carrier, utc_timestamp(runtime.queue.now()))
    }
