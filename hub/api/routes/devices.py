"""The registered devices: list, one, revoke; and the lifecycle audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from hub.api.deps import After, EnrolmentDep, OperatorDep, OperatorOnly, StoreDep
from hub.api.lifecycle_schemas import AuditOut, ReasonIn, RevocationOut
from hub.api.schemas import DeviceOut
from hub.store import StoreError
from hub.store.device_sql import DeviceTables
from shekara.errors import ConfigError

router = APIRouter(prefix="/devices", tags=["devices"], dependencies=[OperatorOnly])


@router.get("", response_model=list[DeviceOut])
def list_devices(store: StoreDep) -> list[DeviceOut]:
    """Every registered device with its presence, chain position and gaps."""
    return [DeviceOut.of(d) for d in store.list_devices()]


@router.get("/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, store: StoreDep) -> DeviceOut:
    """One device (404 when it is not registered)."""
    device = store.get_device(device_id)
    if device is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail=f"device {device_id!r} is not registered",
        )
    return DeviceOut.of(device)


@router.post("/{device_id}/revoke", response_model=RevocationOut)
def revoke(
    device_id: str, body: ReasonIn, desk: EnrolmentDep, session: OperatorDep
) -> RevocationOut:
    """Revoke a device for good: its events go to dead letters, the broker refuses it."""
    if desk.store.get_device(device_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"device {device_id!r} is not registered")
    try:
        revoked = desk.admin.revoke(device_id, body.reason, f"api:{session.username}")
    except (StoreError, ConfigError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return RevocationOut.of(revoked)


audit_router = APIRouter(prefix="/audit", tags=["devices"], dependencies=[OperatorOnly])


@audit_router.get("", response_model=list[AuditOut])
def audit(
    store: StoreDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """The device lifecycle audit log, oldest first."""
    return [AuditOut.of(a) for a in DeviceTables(store).audit_log(after, limit)]
